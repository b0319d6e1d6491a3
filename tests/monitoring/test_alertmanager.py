"""Alertmanager configuration: amtool accepts it, each severity reaches its receiver, and no
credential is written in it.

Debian's amtool is 0.25, one release before webhook receivers could read their URL from a file
(`url_file`, Alertmanager 0.26; the manifests run 0.27). amtool therefore checks a copy in which
that one key is replaced by an inline placeholder URL, and a test pins that this is the only
difference.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.monitoring._tools import ALERTMANAGER_CONFIG, run, tool

PLACEHOLDER_URL = "https://deadmansswitch.invalid/ping"


def _for_alertmanager_025(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration with every webhook `url_file` turned into an inline URL."""
    for receiver in config["receivers"]:
        for webhook in receiver.get("webhook_configs", []):
            if webhook.pop("url_file", None) is not None:
                webhook["url"] = PLACEHOLDER_URL
    return config


@pytest.fixture(scope="module")
def checked_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's configuration as Debian's Alertmanager 0.25 can load it."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("alertmanager") / "alertmanager.yml"
    path.write_text(yaml.safe_dump(_for_alertmanager_025(config)), encoding="utf-8")
    return path


def test_the_checked_copy_differs_only_in_the_url_file() -> None:
    """Only the dead man's switch URL file is replaced for amtool 0.25; routes are untouched."""
    original = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    copy = _for_alertmanager_025(yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8")))
    changed = [
        (a["name"], b["webhook_configs"])
        for a, b in zip(original["receivers"], copy["receivers"], strict=True)
        if a != b
    ]
    assert changed == [("deadmansswitch", [{"url": PLACEHOLDER_URL, "send_resolved": False}])]
    del original["receivers"], copy["receivers"]
    assert original == copy


def test_amtool_accepts_the_config(checked_config: Path) -> None:
    """amtool check-config loads the configuration with its receivers and inhibit rules."""
    result = run(tool("amtool"), "check-config", str(checked_config))
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
def test_route_reaches_the_receiver(labels: list[str], receiver: str, checked_config: Path) -> None:
    """amtool routes an alert of each severity to exactly the expected receiver."""
    result = run(
        tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={checked_config}",
        f"--verify.receivers={receiver}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_credentials_are_files_from_a_secret() -> None:
    """Receivers read keys and tokens from mounted files, never from inline values."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    text = ALERTMANAGER_CONFIG.read_text(encoding="utf-8")
    inline_keys = ("routing_key:", "service_key:", "api_url:", "auth_password:", "credentials:")
    for inline in (*inline_keys, "- url:", "url:"):
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
