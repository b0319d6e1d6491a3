"""Grafana dashboards: the committed JSON is what build_dashboards.py builds, in the Classic
model at schemaVersion 41, with stable unique uids, a datasource variable used by every panel,
units, and valid PromQL in every target."""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType
from typing import Any

import pytest

from tests.monitoring._metric_names import names_in
from tests.monitoring._tools import DASHBOARDS_DIR, MONITORING, run, tool


def _builder() -> ModuleType:
    """build_dashboards.py, imported the way it runs: with its folder on sys.path."""
    folder = str(MONITORING / "grafana")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module("build_dashboards")


BUILDER = _builder()
DASHBOARDS: dict[str, dict[str, Any]] = {
    path.name: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(DASHBOARDS_DIR.glob("*.json"))
}


def test_committed_dashboards_are_the_built_ones() -> None:
    """Every committed dashboard file equals the builder's output, and there is no other."""
    built = BUILDER.build()
    assert set(built) == set(DASHBOARDS)
    for name, dashboard in built.items():
        committed = (DASHBOARDS_DIR / name).read_text(encoding="utf-8")
        assert committed == BUILDER.render(dashboard), f"{name}: run build_dashboards.py"


def test_kustomize_provisions_every_dashboard() -> None:
    """The Grafana dashboards ConfigMap carries every dashboard file."""
    result = run(tool("kubectl"), "kustomize", str(MONITORING))
    assert result.returncode == 0, result.stderr
    for name in DASHBOARDS:
        assert f"  {name}: |" in result.stdout


def test_uids_are_stable_and_unique() -> None:
    """Each dashboard has its own fixed uid and lets Grafana assign the numeric id."""
    uids = [dashboard["uid"] for dashboard in DASHBOARDS.values()]
    assert sorted(uids) == ["bassa-instance", "bassa-overview"]
    assert all(dashboard.get("id") is None for dashboard in DASHBOARDS.values())


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_model(name: str) -> None:
    """Classic model at schemaVersion 41; panels have unique ids, stay on the 24-column grid,
    use the datasource variable, carry a unit and a description, and query valid PromQL."""
    dashboard = DASHBOARDS[name]
    assert 39 <= dashboard["schemaVersion"] <= 41
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["description"], panel["title"]
        assert panel["fieldConfig"]["defaults"]["unit"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert ref_ids and len(set(ref_ids)) == len(ref_ids) and all(ref_ids), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            names = names_in(target["expr"])
            assert names, panel["title"]
            # counters are only read through rate() or increase()
            for counter in (n for n in names if n.endswith("_total")):
                assert (
                    f"rate({counter}" in target["expr"] or f"increase({counter}" in target["expr"]
                ), panel["title"]


def test_overview_covers_red_slo_queue_downloads_and_disk() -> None:
    """The overview has the sections the operators look for, the instance view its variable."""
    rows = [p["title"] for p in DASHBOARDS["bassa-overview.json"]["panels"] if p["type"] == "row"]
    assert [row.split(" ")[0] for row in rows] == ["Service", "Requests", "Queue", "Disk"]
    variables = DASHBOARDS["bassa-instance.json"]["templating"]["list"]
    assert [variable["name"] for variable in variables] == ["datasource", "job", "instance"]
