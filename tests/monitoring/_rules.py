"""The alert and recording rules of deploy/monitoring, loaded once for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.monitoring._tools import RULE_FILES


@dataclass(frozen=True)
class Rule:
    file: Path
    group: str
    body: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.body.get("alert") or self.body["record"])

    @property
    def is_alert(self) -> bool:
        return "alert" in self.body

    @property
    def severity(self) -> str:
        return str(self.body.get("labels", {}).get("severity", ""))


@cache
def all_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for path in RULE_FILES:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in document["groups"]:
            rules.extend(Rule(path, group["name"], body) for body in group["rules"])
    return tuple(rules)


def alerts() -> tuple[Rule, ...]:
    return tuple(rule for rule in all_rules() if rule.is_alert)


def records() -> tuple[Rule, ...]:
    return tuple(rule for rule in all_rules() if not rule.is_alert)
