"""The image built from the Containerfile with podman, run the way the manifests run it (its own
uid, a read-only root filesystem, /data and /tmp the only writable places): it carries its
metadata, migrates, becomes ready, completes a download, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.file_server import FileServer
from tests.image._podman import IMAGE, Podman, build_image
from tests.live_server import ADMIN_PASSWORD, ADMIN_USER, SECRET_KEY, SERVER_KEY, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

UID = 10001
READY_SECONDS = 120.0
DOWNLOAD_SECONDS = 60.0


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Podman:
    """podman with the project's image built from the working tree."""
    tool = Podman(tmp_path_factory.mktemp("podman"))
    build_image(tool)
    return tool


def _data_dir(tmp_path: Path) -> Path:
    """A data folder the image's user owns, as a volume's fsGroup would make it."""
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, UID, UID)
    return data


def _environment(port: int) -> list[str]:
    values = {
        "BASSA_HOST": "127.0.0.1",
        "BASSA_PORT": str(port),
        "BASSA_ADMIN_USER": ADMIN_USER,
        "BASSA_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BASSA_SERVER_KEY": SERVER_KEY,
        "BASSA_SECRET_KEY": SECRET_KEY,
        # the test's files are served on loopback
        "BASSA_BLOCK_PRIVATE_ADDRESSES": "0",
    }
    return [f"--env={name}={value}" for name, value in values.items()]


def _run_options(data: Path) -> list[str]:
    # the host network: the server and the test's file server share loopback
    return ["--network=host", "--read-only", "--tmpfs=/tmp", f"--volume={data}:/data"]


@pytest.fixture(scope="module")
def container(
    podman: Podman, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The image's default command, running: (container id, base URL) once /api/ready is 200."""
    data = _data_dir(tmp_path_factory.mktemp("container"))
    port = free_port()
    started = podman("run", "--detach", *_run_options(data), *_environment(port), IMAGE)
    container_id = started.stdout.strip()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not _ready(url):
            running = podman("inspect", "--format={{.State.Running}}", container_id).stdout
            logs = podman("logs", container_id, check=False)
            assert running.strip() == "true", logs.stdout + logs.stderr
            assert time.monotonic() < deadline, logs.stdout + logs.stderr
            time.sleep(0.5)
        yield container_id, url
    finally:
        podman("rm", "--force", "--time=5", container_id, check=False)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _inspect(podman: Podman) -> dict[str, Any]:
    """The image's configuration (podman reports the healthcheck beside it)."""
    (image,) = json.loads(podman("image", "inspect", IMAGE).stdout)
    config: dict[str, Any] = {**image["Config"], "Healthcheck": image["Healthcheck"]}
    return config


def test_image_runs_as_its_user_under_tini_with_labels_and_a_healthcheck(podman: Podman) -> None:
    """The image runs as 10001:10001 under tini, checks /api/ready, and names its source,
    version and licence."""
    config = _inspect(podman)
    assert config["User"] == f"{UID}:{UID}"
    assert config["Entrypoint"] == ["/usr/bin/tini", "--"]
    assert config["Cmd"] == ["bassa-server"]
    assert "/api/ready" in " ".join(config["Healthcheck"]["Test"])
    labels = config["Labels"]
    assert labels["org.opencontainers.image.source"] == "https://github.com/scorelab/bassa-sdk"
    assert labels["org.opencontainers.image.version"] == "0.1.0"
    assert labels["org.opencontainers.image.licenses"] == "GPL-3.0-or-later"


def test_image_carries_aria2c_and_smokescreen(podman: Podman) -> None:
    """The sidecars' commands exist in the image: aria2c and the smokescreen egress proxy."""
    aria2 = podman("run", "--rm", "--network=none", IMAGE, "aria2c", "--version")
    assert aria2.stdout.startswith("aria2 version")
    smokescreen = podman(
        "run", "--rm", "--network=none", IMAGE, "smokescreen", "--help", check=False
    )
    assert "--listen-port" in smokescreen.stdout + smokescreen.stderr


def test_migrate_brings_an_empty_database_to_the_newest_schema(
    podman: Podman, tmp_path: Path
) -> None:
    """`bassa-server migrate` (the init container's command) migrates and exits 0."""
    data = _data_dir(tmp_path)
    result = podman("run", "--rm", *_run_options(data), IMAGE, "bassa-server", "migrate")
    assert "migrated" in result.stdout + result.stderr
    assert (data / "bassa.db").is_file()


def test_server_in_the_image_completes_a_download(
    container: tuple[str, str], file_server: FileServer
) -> None:
    """Through the image's own aria2c, a queued link is fetched and served back identical."""
    _, url = container
    payload = os.urandom(400_000)
    link = file_server.add("image/payload.bin", payload)
    login = httpx.post(
        f"{url}/api/login", data={"user_name": ADMIN_USER, "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200, login.text
    token = {"token": login.headers["token"]}
    queued = httpx.post(f"{url}/api/download", json={"link": link}, headers=token)
    assert queued.status_code == 200, queued.text
    download_id = queued.json()["id"]
    started = httpx.get(f"{url}/api/download/start", headers={"key": SERVER_KEY})
    assert started.status_code == 200, started.text
    deadline = time.monotonic() + DOWNLOAD_SECONDS
    while True:
        status = httpx.get(f"{url}/api/download/{download_id}/status", headers=token).json()
        if status["status"] in {3, 4}:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["status"] == 3, status
    served = httpx.get(f"{url}/api/download/{download_id}", headers=token)
    assert served.status_code == 200
    assert served.content == payload


def test_healthcheck_passes_on_a_ready_server(podman: Podman, container: tuple[str, str]) -> None:
    """The image's HEALTHCHECK command succeeds against the running server."""
    container_id, _ = container
    assert podman("healthcheck", "run", container_id, check=False).returncode == 0


def test_sigterm_stops_the_server_gracefully(podman: Podman, tmp_path: Path) -> None:
    """tini hands SIGTERM to the server, which shuts down by itself, well before a kill.

    uvicorn re-raises the signal once its graceful shutdown is done, so the clean exit status is
    143 (terminated by SIGTERM); a kill after the stop timeout would be 137."""
    data = _data_dir(tmp_path)
    port = free_port()
    container_id = podman(
        "run", "--detach", *_run_options(data), *_environment(port), IMAGE
    ).stdout.strip()
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not _ready(f"http://127.0.0.1:{port}"):
            assert time.monotonic() < deadline
            time.sleep(0.5)
        began = time.monotonic()
        podman("stop", "--time=30", container_id, timeout=60)
        took = time.monotonic() - began
        code = podman("inspect", "--format={{.State.ExitCode}}", container_id).stdout.strip()
        assert code in {"0", "143"}
        assert took < 20
    finally:
        podman("rm", "--force", container_id, check=False)
