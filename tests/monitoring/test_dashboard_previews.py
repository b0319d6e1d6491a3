"""The dashboard pictures in docs/images/: one per dashboard, drawn from the panels the dashboard
has now (scripts/dashboard-previews redraws them from a live Prometheus), shown in
docs/monitoring.md; the drawing itself works on any answer, including a stat with no sample."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.monitoring._tools import DASHBOARDS_DIR, ROOT


def _previews() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dashboard_previews", ROOT / "scripts" / "_dashboard_previews.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up while it is defined
    spec.loader.exec_module(module)
    return module


PREVIEWS = _previews()
DASHBOARDS = [
    json.loads(p.read_text(encoding="utf-8")) for p in sorted(DASHBOARDS_DIR.glob("*.json"))
]


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=[d["uid"] for d in DASHBOARDS])
def test_each_dashboard_has_a_current_picture(dashboard: dict[str, object]) -> None:
    """The picture of each dashboard was drawn from its current panels and queries; after a
    dashboard changes, scripts/dashboard-previews must redraw it."""
    png = PREVIEWS.image_path(dashboard)
    assert png.is_file(), f"run scripts/dashboard-previews: {png.name} is missing"
    assert PREVIEWS.read_signature(png) == PREVIEWS.signature(dashboard), (
        f"{png.name} shows another version of the dashboard: run scripts/dashboard-previews"
    )


def test_the_monitoring_page_shows_every_picture() -> None:
    """docs/monitoring.md shows the picture of every dashboard."""
    page = (ROOT / "docs" / "monitoring.md").read_text(encoding="utf-8")
    for dashboard in DASHBOARDS:
        assert f"(images/{PREVIEWS.image_path(dashboard).name})" in page


def test_drawing_records_the_panels_and_shows_no_value_text(tmp_path: Path) -> None:
    """A picture drawn from Prometheus' answers records the dashboard it shows, and a stat with
    no sample (the failure ratio while nothing finished) says its no-value text, not NaN."""
    (overview,) = [d for d in DASHBOARDS if d["uid"] == "bassa-overview"]
    (ratio,) = [p for p in overview["panels"] if p["title"] == "Failure ratio, 1 hour"]
    assert ratio["fieldConfig"]["defaults"]["noValue"] == "none finished"
    answers = {
        panel["id"]: [
            [({"route": "/api/login"}, [(0.0, 1.0), (60.0, 2.0)])] for _ in panel["targets"]
        ]
        for panel in overview["panels"]
        if "targets" in panel and panel["id"] != ratio["id"]
    }
    answers[ratio["id"]] = [[]]
    out = tmp_path / "overview.png"
    PREVIEWS.draw(overview, PREVIEWS.Results(answers, 0.0, 60.0), out)
    assert out.read_bytes().startswith(b"\x89PNG")
    assert PREVIEWS.read_signature(out) == PREVIEWS.signature(overview)


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.25, "percentunit", "25 %"),
        (3 * 1024 * 1024, "Bps", "3 MiB/s"),
        (0.0123, "s", "12.3 ms"),
        (7200, "s", "2 hour"),
        (4, "none", "4"),
        (float("nan"), "percentunit", "NaN"),
    ],
)
def test_values_are_printed_as_grafana_units(value: float, unit: str, shown: str) -> None:
    """Values carry their panel's unit as Grafana prints it."""
    assert PREVIEWS.format_value(value, unit) == shown
