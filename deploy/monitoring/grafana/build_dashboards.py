"""Build the Bassa Grafana dashboards as Classic dashboard JSON (schemaVersion 41).

The dashboards are code so that a panel is one line and the layout is computed; the JSON files
next to this script are what Grafana provisions. `python build_dashboards.py` rewrites them, and
tests/monitoring checks that the committed files equal what this script builds.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 41
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
OUTPUT_DIR = Path(__file__).resolve().parent / "dashboards"

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
) -> Panel:
    extra: Json = {"mappings": mappings} if mappings else {}
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


def _variable(name: str, label: str, query: str) -> Json:
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


def _dashboard(
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
            }
        ],
        "panels": _layout(rows),
    }


def overview() -> Json:
    job = 'job="$job"'
    rows = (
        Row(
            "Service level (99.5 % availability over 30 days)",
            (
                stat(
                    "Availability, 30 days",
                    "Share of API requests (probes excluded) answered without a 5xx.",
                    "percentunit",
                    Query(f"1 - job:bassa_slo_errors_per_request:ratio_rate30d{{{job}}}"),
                    ((None, "red"), (0.995, "green")),
                ),
                stat(
                    "Error budget left",
                    "Share of the 30-day error budget (0.5 % of requests) not yet spent.",
                    "percentunit",
                    Query(f"job:bassa_slo_error_budget_remaining:ratio{{{job}}}"),
                    ((None, "red"), (0.25, "orange"), (0.5, "green")),
                ),
                stat(
                    "Burn rate, 1 hour",
                    "How fast the budget burns: 1 spends it in exactly 30 days, 14.4 pages.",
                    "none",
                    Query(f"job:bassa_slo_errors_per_request:ratio_rate1h{{{job}}} / 0.005"),
                    ((None, "green"), (1, "orange"), (14.4, "red")),
                ),
                stat(
                    "API instances up",
                    "Scraped API instances that answered.",
                    "none",
                    Query(f"sum(up{{{job}}})"),
                    ((None, "red"), (1, "green")),
                ),
                stat(
                    "Database",
                    "Whether every API instance reached the database at its last scrape.",
                    "none",
                    Query(f"min(bassa_database_up{{{job}}})"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "Firing alerts",
                    "Critical and warning alerts firing now.",
                    "none",
                    Query(
                        'count(ALERTS{alertstate="firing", severity=~"critical|warning"})'
                        " or vector(0)"
                    ),
                    ((None, "green"), (1, "red")),
                ),
            ),
        ),
        Row(
            "Requests (rate, errors, duration)",
            (
                timeseries(
                    "Requests by route",
                    "Requests per second answered by the API, by route template.",
                    "reqps",
                    Query(f"job_route:bassa_http_requests:rate5m{{{job}}}", "{{route}}"),
                ),
                timeseries(
                    "5xx ratio by route",
                    "Share of the requests of each route answered with a 5xx status.",
                    "percentunit",
                    Query(
                        f"job_route:bassa_http_errors:rate5m{{{job}}}"
                        f" / job_route:bassa_http_requests:rate5m{{{job}}}",
                        "{{route}}",
                    ),
                ),
                timeseries(
                    "Latency",
                    "Request duration quantiles over every route.",
                    "s",
                    *(
                        Query(
                            f"histogram_quantile({q}, sum by (le) (rate("
                            f"bassa_http_request_duration_seconds_bucket{{{job}}}[$__rate_interval])))",
                            f"p{round(q * 100)}",
                        )
                        for q in (0.5, 0.95, 0.99)
                    ),
                ),
                timeseries(
                    "Error ratio against the burn-rate thresholds",
                    "SLO error ratio over the alert windows;"
                    " a page needs the 1h and 5m ratios above 7.2 %.",
                    "percentunit",
                    *(
                        Query(f"job:bassa_slo_errors_per_request:ratio_rate{w}{{{job}}}", w)
                        for w in ("5m", "1h", "6h", "3d")
                    ),
                    width=12,
                ),
                timeseries(
                    "Requests in flight",
                    "Requests being handled right now, over every instance.",
                    "none",
                    Query(f"sum(bassa_http_requests_in_flight{{{job}}})", "in flight"),
                    width=12,
                ),
            ),
        ),
        Row(
            "Queue and downloads",
            (
                stat(
                    "Queue",
                    "Whether the download queue is started.",
                    "none",
                    Query(f"max(bassa_queue_running{{{job}}})"),
                    mappings=[
                        {
                            "type": "value",
                            "options": {
                                "0": {"text": "paused", "color": "orange", "index": 0},
                                "1": {"text": "running", "color": "green", "index": 1},
                            },
                        }
                    ],
                ),
                stat(
                    "aria2",
                    "Whether every instance reached aria2 at its last RPC call.",
                    "none",
                    Query(f"min(bassa_aria2_up{{{job}}})"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "Oldest queued download",
                    "How long the oldest queued download has been waiting.",
                    "s",
                    Query(f"max(bassa_oldest_queued_download_age_seconds{{{job}}})"),
                    ((None, "green"), (3600, "orange")),
                ),
                stat(
                    "Failure ratio, 1 hour",
                    "Share of the downloads finished in the last hour that failed.",
                    "percentunit",
                    Query(f"job:bassa_download_failures_per_result:ratio_rate1h{{{job}}}"),
                    ((None, "green"), (0.25, "red")),
                ),
                stat(
                    "Users waiting for approval",
                    "Accounts in the pending state.",
                    "none",
                    Query(f'max(bassa_users{{{job}, state="pending"}})'),
                ),
                stat(
                    "aria2 restarts, 1 day",
                    "Times the managed aria2c was restarted in the last day.",
                    "none",
                    Query(f"sum(increase(bassa_aria2_restarts_total{{{job}}}[1d]))"),
                    ((None, "green"), (1, "orange")),
                ),
                timeseries(
                    "Downloads by status",
                    "Downloads in the database by status.",
                    "none",
                    Query(f"max by (status) (bassa_downloads{{{job}}})", "{{status}}"),
                ),
                timeseries(
                    "Finished downloads",
                    "Downloads finished per second, by outcome.",
                    "ops",
                    Query(
                        "sum by (outcome) (rate("
                        f"bassa_download_results_total{{{job}}}[$__rate_interval]))",
                        "{{outcome}}",
                    ),
                ),
                timeseries(
                    "Throughput",
                    "Bytes of completed downloads per second, over every instance.",
                    "Bps",
                    Query(f"job:bassa_downloaded_bytes:rate5m{{{job}}}", "bytes/s"),
                ),
                timeseries(
                    "Download duration",
                    "Time from start to finish of the downloads that finished, by quantile.",
                    "s",
                    *(
                        Query(
                            f"histogram_quantile({q}, sum by (le) (rate("
                            f"bassa_download_duration_seconds_bucket{{{job}}}[$__rate_interval])))",
                            f"p{round(q * 100)}",
                        )
                        for q in (0.5, 0.95)
                    ),
                    width=24,
                ),
            ),
        ),
        Row(
            "Disk",
            (
                timeseries(
                    "Downloads volume free",
                    "Free share of the downloads volume, per instance.",
                    "percentunit",
                    Query(f"instance:bassa_downloads_volume_free:ratio{{{job}}}", "{{instance}}"),
                    width=12,
                ),
                timeseries(
                    "Downloads volume free in 4 days",
                    "Free bytes now and as predicted in 4 days from the last 6 hours;"
                    " below 0 the volume fills up.",
                    "bytes",
                    Query(f"bassa_downloads_volume_free_bytes{{{job}}}", "now {{instance}}"),
                    Query(
                        "predict_linear("
                        f"bassa_downloads_volume_free_bytes{{{job}}}[6h], 4 * 86400)",
                        "in 4 days {{instance}}",
                    ),
                    width=12,
                ),
            ),
        ),
    )
    return _dashboard(
        "bassa-overview",
        "Bassa / Overview",
        "The Bassa service: SLO and error budget, requests, queue, downloads and disk.",
        [_variable("job", "Job", "label_values(bassa_build_info, job)")],
        rows,
    )


def instance() -> Json:
    sel = 'job="$job", instance="$instance"'
    rows = (
        Row(
            "Instance",
            (
                stat(
                    "Scrape",
                    "Whether Prometheus scraped this instance.",
                    "none",
                    Query(f"up{{{sel}}}"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "Version",
                    "The Bassa version this instance runs.",
                    "none",
                    Query(f"bassa_build_info{{{sel}}}", "{{version}}"),
                ),
                stat(
                    "Database",
                    "Whether this instance reached the database at its last scrape.",
                    "none",
                    Query(f"bassa_database_up{{{sel}}}"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "aria2",
                    "Whether this instance reached aria2 at its last RPC call.",
                    "none",
                    Query(f"bassa_aria2_up{{{sel}}}"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "Volume free",
                    "Free share of the downloads volume seen by this instance.",
                    "percentunit",
                    Query(f"instance:bassa_downloads_volume_free:ratio{{{sel}}}"),
                    ((None, "red"), (0.03, "orange"), (0.15, "green")),
                ),
                stat(
                    "Uptime",
                    "Time since the server process started.",
                    "s",
                    Query(f"time() - process_start_time_seconds{{{sel}}}"),
                ),
            ),
        ),
        Row(
            "Requests",
            (
                timeseries(
                    "Requests by route and status",
                    "Requests per second answered by this instance.",
                    "reqps",
                    Query(
                        "sum by (route, status) (rate("
                        f"bassa_http_requests_total{{{sel}}}[$__rate_interval]))",
                        "{{route}} {{status}}",
                    ),
                ),
                timeseries(
                    "p95 latency by route",
                    "95th percentile request duration of each route on this instance.",
                    "s",
                    Query(
                        "histogram_quantile(0.95, sum by (le, route) (rate("
                        f"bassa_http_request_duration_seconds_bucket{{{sel}}}[$__rate_interval])))",
                        "{{route}}",
                    ),
                ),
                timeseries(
                    "Requests in flight",
                    "Requests being handled by this instance.",
                    "none",
                    Query(f"bassa_http_requests_in_flight{{{sel}}}", "in flight"),
                ),
            ),
        ),
        Row(
            "Process",
            (
                timeseries(
                    "CPU",
                    "CPU seconds used per second by the server process.",
                    "percentunit",
                    Query(f"rate(process_cpu_seconds_total{{{sel}}}[$__rate_interval])", "cpu"),
                ),
                timeseries(
                    "Memory",
                    "Resident memory of the server process.",
                    "bytes",
                    Query(f"process_resident_memory_bytes{{{sel}}}", "resident"),
                ),
                timeseries(
                    "File descriptors",
                    "Open file descriptors against the process limit.",
                    "none",
                    Query(f"process_open_fds{{{sel}}}", "open"),
                    Query(f"process_max_fds{{{sel}}}", "limit"),
                ),
                timeseries(
                    "Downloads volume",
                    "Free and total bytes of the downloads volume.",
                    "bytes",
                    Query(f"bassa_downloads_volume_free_bytes{{{sel}}}", "free"),
                    Query(f"bassa_downloads_volume_size_bytes{{{sel}}}", "size"),
                    width=12,
                ),
                timeseries(
                    "Finished downloads",
                    "Downloads finished per second by this instance, by outcome.",
                    "ops",
                    Query(
                        "sum by (outcome) (rate("
                        f"bassa_download_results_total{{{sel}}}[$__rate_interval]))",
                        "{{outcome}}",
                    ),
                    width=12,
                ),
            ),
        ),
    )
    return _dashboard(
        "bassa-instance",
        "Bassa / Instance",
        "One Bassa API instance: health, requests, process resources and its downloads volume.",
        [
            _variable("job", "Job", "label_values(bassa_build_info, job)"),
            _variable(
                "instance", "Instance", 'label_values(bassa_build_info{job="$job"}, instance)'
            ),
        ],
        rows,
    )


def build() -> dict[str, Json]:
    """Every dashboard by its file name."""
    return {"bassa-overview.json": overview(), "bassa-instance.json": instance()}


def render(dashboard: Json) -> str:
    return json.dumps(dashboard, indent=2, sort_keys=True) + "\n"


def main() -> int:
    for name, dashboard in build().items():
        (OUTPUT_DIR / name).write_text(render(dashboard), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
