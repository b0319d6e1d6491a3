"""The routing tree and inhibition rules in a real Alertmanager: alerts posted to its API reach
the receiver of their severity, and a critical alert mutes the matching warning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest

from tests.monitoring import _live

pytestmark = pytest.mark.integration
Stack = tuple[_live.Daemon, _live.WebhookSink]


def _post(alertmanager: _live.Daemon, *labels: dict[str, str]) -> None:
    ends = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    alerts = [{"labels": alert, "annotations": {}, "endsAt": ends} for alert in labels]
    response = httpx.post(f"{alertmanager.url}/api/v2/alerts", json=alerts, timeout=5)
    assert response.status_code == 200, response.text


def _inhibitors(alertmanager: _live.Daemon, alertname: str, severity: str) -> list[str]:
    response = httpx.get(
        f"{alertmanager.url}/api/v2/alerts",
        params={"filter": [f'alertname="{alertname}"', f'severity="{severity}"']},
        timeout=5,
    )
    (alert,) = response.json()
    return list(alert["status"]["inhibitedBy"])


def test_each_severity_is_notified_to_its_receiver(alertmanager_stack: Stack) -> None:
    """Critical goes to the pager, warning to chat, Watchdog to the dead man's switch."""
    alertmanager, sink = alertmanager_stack
    _post(
        alertmanager,
        {"alertname": "BassaAria2Down", "severity": "critical", "job": "bassa-api"},
        {"alertname": "BassaApiHighLatency", "severity": "warning", "job": "bassa-api"},
        {"alertname": "Watchdog", "severity": "none"},
    )
    for receiver, alertname in (
        ("pager", "BassaAria2Down"),
        ("chat", "BassaApiHighLatency"),
        ("deadmansswitch", "Watchdog"),
    ):
        _live.wait_until(partial(sink.firing, receiver, alertname), 10, f"{alertname} notified")
    receivers = {name for name, _ in sink.received}
    assert receivers == {"pager", "chat", "deadmansswitch"}


def test_critical_mutes_the_matching_warning(alertmanager_stack: Stack) -> None:
    """A critical alert inhibits the warning of the same alert and job, not other warnings;
    BassaApiDown inhibits every warning of its job."""
    alertmanager, _ = alertmanager_stack
    volume = {"alertname": "BassaDownloadsVolumeFillingUp", "job": "bassa-api"}
    _post(
        alertmanager,
        {**volume, "severity": "critical"},
        {**volume, "severity": "warning"},
        {"alertname": "BassaApiHighLatency", "severity": "warning", "job": "bassa-api"},
    )
    muted = _live.wait_until(
        lambda: _inhibitors(alertmanager, volume["alertname"], "warning"),
        10,
        "the volume warning inhibited",
    )
    assert len(muted) == 1
    assert _inhibitors(alertmanager, "BassaApiHighLatency", "warning") == []

    _post(alertmanager, {"alertname": "BassaApiDown", "severity": "critical", "job": "bassa-api"})
    _live.wait_until(
        lambda: _inhibitors(alertmanager, "BassaApiHighLatency", "warning"),
        10,
        "the latency warning inhibited by BassaApiDown",
    )
