"""Prometheus configuration and rules: promtool checks, promtool unit tests, and the
conventions promtool does not enforce (names, severities, annotations, runbooks, coverage)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.monitoring._rules import alerts, all_rules, records
from tests.monitoring._tools import (
    PROMETHEUS_CONFIG,
    PROMTOOL_TESTS,
    PROMTOOL_TESTS_DIR,
    RULE_FILES,
    RULES_DIR,
    RUNBOOK_URL_PREFIX,
    RUNBOOKS,
    run,
    tool,
)

SEVERITIES = {"critical", "warning", "info", "none"}
# Watchdog fires by design at every evaluation, so it has no silent case
ALWAYS_FIRING = {"Watchdog"}


def test_promtool_accepts_the_prometheus_config(tmp_path: Path) -> None:
    """promtool check config accepts prometheus.yml with the rule files it mounts."""
    config = PROMETHEUS_CONFIG.read_text(encoding="utf-8")
    assert "/etc/prometheus/rules/*.yml" in config
    checked = tmp_path / "prometheus.yml"
    checked.write_text(config.replace("/etc/prometheus/rules/*.yml", f"{RULES_DIR}/*.yml"))
    result = run(tool("promtool"), "check", "config", str(checked))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(RULE_FILES)} rule files found" in result.stdout


def test_promtool_accepts_the_rules() -> None:
    """promtool check rules accepts every rule file and counts every rule."""
    result = run(tool("promtool"), "check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    counted = sum(int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", result.stdout))
    assert counted == len(all_rules())


@pytest.mark.parametrize("test_file", PROMTOOL_TESTS, ids=lambda path: path.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    """Every promtool unit test file passes."""
    result = run(tool("promtool"), "test", "rules", test_file.name, cwd=PROMTOOL_TESTS_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


def _unit_tests() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for path in PROMTOOL_TESTS:
        groups.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["tests"])
    return groups


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    """Each alert (by name and severity) fires in one unit test case and stays silent in another."""
    fired: set[tuple[str, str]] = set()
    silent: set[tuple[str, str]] = set()
    cases = [case for group in _unit_tests() for case in group.get("alert_rule_test", [])]
    severities_by_name: dict[str, set[str]] = {}
    for rule in alerts():
        severities_by_name.setdefault(rule.name, set()).add(rule.severity)
    for case in cases:
        name = case["alertname"]
        expected = {alert["exp_labels"]["severity"] for alert in case["exp_alerts"]}
        fired.update((name, severity) for severity in expected)
        silent.update(
            (name, severity)
            for severity in severities_by_name.get(name, set())
            if severity not in expected
        )
    wanted = {(rule.name, rule.severity) for rule in alerts()}
    assert wanted - fired == set(), "alerts never shown firing"
    never_silent = {key for key in wanted - silent if key[0] not in ALWAYS_FIRING}
    assert never_silent == set(), "alerts never shown silent"
    assert {name for name, _ in fired} <= {rule.name for rule in alerts()}, (
        "tests of unknown alerts"
    )


def test_every_recording_rule_has_an_expression_test() -> None:
    """Each recording rule's output is checked by a promql_expr_test."""
    tested = {
        case["expr"].strip()
        for group in _unit_tests()
        for case in group.get("promql_expr_test", [])
        if case["exp_samples"]
    }
    assert {rule.name for rule in records()} - tested == set()


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: f"{rule.name}-{rule.severity}")
def test_alert_follows_the_mixin_conventions(rule: Any) -> None:
    """An alert has a CamelCase name, a known severity, a summary, a description and a runbook."""
    assert re.fullmatch(r"[A-Z][a-z0-9]+(?:[A-Z0-9][a-z0-9]*)+|Watchdog", rule.name)
    if rule.group.startswith("bassa"):
        assert rule.name.startswith("Bassa")
    assert rule.severity in SEVERITIES
    annotations = rule.body["annotations"]
    assert annotations["summary"].endswith(".")
    assert annotations["description"]
    assert annotations["runbook_url"] == RUNBOOK_URL_PREFIX + rule.name.lower()


def test_every_alert_has_a_runbook_section() -> None:
    """docs/runbooks.md has a section per alert with meaning, impact, diagnosis and fix."""
    text = RUNBOOKS.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S))
    for name in {rule.name for rule in alerts()}:
        assert name in sections, f"no runbook section for {name}"
        for part in ("Meaning", "Impact", "Diagnosis", "Fix"):
            assert f"**{part}**" in sections[name], f"{name} runbook lacks {part}"
