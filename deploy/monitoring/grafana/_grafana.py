"""The small Grafana dashboard model the Bassa dashboards are written in.

A dashboard is rows of panels, each panel one call (`timeseries`, `stat`) with its queries; this
module turns them into Classic dashboard JSON (schemaVersion 41) and computes the grid layout,
so panels never overlap and ids stay stable.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 41
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def _runbooks_url() -> str:
    """The runbooks page of the published docs, from the one setting (../links.py)."""
    path = Path(__file__).resolve().parents[1] / "links.py"
    spec = importlib.util.spec_from_file_location("bassa_deploy_links", path)
    assert spec is not None and spec.loader is not None
    links = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(links)
    url: str = links.page_url(links.RUNBOOKS_PAGE)
    return url


RUNBOOKS_URL = _runbooks_url()

Json = dict[str, Any]


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    kind: str  # timeseries or stat
    title: str
    description: str
    unit: str
    queries: tuple[Query, ...]
    width: int = 8
    height: int = 8
    thresholds: tuple[tuple[float | None, str], ...] = ((None, "green"),)
    extra_defaults: Json = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


def timeseries(title: str, description: str, unit: str, *queries: Query, width: int = 8) -> Panel:
    return Panel("timeseries", title, description, unit, queries, width=width)


def stat(
    title: str,
    description: str,
    unit: str,
    query: Query,
    thresholds: tuple[tuple[float | None, str], ...] = ((None, "green"),),
    width: int = 4,
    mappings: list[Json] | None = None,
    no_value: str | None = None,
) -> Panel:
    """A single number; `no_value` is what it says when the query has no sample."""
    extra: Json = {"mappings": mappings} if mappings else {}
    if no_value is not None:
        extra["noValue"] = no_value
    return Panel(
        "stat", title, description, unit, (query,), width, 4, thresholds, extra_defaults=extra
    )


UP_DOWN = [
    {
        "type": "value",
        "options": {
            "0": {"text": "down", "color": "red", "index": 0},
            "1": {"text": "up", "color": "green", "index": 1},
        },
    }
]


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> Json:
    targets = [
        {
            "datasource": DATASOURCE,
            "refId": chr(ord("A") + index),
            "expr": query.expr,
            "legendFormat": query.legend,
            "range": panel.kind == "timeseries",
            "instant": panel.kind == "stat",
        }
        for index, query in enumerate(panel.queries)
    ]
    steps = [{"value": value, "color": color} for value, color in panel.thresholds]
    options: Json
    if panel.kind == "stat":
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "value",
        }
    else:
        options = {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": panel.height},
        "targets": targets,
        "fieldConfig": {
            "defaults": {
                "unit": panel.unit,
                "thresholds": {"mode": "absolute", "steps": steps},
                **panel.extra_defaults,
            },
            "overrides": [],
        },
        "options": options,
    }


def _layout(rows: tuple[Row, ...]) -> list[Json]:
    """Place rows one under the other and their panels left to right, wrapping at 24 columns."""
    panels: list[Json] = []
    panel_id = 1
    y = 0
    for row in rows:
        panels.append(
            {
                "id": panel_id,
                "type": "row",
                "title": row.title,
                "collapsed": False,
                "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
                "panels": [],
            }
        )
        panel_id += 1
        y += 1
        x = 0
        line_height = 0
        for panel in row.panels:
            if x + panel.width > 24:
                x, y, line_height = 0, y + line_height, 0
            panels.append(_panel_json(panel, panel_id, x, y))
            panel_id += 1
            x += panel.width
            line_height = max(line_height, panel.height)
        y += line_height
    return panels


def variable(name: str, label: str, query: str) -> Json:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-variable"},
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "includeAll": False,
        "multi": False,
        "hide": 0,
    }


def _datasource_variable() -> Json:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {"text": "Prometheus", "value": "prometheus"},
        "hide": 0,
    }


def dashboard(
    uid: str, title: str, description: str, variables: list[Json], rows: tuple[Row, ...]
) -> Json:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["bassa"],
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [_datasource_variable(), *variables]},
        "annotations": {"list": []},
        "links": [
            {
                "title": "Bassa dashboards",
                "type": "dashboards",
                "tags": ["bassa"],
                "asDropdown": False,
                "includeVars": True,
                "keepTime": True,
            },
            {
                "title": "Runbooks",
                "type": "link",
                "url": RUNBOOKS_URL,
                "icon": "doc",
                "targetBlank": True,
                "tooltip": "What each Bassa alert means and how to fix it",
            },
        ],
        "panels": _layout(rows),
    }


def render(dashboard: Json) -> str:
    """The JSON text written to the dashboards folder."""
    return json.dumps(dashboard, indent=2, sort_keys=True) + "\n"
