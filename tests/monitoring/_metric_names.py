"""Metric names: the ones rules and dashboards use (parsed with promql-parser), and the ones
that exist (the server's catalogue, Prometheus' own series, the exporters' named lists)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import promql_parser
from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.parser import text_string_to_metric_families

from tests.monitoring._rules import all_rules, records
from tests.monitoring._tools import DASHBOARDS_DIR, MONITORING

DATA = Path(__file__).resolve().parent / "data"
CATALOGUE = MONITORING / "metrics-catalogue.md"
# series Prometheus writes itself
PROMETHEUS_BUILTINS = frozenset(
    {
        "up",
        "ALERTS",
        "ALERTS_FOR_STATE",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    }
)
# Grafana substitutes these before the query reaches Prometheus
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def _children(node: Any) -> Iterator[Any]:
    for attribute in ("lhs", "rhs", "expr", "param", "vector_selector"):
        child = getattr(node, attribute, None)
        if isinstance(child, promql_parser.Expr):
            yield child
    yield from getattr(node, "args", None) or ()


def names_in(expr: str) -> set[str]:
    """The metric names an expression selects."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    found: set[str] = set()
    stack = [promql_parser.parse(expr)]
    while stack:
        node = stack.pop()
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                found.add(node.name)
            found.update(m.value for m in node.matchers.matchers if m.name == "__name__")
        stack.extend(_children(node))
    return found


def rule_expressions() -> dict[str, str]:
    return {f"{rule.group}/{rule.name}/{rule.severity}": rule.body["expr"] for rule in all_rules()}


def dashboard_expressions() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                found[f"{path.name}/{panel['title']}/{target['refId']}"] = target["expr"]
        for variable in dashboard["templating"]["list"]:
            query = variable.get("query")
            if isinstance(query, dict):
                inner = re.fullmatch(r"label_values\((.+), \w+\)", query["query"])
                if inner:
                    found[f"{path.name}/${variable['name']}"] = inner.group(1)
    return found


def _expand(name: str, kind: str) -> set[str]:
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    if kind == "summary":
        return {name, f"{name}_sum", f"{name}_count"}
    return {name}


@cache
def catalogue_names(part: str = "") -> frozenset[str]:
    """Sample names of the server's catalogue (deploy/monitoring/metrics-catalogue.md), or of
    one of its parts ("API", "Engine")."""
    text = CATALOGUE.read_text(encoding="utf-8")
    if part:
        sections = re.split(r"^## ", text, flags=re.M)
        (text,) = [section for section in sections if section.startswith(part + " ")]
    rows = re.findall(r"^\| `(\w+)` \| (\w+)", text, flags=re.M)
    assert len(rows) >= 6, "the catalogue tables were not found"
    return frozenset(name for row_name, kind in rows for name in _expand(row_name, kind))


@cache
def client_default_names() -> frozenset[str]:
    """process_* and python_* samples of prometheus_client's default collectors."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return sample_names(generate_latest(registry).decode())


def sample_names(exposition: str) -> frozenset[str]:
    return frozenset(
        sample.name
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    )


@cache
def named_list(name: str) -> frozenset[str]:
    """Sample names of an exporter from its checked-in list of families (name type)."""
    found: set[str] = set()
    for line in (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            family, kind = line.split()
            found |= _expand(family, kind)
    return frozenset(found)


def known_names() -> frozenset[str]:
    return (
        catalogue_names()
        | client_default_names()
        | PROMETHEUS_BUILTINS
        | {rule.name for rule in records()}
        | named_list("kube-state-metrics")
        | named_list("node-exporter")
        | named_list("prometheus")
        | named_list("alertmanager")
    )
