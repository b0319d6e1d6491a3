"""The API pod as the manifests define it, run from the image with podman: the rendered
Deployment's init container and its three containers (api, aria2, egress) with their own
commands, arguments and environment, sharing loopback and the /data volume. A queued link is
fetched by the aria2 sidecar through the smokescreen sidecar and served back by the API.

Only what a test machine needs is changed: the containers share the host's loopback instead of
a pod's (so each fixed port becomes a free one), the database is SQLite on the volume, the API
binds 127.0.0.1, and the test's file server on 127.0.0.1 is let through: the API's
BASSA_BLOCK_PRIVATE_ADDRESSES is turned off and smokescreen is allowed 127.0.0.1/32 (in
production both refuse loopback like every private range).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.file_server import FileServer
from tests.image._podman import IMAGE, Podman, build_image
from tests.live_server import ADMIN_PASSWORD, ADMIN_USER, SECRET_KEY, SERVER_KEY, free_port
from tests.monitoring._manifests import find, pod_spec
from tests.monitoring._tools import DEPLOY

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OVERLAY = DEPLOY / "overlays" / "mariadb"
UID = 10001
WAIT_SECONDS = 120.0
SECRETS = {
    "aria2-secret": "aria2-secret-for-tests",
    "database-url": "sqlite:////data/bassa.db",
    "server-key": SERVER_KEY,
    "secret-key": SECRET_KEY,
    "admin-user": ADMIN_USER,
    "admin-password": ADMIN_PASSWORD,
}
# the pod's fixed loopback ports, each given a free port of the host instead
FIXED_PORTS = ("5000", "6800", "4750")


def _environment(container: dict[str, Any], config: dict[str, str]) -> dict[str, str]:
    """The container's variables as the kubelet would set them from the ConfigMap and Secret."""
    env = dict(config) if container.get("envFrom") else {}
    for item in container.get("env", []):
        source = item.get("valueFrom", {})
        if "secretKeyRef" in source:
            env[item["name"]] = SECRETS[source["secretKeyRef"]["key"]]
        elif "configMapKeyRef" in source:
            env[item["name"]] = config[source["configMapKeyRef"]["key"]]
        else:
            env[item["name"]] = item["value"]
    return env


def _expand(argument: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) substitution in an argument."""
    return re.sub(r"\$\((\w+)\)", lambda match: env[match[1]], argument)


def _on_free_ports(text: str, ports: dict[str, str]) -> str:
    for fixed, free in ports.items():
        text = re.sub(rf"(?<=[:=]){fixed}\b", free, text)
        if text == fixed:
            text = free
    return text


def _command(
    container: dict[str, Any], config: dict[str, str], ports: dict[str, str], data: Path
) -> list[str]:
    """`podman run` options and arguments that start the container as the pod would."""
    env = {
        name: _on_free_ports(value, ports)
        for name, value in _environment(container, config).items()
    }
    if env.get("BASSA_HOST") == "0.0.0.0":
        env["BASSA_HOST"] = "127.0.0.1"
    args = [_on_free_ports(_expand(arg, env), ports) for arg in container["args"]]
    if args[0] == "smokescreen":
        args.append("--allow-range=127.0.0.1/32")
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    options = ["--network=host", "--read-only", "--tmpfs=/tmp", f"--volume={data}:/data"]
    options += [f"--user={UID}:{UID}", "--cap-drop=ALL", "--security-opt=no-new-privileges"]
    options += [f"--env={name}={value}" for name, value in env.items()]
    return [*options, IMAGE, *args]


@dataclass(frozen=True)
class Pod:
    """The running pod: its containers' ids by name, the API's URL and the proxy's."""

    podman: Podman
    ids: dict[str, str]
    url: str
    proxy: str


@pytest.fixture(scope="module")
def pod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pod]:
    """The pod running, its API ready."""
    podman = Podman(tmp_path_factory.mktemp("podman"))
    build_image(podman)
    data = tmp_path_factory.mktemp("pod") / "data"
    data.mkdir()
    os.chown(data, UID, UID)
    spec = pod_spec(OVERLAY, "bassa-api")
    api = next(c for c in spec["containers"] if c["name"] == "api")
    (config_name,) = [ref["configMapRef"]["name"] for ref in api["envFrom"]]
    config: dict[str, str] = {
        **find(OVERLAY, "ConfigMap", config_name)["data"],
        "BASSA_BLOCK_PRIVATE_ADDRESSES": "false",
    }
    ports = {fixed: str(free_port()) for fixed in FIXED_PORTS}
    for init in spec["initContainers"]:
        podman("run", "--rm", *_command(init, config, ports, data), timeout=120)
    ids: dict[str, str] = {}
    try:
        for container in spec["containers"]:
            started = podman("run", "--detach", *_command(container, config, ports, data))
            ids[container["name"]] = started.stdout.strip()
        url = f"http://127.0.0.1:{ports['5000']}"
        deadline = time.monotonic() + WAIT_SECONDS
        while not _ready(url):
            for name, container_id in ids.items():
                state = podman("inspect", "--format={{.State.Running}}", container_id).stdout
                logs = podman("logs", container_id, check=False)
                assert state.strip() == "true", f"{name}: {logs.stdout}{logs.stderr}"
            assert time.monotonic() < deadline, "the pod's API did not become ready"
            time.sleep(0.5)
        yield Pod(podman, ids, url, f"http://127.0.0.1:{ports['4750']}")
    finally:
        for container_id in ids.values():
            podman("rm", "--force", "--time=5", container_id, check=False)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_a_download_goes_through_the_sidecars(pod: Pod, file_server: FileServer) -> None:
    """The API hands the link to the aria2 sidecar, whose connection goes through the egress
    sidecar; the finished file is served back identical."""
    url = pod.url
    payload = os.urandom(300_000)
    link = file_server.add("pod/payload.bin", payload)
    login = httpx.post(
        f"{url}/api/login", data={"user_name": ADMIN_USER, "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200, login.text
    token = {"token": login.headers["token"]}
    queued = httpx.post(f"{url}/api/download", json={"link": link}, headers=token)
    assert queued.status_code == 200, queued.text
    download_id = queued.json()["id"]
    assert httpx.get(f"{url}/api/download/start", headers={"key": SERVER_KEY}).status_code == 200
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        status = httpx.get(f"{url}/api/download/{download_id}/status", headers=token).json()
        if status["status"] in {3, 4}:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["status"] == 3, status
    served = httpx.get(f"{url}/api/download/{download_id}", headers=token)
    assert served.content == payload
    logs = pod.podman("logs", pod.ids["egress"])
    proxy_log = logs.stdout + logs.stderr
    target = link.split("//", 1)[1].split("/", 1)[0]
    decisions = [line for line in proxy_log.splitlines() if "CANONICAL-PROXY-DECISION" in line]
    assert any(f'"requested_host":"{target}"' in line for line in decisions), proxy_log


def test_the_egress_sidecar_refuses_other_private_addresses(
    pod: Pod, file_server: FileServer
) -> None:
    """Smokescreen, allowed only the test's 127.0.0.1, refuses another loopback address, and
    passes the allowed one."""
    file_port = file_server.url.rsplit(":", 1)[1]
    path = file_server.add("pod/probe.txt", b"through the proxy").split(file_port, 1)[1]
    allowed = httpx.get(f"http://127.0.0.1:{file_port}{path}", proxy=pod.proxy, timeout=10)
    assert allowed.content == b"through the proxy"
    refused = httpx.get(f"http://127.0.0.2:{file_port}{path}", proxy=pod.proxy, timeout=10)
    assert refused.status_code != 200
    assert b"through the proxy" not in refused.content
