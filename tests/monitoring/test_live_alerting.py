"""End to end on loopback: Debian's Prometheus and Alertmanager, with the repository's rules and
routing tree, scrape a live Bassa server. Its exposition is clean, its labels bounded, and it
serves every metric the rules and dashboards use; stopping the server fires BassaApiDown;
suspending its aria2 fires BassaAria2Down, which Alertmanager sends to the pager receiver."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.live_server import LiveServer
from tests.monitoring import _live
from tests.monitoring._metric_names import (
    catalogue_names,
    dashboard_expressions,
    names_in,
    rule_expressions,
    sample_names,
)
from tests.monitoring._tools import ROOT, run, tool

pytestmark = [pytest.mark.integration, pytest.mark.slow]
Stack = tuple[_live.Daemon, _live.WebhookSink]
MakeServer = Callable[..., LiveServer]
# Prometheus scrapes ~5.5 s after start (a fixed discovery throttle); every step below is a
# few evaluations after that, plus the engine's 10 s aria2 RPC timeout for a suspended aria2
STEP_TIMEOUT = 30.0


def _served(server: LiveServer) -> frozenset[str]:
    return sample_names(httpx.get(f"{server.url}/metrics", timeout=5).text)


def _used_server_metrics() -> set[str]:
    used = set().union(
        *(names_in(expr) for expr in {**rule_expressions(), **dashboard_expressions()}.values())
    )
    return {name for name in used if name.startswith(("bassa_", "process_", "python_"))}


def test_live_exposition_passes_promtool_check_metrics(live_server: LiveServer) -> None:
    """promtool check metrics finds nothing to lint in the server's /metrics."""
    exposition = httpx.get(f"{live_server.url}/metrics", timeout=5).text
    result = run(tool("promtool"), "check", "metrics", stdin=exposition)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_live_server_serves_the_api_metrics_the_monitoring_uses(live_server: LiveServer) -> None:
    """Every API metric of the catalogue, and every process metric a rule or dashboard uses,
    is served by a live server."""
    served = _served(live_server)
    assert catalogue_names("API") - served == set()
    used = _used_server_metrics() - catalogue_names("Engine")
    assert used - served == set()


def test_live_server_serves_the_engine_metrics_the_monitoring_uses(
    live_server: LiveServer,
) -> None:
    """Every engine metric of the catalogue is served by a live server, so every server metric
    a rule or dashboard uses is."""
    served = _served(live_server)
    assert catalogue_names("Engine") - served == set()
    assert _used_server_metrics() - served == set()


@contextmanager
def _prometheus_scraping(
    server: LiveServer, alertmanager: _live.Daemon, directory: Path
) -> Iterator[_live.Daemon]:
    """A Prometheus with the repository's rules scraping `server` as job bassa-api, once it has
    scraped it and BassaApiDown (firing before the first scrape) has resolved."""
    rules = _live.write_rules(directory)
    config = _live.write_prometheus_config(
        directory, rules, alertmanager.port, f"127.0.0.1:{server.port}"
    )
    prometheus = _live.prometheus(tool("prometheus"), config, directory)
    prometheus.start()
    try:
        _live.wait_until(
            lambda: _live.target_health(prometheus) == "up", STEP_TIMEOUT, "server scraped"
        )
        _live.wait_until(
            lambda: _live.prometheus_alert_state(prometheus, "BassaApiDown") is None,
            STEP_TIMEOUT,
            "BassaApiDown resolved once the server is scraped",
        )
        yield prometheus
    finally:
        prometheus.stop()


def test_stopping_the_server_fires_api_down(
    alertmanager_stack: Stack, make_server: MakeServer, tmp_path: Path
) -> None:
    """When the only API instance stops, BassaApiDown fires and Alertmanager routes it to the
    pager, within seconds once `for` is shortened."""
    alertmanager, sink = alertmanager_stack
    # a server of its own: this test stops it, the session's live_server stays up
    server = make_server(BASSA_ENGINE="0")
    started = time.monotonic()
    with _prometheus_scraping(server, alertmanager, tmp_path) as prometheus:
        # forget the BassaApiDown that fired before the first scrape (absent() of no series)
        sink.received.clear()
        server.stop()
        _live.wait_until(
            lambda: _live.prometheus_alert_state(prometheus, "BassaApiDown") == "firing",
            STEP_TIMEOUT,
            "BassaApiDown firing in Prometheus",
        )
        (down,) = _live.wait_until(
            lambda: _live.alertmanager_active(alertmanager, "BassaApiDown"),
            STEP_TIMEOUT,
            "BassaApiDown active in Alertmanager",
        )
    expected = {"alertname": "BassaApiDown", "job": "bassa-api", "severity": "critical"}
    assert down["labels"] == expected
    assert [receiver["name"] for receiver in down["receivers"]] == ["pager"]
    _live.wait_until(
        lambda: sink.firing("pager", "BassaApiDown"), STEP_TIMEOUT, "the pager notified"
    )
    assert time.monotonic() - started < 60


def test_suspending_aria2_pages_through_alertmanager(
    alertmanager_stack: Stack, make_server: MakeServer, tmp_path: Path
) -> None:
    """When the server's aria2c stops answering (suspended with SIGSTOP), BassaAria2Down fires
    and Alertmanager notifies the pager receiver with its labels and runbook."""
    alertmanager, sink = alertmanager_stack
    server = make_server()
    started = time.monotonic()
    with _prometheus_scraping(server, alertmanager, tmp_path):
        (aria2c,) = _live.wait_until(server.aria2c_pids, STEP_TIMEOUT, "the server's aria2c")
        os.kill(aria2c, signal.SIGSTOP)
        try:
            paged = _live.wait_until(
                lambda: sink.firing("pager", "BassaAria2Down"),
                STEP_TIMEOUT,
                "BassaAria2Down notified to the pager receiver",
            )
        finally:
            os.kill(aria2c, signal.SIGCONT)
    assert paged["labels"]["severity"] == "critical"
    assert paged["labels"]["job"] == "bassa-api"
    assert paged["labels"]["instance"] == f"127.0.0.1:{server.port}"
    assert paged["annotations"]["runbook_url"].endswith("#bassaaria2down")
    assert time.monotonic() - started < 60


def test_route_labels_stay_bounded(live_server: LiveServer) -> None:
    """Raw paths never become label values: routes are the spec's path templates, `other` or
    /metrics; statuses are three digits; methods are upper case."""
    spec = yaml.safe_load((ROOT / "openapi" / "bassa.yaml").read_text(encoding="utf-8"))
    for path in ("/api/download/987654", "/api/user/someone-unknown", "/no/such/path/4242"):
        httpx.get(f"{live_server.url}{path}", timeout=5)
    exposition = httpx.get(f"{live_server.url}/metrics", timeout=5).text
    (requests,) = [
        family
        for family in text_string_to_metric_families(exposition)
        if family.name == "bassa_http_requests"
    ]
    labels = [sample.labels for sample in requests.samples if sample.name.endswith("_total")]
    routes = {label["route"] for label in labels}
    assert "other" in routes
    assert routes <= set(spec["paths"]) | {"other", "/metrics"}
    assert all(re.fullmatch(r"[1-5]\d\d", label["status"]) for label in labels)
    assert all(label["method"].isupper() for label in labels)
