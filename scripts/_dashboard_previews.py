"""Pictures of the Grafana dashboards, drawn from a real Prometheus scraping a real Bassa server.

No Grafana runs here, so this does what Grafana would: it starts a Bassa server (with its managed
aria2c and egress proxy) and Debian's Prometheus with the repository's recording and alert rules
on loopback, drives a few minutes' worth of traffic through the SDK (sign-ups, queued links, some
that fail, a queue run, listings, bad passwords), then evaluates every panel's PromQL (instant
queries for stats, range queries for time series, the dashboard variables filled in) and draws
each dashboard on its Grafana grid with matplotlib. The pictures go to docs/images/ and record
which panels they show (PNG text chunk `Bassa-Dashboard`), so tests/monitoring/
test_dashboard_previews.py can tell a stale picture from a current one.

    scripts/dashboard-previews [--seconds N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "deploy" / "monitoring" / "grafana" / "dashboards"
IMAGES = ROOT / "docs" / "images"
METADATA_KEY = "Bassa-Dashboard"
RATE_INTERVAL = "15s"
STEP_SECONDS = 2

BACKGROUND = "#111217"
PANEL = "#181b1f"
BORDER = "#2a2d33"
TEXT = "#ccccdc"
MUTED = "#8e8e99"
COLORS = {"green": "#73bf69", "red": "#f2495c", "orange": "#ff9830", "yellow": "#fade2a"}
SERIES = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#705da0"]

Json = dict[str, Any]


def image_path(dashboard: Json) -> Path:
    """Where the picture of `dashboard` lives."""
    return IMAGES / f"dashboard-{dashboard['uid']}.png"


def signature(dashboard: Json) -> Json:
    """What a picture records of its dashboard: the title and each panel's title and queries."""
    return {
        "uid": dashboard["uid"],
        "title": dashboard["title"],
        "panels": [
            [panel["title"], [target["expr"] for target in panel.get("targets", [])]]
            for panel in dashboard["panels"]
        ],
    }


def read_signature(png: Path) -> Json | None:
    """The signature a picture was drawn from (its PNG text chunk), or None."""
    data = png.read_bytes()
    position = 8
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            if key.decode("latin-1") == METADATA_KEY:
                found: Json = json.loads(value.decode("latin-1"))
                return found
        position += 12 + length
    return None


def load_dashboards() -> list[Json]:
    return [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(DASHBOARDS.glob("*.json"))
    ]


# -- values as Grafana shows them ------------------------------------------------------------


def _si(
    value: float, unit: str, base: float = 1000.0, units: Sequence[str] = ("", "k", "M", "G", "T")
) -> str:
    index = 0
    while abs(value) >= base and index < len(units) - 1:
        value /= base
        index += 1
    return f"{value:.3g} {units[index]}{unit}".rstrip()


def format_value(value: float, unit: str) -> str:
    """`value` in `unit` the way a Grafana panel prints it."""
    if math.isnan(value):
        return "NaN"
    if unit == "percentunit":
        return f"{value * 100:.3g} %"
    if unit == "s":
        if abs(value) < 1:
            return f"{value * 1000:.3g} ms"
        for size, name in ((86400, "day"), (3600, "hour"), (60, "min")):
            if abs(value) >= size:
                return f"{value / size:.3g} {name}"
        return f"{value:.3g} s"
    if unit in ("bytes", "Bps"):
        text = _si(value, "B", 1024.0, ("", "Ki", "Mi", "Gi", "Ti"))
        return text + ("/s" if unit == "Bps" else "")
    if unit == "reqps":
        return f"{value:.3g} req/s"
    if unit == "ops":
        return f"{value:.3g} ops/s"
    return f"{value:.4g}" if value != int(value) or abs(value) >= 1e6 else str(int(value))


def _threshold_color(defaults: Json, value: float) -> str:
    color = "green"
    for step in defaults.get("thresholds", {}).get("steps", []):
        if step["value"] is None or value >= step["value"]:
            color = step["color"]
    return COLORS.get(color, color)


def _mapped(defaults: Json, value: float) -> tuple[str, str] | None:
    for mapping in defaults.get("mappings", []):
        option = mapping.get("options", {}).get(format_value(value, "none"))
        if mapping.get("type") == "value" and option:
            return option["text"], COLORS.get(option.get("color", ""), option.get("color", TEXT))
    return None


def _legend(template: str, labels: Mapping[str, str]) -> str:
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m[1], ""), template)
    return text or "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items() if k != "__name__") + "}"


# -- drawing ---------------------------------------------------------------------------------


@dataclass
class Results:
    """What Prometheus answered: per panel id, per target, a list of (labels, points)."""

    series: dict[int, list[list[tuple[dict[str, str], list[tuple[float, float]]]]]]
    start: float
    end: float


def draw(dashboard: Json, results: Results, out: Path) -> None:
    """Draw `dashboard` with `results` on its grid into the PNG `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    unit_w, unit_h = 0.62, 0.36  # inches per grid column and row
    top = 0.55
    width, height = 24 * unit_w, rows * unit_h + top
    figure = plt.figure(figsize=(width, height), dpi=80, facecolor=BACKGROUND)
    span = (
        time.strftime("%H:%M:%S", time.gmtime(results.start))
        + " to "
        + time.strftime("%H:%M:%S UTC", time.gmtime(results.end))
    )
    figure.text(
        0.008,
        1 - 0.3 / height,
        dashboard["title"],
        color=TEXT,
        fontsize=14,
        weight="bold",
        va="center",
    )
    figure.text(
        0.992,
        1 - 0.3 / height,
        f"live Prometheus, {span}",
        color=MUTED,
        fontsize=9,
        ha="right",
        va="center",
    )
    pad = 0.06
    for panel in panels:
        grid = panel["gridPos"]
        left = (grid["x"] * unit_w + pad) / width
        bottom = 1 - (top + (grid["y"] + grid["h"]) * unit_h - pad) / height
        box_w = (grid["w"] * unit_w - 2 * pad) / width
        box_h = (grid["h"] * unit_h - 2 * pad) / height
        if panel["type"] == "row":
            figure.text(
                left,
                bottom + box_h / 2,
                panel["title"],
                color=TEXT,
                fontsize=11,
                weight="bold",
                va="center",
            )
            continue
        defaults = panel.get("fieldConfig", {}).get("defaults", {})
        unit = defaults.get("unit", "none")
        data = results.series.get(panel["id"], [])
        title_h = 0.32 / height
        figure.patches.append(
            matplotlib.patches.FancyBboxPatch(
                (left, bottom),
                box_w,
                box_h,
                boxstyle="round,pad=0,rounding_size=0.002",
                transform=figure.transFigure,
                zorder=-10,
                facecolor=PANEL,
                edgecolor=BORDER,
                linewidth=0.8,
            )
        )
        figure.text(
            left + 0.004,
            bottom + box_h - title_h / 2,
            panel["title"],
            color=TEXT,
            fontsize=9.5,
            va="center",
        )
        if panel["type"] == "stat":
            _draw_stat(figure, defaults, unit, data, (left, bottom, box_w, box_h - title_h))
        else:
            axes = figure.add_axes(
                (
                    left + 0.035,
                    bottom + 0.42 / height + 0.3 / height,
                    box_w - 0.045,
                    box_h - title_h - 0.85 / height,
                )
            )
            _draw_timeseries(axes, panel, unit, data, results, FuncFormatter)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(
        out,
        facecolor=BACKGROUND,
        metadata={METADATA_KEY: json.dumps(signature(dashboard), sort_keys=True)},
    )
    plt.close(figure)


def _draw_stat(
    figure: Any, defaults: Json, unit: str, data: list[Any], box: tuple[float, float, float, float]
) -> None:
    left, bottom, width, height = box
    values = [points[-1][1] for target in data for _, points in target if points]
    if not values:
        text, color = defaults.get("noValue", "No data"), MUTED
    else:
        value = values[0]
        mapped = _mapped(defaults, value)
        text, color = (
            mapped if mapped else (format_value(value, unit), _threshold_color(defaults, value))
        )
    figure.patches.append(
        __import__("matplotlib").patches.Rectangle(
            (left + 0.003, bottom + 0.004),
            width - 0.006,
            height - 0.004,
            transform=figure.transFigure,
            zorder=-5,
            facecolor=color if values else PANEL,
            alpha=0.85 if values else 1,
        )
    )
    figure.text(
        left + width / 2,
        bottom + height / 2,
        text,
        color="#ffffff" if values else MUTED,
        fontsize=18 if len(text) < 12 else 13,
        weight="bold",
        ha="center",
        va="center",
    )


def _draw_timeseries(
    axes: Any, panel: Json, unit: str, data: list[Any], results: Results, formatter: Any
) -> None:
    axes.set_facecolor(PANEL)
    for spine in axes.spines.values():
        spine.set_color(BORDER)
    axes.tick_params(colors=MUTED, labelsize=7)
    axes.grid(color=BORDER, linewidth=0.6)
    axes.yaxis.set_major_formatter(formatter(lambda v, _: format_value(v, unit)))
    axes.xaxis.set_major_formatter(
        formatter(lambda v, _: time.strftime("%H:%M:%S", time.gmtime(v)))
    )
    axes.set_xlim(results.start, results.end)
    color = 0
    for target, lines in zip(panel.get("targets", []), data, strict=False):
        for labels, points in lines:
            finite = [(t, v) for t, v in points if not math.isnan(v) and not math.isinf(v)]
            if not finite:
                continue
            times, values = zip(*finite, strict=True)
            axes.plot(
                times,
                values,
                color=SERIES[color % len(SERIES)],
                linewidth=1.4,
                label=_legend(target.get("legendFormat", ""), labels),
            )
            color += 1
    if color == 0:
        axes.text(
            0.5,
            0.5,
            "No data",
            color=MUTED,
            fontsize=11,
            ha="center",
            va="center",
            transform=axes.transAxes,
        )
        axes.set_yticks([])
    else:
        axes.set_ylim(bottom=min(0, axes.get_ylim()[0]))
        axes.legend(
            loc="upper left",
            bbox_to_anchor=(0, -0.13),
            ncol=4,
            fontsize=6.5,
            frameon=False,
            labelcolor=TEXT,
            handlelength=1.2,
            columnspacing=1.0,
        )


# -- the live stack and its traffic ----------------------------------------------------------


def _expand(expr: str, variables: Mapping[str, str]) -> str:
    expr = expr.replace("$__rate_interval", RATE_INTERVAL)
    for name, value in variables.items():
        expr = expr.replace(f"${name}", value)
    return expr


def query(
    prometheus: str, dashboard: Json, variables: Mapping[str, str], start: float, end: float
) -> Results:
    """Evaluate every panel's queries: the last value for a stat, the window for a time series."""
    import httpx

    series: dict[int, list[list[tuple[dict[str, str], list[tuple[float, float]]]]]] = {}
    for panel in dashboard["panels"]:
        answers = []
        for target in panel.get("targets", []):
            expr = _expand(target["expr"], variables)
            if panel["type"] == "stat":
                reply = httpx.get(
                    f"{prometheus}/api/v1/query", params={"query": expr, "time": end}, timeout=10
                )
            else:
                params = {"query": expr, "start": start, "end": end, "step": STEP_SECONDS}
                reply = httpx.get(f"{prometheus}/api/v1/query_range", params=params, timeout=10)
            body = reply.json()
            if body.get("status") != "success":
                raise RuntimeError(f"{panel['title']}: {expr}: {body}")
            lines = []
            for item in body["data"]["result"]:
                pairs = item.get("values") or [item["value"]]
                lines.append((dict(item["metric"]), [(float(t), float(v)) for t, v in pairs]))
            answers.append(lines)
        series[panel["id"]] = answers
    return Results(series, start, end)


@contextmanager
def live_stack(work: Path) -> Iterator[tuple[Any, Any, Any]]:
    """A Bassa server, a file server and Prometheus (the repository's rules) on loopback."""
    sys.path.insert(0, str(ROOT))
    from tests.file_server import FileServer
    from tests.live_server import LiveServer
    from tests.monitoring import _live

    with ExitStack() as stack:
        server = LiveServer(data_dir=work / "server")
        server.start()
        stack.callback(server.stop)
        files = FileServer()
        files.start()
        stack.callback(files.stop)
        rules = work / "rules"
        rules.mkdir()
        config = _live.write_prometheus_config(
            work, _live.write_rules(rules), _live.free_port(), f"127.0.0.1:{server.port}"
        )
        prometheus = _live.prometheus(_tool("prometheus"), config, work)
        prometheus.start()
        stack.callback(prometheus.stop)
        yield server, files, prometheus


def _tool(name: str) -> str:
    import shutil

    found = shutil.which(name) or (
        f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None
    )
    if found is None:
        raise SystemExit(f"{name} is not installed: run scripts/setup server,dev")
    return found


def traffic(server: Any, files: Any, seconds: float) -> None:
    """What a small team does with Bassa for a while, through the SDK."""
    from bassa_sdk import Bassa, BassaError

    sizes = [3, 5, 8, 4, 6, 2]
    links = [
        files.add(f"previews/file-{index}.bin", os.urandom(size << 20), bytes_per_second=3 << 20)
        for index, size in enumerate(sizes)
    ]
    links += [f"{files.url}/previews/missing-{index}.bin" for index in range(2)]
    # the stranger's wrong passwords are not retried: after a few, the server throttles logins
    with (
        Bassa(base_url=server.url) as admin,
        Bassa(base_url=server.url, max_attempts=1) as stranger,
    ):
        admin.session.login(server.admin_user, server.admin_password)
        for index in range(3):
            stranger.session.sign_up(
                f"preview{index}", "a-long-password-1", f"preview{index}@example.org"
            )
        created = [admin.downloads.add(link) for link in links[:4]]
        admin.queue.start(key=server.server_key)
        deadline = time.monotonic() + seconds
        added = False
        rounds = 0
        while time.monotonic() < deadline:
            rounds += 1
            admin.downloads.list(1)
            for item in created:
                with contextlib.suppress(BassaError):
                    admin.downloads.status(item.id)
            if rounds % 10 == 0:
                with contextlib.suppress(BassaError):
                    stranger.session.login("preview0", "not-the-password")
            if not added and time.monotonic() > deadline - seconds / 2:
                created += [admin.downloads.add(link) for link in links[4:]]
                added = True
            time.sleep(0.5)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120, help="how long the traffic runs")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="bassa-previews-") as scratch,
        live_stack(Path(scratch)) as stack,
    ):
        server, files, prometheus = stack
        print(
            f"server {server.url}, Prometheus {prometheus.url}: {args.seconds:.0f} s of traffic",
            file=sys.stderr,
        )
        start = time.time()
        traffic(server, files, args.seconds)
        time.sleep(3)  # the last scrape and rule evaluation
        end = time.time()
        variables = {"job": "bassa-api", "instance": f"127.0.0.1:{server.port}"}
        for dashboard in load_dashboards():
            out = image_path(dashboard)
            draw(dashboard, query(prometheus.url, dashboard, variables, start, end), out)
            print(f"wrote {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
