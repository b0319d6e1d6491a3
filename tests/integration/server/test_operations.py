"""Running the server: restarts keep state, metrics, CORS, health, and logs without secrets."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from tests.conftest import MakeServer
from tests.in_process import in_process_server
from tests.integration.server.helpers import (
    PASSWORD,
    conforms,
    http,
    login,
    make_user,
    queue_download,
)
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration


def test_restart_keeps_state_tokens_and_generated_secrets(make_server: MakeServer) -> None:
    """Generated keys and admin password are made once; after a clean restart everything works."""
    server = make_server(
        BASSA_ENGINE="0", BASSA_SECRET_KEY="", BASSA_SERVER_KEY="", BASSA_ADMIN_PASSWORD=""
    )
    printed = re.findall(r"admin 'admin' password \(shown once\): (\S+)", server.log())
    assert len(printed) == 1
    server.admin_password = printed[0]
    name, token = make_user(server)
    download_id = queue_download(server, token, "https://example.org/kept.bin")
    key_file = server.data_dir / "server_key"
    key = key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o777 == 0o600
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the status says "terminated"
    assert server.stop() in {0, -signal.SIGTERM}
    assert '"message": "Application shutdown complete."' in server.log()
    server.start()
    rows = http.get(f"{server.url}/api/user/downloads/1", headers={"token": token})
    assert rows.status_code == 200
    assert [row["id"] for row in rows.json()] == [download_id]
    assert login(server, name, PASSWORD)
    assert login(server, "admin", printed[0])
    assert http.get(f"{server.url}/api/download/kill", headers={"key": key}).status_code == 200
    assert len(re.findall(r"shown once", server.log())) == 1


def test_metrics_use_route_templates(server: LiveServer) -> None:
    """`/metrics` counts requests by route template, tracks those in flight, reports the DB."""
    _, token = make_user(server)
    http.get(f"{server.url}/api/user/downloads/7", headers={"token": token})
    http.get(f"{server.url}/no/such/path")
    text = http.get(f"{server.url}/metrics").text
    route = re.escape('route="/api/user/downloads/{page}"')
    assert re.search(
        rf'bassa_http_requests_total\{{method="GET",{route},status="200"\}} [1-9]', text
    )
    assert 'route="other",status="404"' in text
    assert "/api/user/downloads/7" not in text
    assert "bassa_http_request_duration_seconds_bucket" in text
    assert "bassa_http_requests_in_flight 1.0" in text  # the scrape itself
    assert re.search(r'bassa_build_info\{python_version="[^"]+",version="[^"]+"\} 1\.0', text)
    assert "bassa_database_up 1.0" in text
    assert re.search(r'bassa_users\{state="approved"\} [1-9]', text)
    assert "process_cpu_seconds_total" in text


def test_health_and_readiness(server: LiveServer) -> None:
    """Liveness is ok; readiness reports each check."""
    assert conforms(http.get(f"{server.url}/api/health"), "get_liveness") == {"status": "ok"}
    ready = conforms(http.get(f"{server.url}/api/ready"), "get_readiness")
    assert ready["status"] == "ready"
    assert ready["checks"]["database"] == "ok"


async def test_cors_allowlist(tmp_path: Path) -> None:
    """Allowed origins get CORS headers exposing `token`; other origins get none."""
    ui = "https://ui.example.org"
    async with in_process_server(tmp_path, cors_origins=(ui,)) as app:
        preflight = await app.http.options(
            "/api/download",
            headers={
                "origin": ui,
                "access-control-request-method": "POST",
                "access-control-request-headers": "token, content-type",
            },
        )
        simple = await app.http.get(
            "/api/queue", headers={"origin": ui, "token": await app.login()}
        )
        stranger = await app.http.get("/api/health", headers={"origin": "https://evil.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ui
    assert "token" in preflight.headers["access-control-allow-headers"].lower()
    assert simple.headers["access-control-allow-origin"] == ui
    assert "token" in simple.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in stranger.headers


def test_logs_are_json_lines_without_secrets(server: LiveServer) -> None:
    """The server's log lines are JSON and never contain passwords, keys or tokens."""
    _, token = make_user(server)
    http.get(f"{server.url}/api/queue", headers={"token": token})
    http.get(f"{server.url}/api/download/start", headers={"key": server.server_key})
    http.get(f"{server.url}/api/file", params={"gid": "ab", "share": token})
    log = server.log()
    for secret in (server.admin_password, server.server_key, server.secret_key, token, PASSWORD):
        assert secret not in log
    json_lines = [line for line in log.splitlines() if line.startswith("{")]
    assert any('"path": "/api/queue"' in line for line in json_lines)
