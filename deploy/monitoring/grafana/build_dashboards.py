"""Build the Bassa Grafana dashboards as Classic dashboard JSON (schemaVersion 41).

The dashboards are code (`_overview.py`, `_instance.py`, in the model of `_grafana.py`) so that
a panel is one call and the layout is computed; the JSON files in dashboards/ are what Grafana
provisions. `python build_dashboards.py` rewrites them, and tests/monitoring checks that the
committed files equal what this script builds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _grafana import Json, render
from _instance import instance
from _overview import overview

OUTPUT_DIR = Path(__file__).resolve().parent / "dashboards"


def build() -> dict[str, Json]:
    """Every dashboard by its file name."""
    return {"bassa-overview.json": overview(), "bassa-instance.json": instance()}


def main() -> int:
    for name, dashboard in build().items():
        (OUTPUT_DIR / name).write_text(render(dashboard), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
