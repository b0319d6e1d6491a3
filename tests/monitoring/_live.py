"""Real Prometheus and Alertmanager processes on loopback for the end-to-end alerting test.

Both run Debian's binaries with the repository's own rules and routing tree. Only what cannot
run on a test machine is changed, in temporary copies: scrape and evaluation every second, the
rules' `for` durations shortened, the scrape targets pointed at the test's server, and every
receiver turned into a webhook to a local sink that records what it is sent.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from tests.live_server import free_port
from tests.monitoring._tools import ALERTMANAGER_CONFIG, RULE_FILES

T = TypeVar("T")
POLL_SECONDS = 0.1
# the rules' `for` in the test: long enough for two evaluations, short enough for one test
LIVE_FOR = "2s"


def wait_until(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `check` until it returns something other than None or False; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


@dataclass
class WebhookSink:
    """An HTTP server on loopback keeping every Alertmanager webhook body, by receiver."""

    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                sink.received.append((self.path.strip("/"), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def firing(self, receiver: str, alertname: str) -> dict[str, Any] | None:
        """The first alert named `alertname` that `receiver` was notified of as firing."""
        for name, body in list(self.received):
            for alert in body["alerts"]:
                if (
                    name == receiver
                    and alert["labels"]["alertname"] == alertname
                    and alert["status"] == "firing"
                ):
                    return dict(alert)
        return None


def _shorten_routes(route: dict[str, Any]) -> None:
    route["group_wait"] = "0s"
    route["group_interval"] = "1s"
    for child in route.get("routes", []):
        _shorten_routes(child)


def write_alertmanager_config(directory: Path, sink: WebhookSink) -> Path:
    """The repository's routing tree and inhibitions, with webhook receivers and no waits."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    _shorten_routes(config["route"])
    config["receivers"] = [
        {
            "name": receiver["name"],
            "webhook_configs": [{"url": f"http://127.0.0.1:{sink.port}/{receiver['name']}"}],
        }
        for receiver in config["receivers"]
    ]
    path = directory / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def write_rules(directory: Path) -> list[Path]:
    """The repository's rules with every `for` shortened to LIVE_FOR."""
    written = []
    for source in RULE_FILES:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
        for group in document["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = LIVE_FOR
        path = directory / source.name
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        written.append(path)
    return written


def write_prometheus_config(
    directory: Path, rules: list[Path], alertmanager_port: int, bassa_target: str
) -> Path:
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in rules],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]
        },
        "scrape_configs": [
            {"job_name": "bassa-api", "static_configs": [{"targets": [bassa_target]}]}
        ],
    }
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@dataclass
class Daemon:
    """A Prometheus or Alertmanager process on a loopback port, stopped by its own pid."""

    command: list[str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._ready, 20, f"{self.command[0]} ready")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.command[0]} exited: {self.log_path.read_text()}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def prometheus(binary: str, config: Path, directory: Path) -> Daemon:
    port = free_port()
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={directory / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    return Daemon(command, port, directory / "prometheus.log")


def alertmanager(binary: str, config: Path, directory: Path) -> Daemon:
    port = free_port()
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.path={directory / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        # no gossip: it would listen on 0.0.0.0:9094
        "--cluster.listen-address=",
    ]
    return Daemon(command, port, directory / "alertmanager.log")


def prometheus_alert_state(daemon: Daemon, alertname: str) -> str | None:
    """'firing', 'pending' or None for an alert in Prometheus' own view."""
    alerts = httpx.get(f"{daemon.url}/api/v1/alerts", timeout=2).json()["data"]["alerts"]
    states = {a["state"] for a in alerts if a["labels"]["alertname"] == alertname}
    return "firing" if "firing" in states else next(iter(states), None)


def alertmanager_active(daemon: Daemon, alertname: str) -> list[dict[str, Any]]:
    """The active (firing, not silenced or inhibited) alerts Alertmanager holds by that name."""
    response = httpx.get(
        f"{daemon.url}/api/v2/alerts",
        params={"filter": f'alertname="{alertname}"', "active": "true", "inhibited": "false"},
        timeout=2,
    )
    return list(response.json())


def target_health(daemon: Daemon) -> str | None:
    targets = httpx.get(f"{daemon.url}/api/v1/targets", timeout=2).json()["data"]["activeTargets"]
    return targets[0]["health"] if targets else None
