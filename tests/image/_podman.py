"""Build and run the project's image with podman, with no registry but Debian's and PyPI.

No container registry is reachable where the tests run, so the two base images the
Containerfile names are replaced (through its BASE_IMAGE and GO_IMAGE build arguments) by local
ones: Debian bookworm bootstrapped from Debian's own archive with debootstrap, and that same
system with this machine's Go toolchain. Both are built once and kept in podman's store, as are
the image's layers, so a second run rebuilds only what changed. The tests run podman as root
(as CI does): rootless podman maps uids differently, and the volumes must belong to uid 10001.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.monitoring._tools import ROOT, tool

BASE_IMAGE = "localhost/bassa-test-base:bookworm"
GO_IMAGE = "localhost/bassa-test-go:bookworm"
IMAGE = "localhost/bassa-server:test"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
CA_BUNDLE = Path(os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"))
BUILD_TIMEOUT_SECONDS = 1500
# podman's stock settings fail on machines with hybrid cgroups (crun refuses them) or with a
# ceiling on raising rlimits: runc where installed, and no default ulimits
CONTAINERS_CONF = "[containers]\ndefault_ulimits = []\n"


class Podman:
    """podman with the settings this machine needs; every call returns its completed process."""

    def __init__(self, workdir: Path) -> None:
        if os.geteuid() != 0:
            raise AssertionError("the image tests run podman as root (as CI does)")
        self.binary = tool("podman")
        conf = workdir / "containers.conf"
        conf.write_text(CONTAINERS_CONF, encoding="utf-8")
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}
        runc = shutil.which("runc") or (
            "/usr/sbin/runc" if Path("/usr/sbin/runc").exists() else None
        )
        self.global_options = ["--runtime", runc] if runc else []

    def __call__(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *self.global_options, *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)}: {result.stdout}{result.stderr}")
        return result

    def has_image(self, name: str) -> bool:
        return self("image", "exists", name, check=False).returncode == 0


def _base_image(podman: Podman, workdir: Path) -> None:
    """Debian bookworm (minbase, with CA certificates) from Debian's archive."""
    if podman.has_image(BASE_IMAGE):
        return
    root = workdir / "rootfs"
    subprocess.run(
        [tool("debootstrap"), "--variant=minbase", "--include=ca-certificates", "bookworm",
         str(root), DEBIAN_MIRROR],
        capture_output=True, check=True, timeout=900,
    )  # fmt: skip
    archive = workdir / "rootfs.tar"
    subprocess.run(["tar", "-C", str(root), "-cf", str(archive), "."], check=True)
    podman("import", "--change", 'CMD ["/bin/bash"]', str(archive), BASE_IMAGE, timeout=300)
    shutil.rmtree(root)
    archive.unlink()


def _go_image(podman: Podman, workdir: Path) -> None:
    """The base image with this machine's Go toolchain, standing in for the golang image."""
    if podman.has_image(GO_IMAGE):
        return
    go = shutil.which("go") or "/usr/local/go/bin/go"
    result = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, check=True)
    goroot = result.stdout.strip()
    context = workdir / "go-context"
    shutil.copytree(goroot, context / "go", symlinks=True)
    (context / "Containerfile").write_text(
        f"FROM {BASE_IMAGE}\nCOPY go /usr/local/go\nENV PATH=/usr/local/go/bin:$PATH\n",
        encoding="utf-8",
    )
    podman("build", "--pull=never", "-t", GO_IMAGE, str(context), timeout=600)
    shutil.rmtree(context)


def build_image(podman: Podman) -> None:
    """Build the Containerfile at the repository root into IMAGE (layers cached by podman)."""
    with tempfile.TemporaryDirectory(prefix="bassa-image-") as scratch:
        _base_image(podman, Path(scratch))
        _go_image(podman, Path(scratch))
    options = [
        "--pull=never",
        "--network=host",
        "--format=docker",  # keeps HEALTHCHECK, which the OCI format has no field for
        f"--build-arg=BASE_IMAGE={BASE_IMAGE}",
        f"--build-arg=GO_IMAGE={GO_IMAGE}",
    ]
    if CA_BUNDLE.is_file():
        # this machine may reach PyPI and the Go proxy through a TLS-inspecting proxy
        options += [
            f"--volume={CA_BUNDLE}:/run/build-ca.crt:ro",
            "--build-arg=SSL_CERT_FILE=/run/build-ca.crt",
            "--build-arg=PIP_CERT=/run/build-ca.crt",
        ]
    podman(
        "build", *options, "-f", str(ROOT / "Containerfile"), "-t", IMAGE, str(ROOT),
        timeout=BUILD_TIMEOUT_SECONDS,
    )  # fmt: skip
