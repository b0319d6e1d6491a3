"""Alertmanager configuration: amtool accepts it, each severity reaches its receiver, and no
credential is written in it."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.monitoring._tools import ALERTMANAGER_CONFIG, run, tool


def test_amtool_accepts_the_config() -> None:
    """amtool check-config loads the configuration with its receivers and inhibit rules."""
    result = run(tool("amtool"), "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "2 inhibit rules" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=BassaApiDown", "severity=critical", "job=bassa-api"], "pager"),
        (["alertname=BassaApiHighLatency", "severity=warning", "job=bassa-api"], "chat"),
        (["alertname=Watchdog", "severity=none"], "deadmansswitch"),
        (["alertname=SomethingInformative", "severity=info"], "null"),
        (["alertname=Unlabelled"], "chat"),
    ],
    ids=["critical", "warning", "watchdog", "info", "no-severity"],
)
def test_route_reaches_the_receiver(labels: list[str], receiver: str) -> None:
    """amtool routes an alert of each severity to exactly the expected receiver."""
    result = run(
        tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={receiver}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_credentials_are_files_from_a_secret() -> None:
    """Receivers read keys and tokens from mounted files, never from inline values."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    text = ALERTMANAGER_CONFIG.read_text(encoding="utf-8")
    for inline in ("routing_key:", "service_key:", "api_url:", "auth_password:", "credentials:"):
        assert re.search(rf"^\s*{inline}", text, flags=re.M) is None, inline
    files = re.findall(r"_file: (\S+)", text)
    assert len(files) == 3
    assert all(path.startswith("/etc/alertmanager/credentials/") for path in files)
    assert {receiver["name"] for receiver in config["receivers"]} == {
        "pager",
        "chat",
        "deadmansswitch",
        "null",
    }
