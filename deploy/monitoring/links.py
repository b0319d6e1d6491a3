"""Links from alerts and dashboards into the published docs, built from one setting.

The setting is `Documentation` under `[project.urls]` in pyproject.toml: the base URL of the docs
site. The site publishes `docs/<page>.md` at `<base><page>/` and gives each heading the anchor
Python-Markdown's table of contents makes (MkDocs' default slug: the text in lower case, without
punctuation, spaces as hyphens), so the runbook of the alert `BassaApiDown` is
`<base>runbooks/#bassaapidown`.

The alerts' `dashboard_url` annotations open a Grafana dashboard, `<grafana>d/<uid>`, built the same
way from a second setting: `grafana-url` under `[tool.bassa.monitoring]` in pyproject.toml, where
the operators' Grafana is reached (by default the port-forward docs/deploy.md describes).

Prometheus rule files cannot read a setting, so their `runbook_url` and `dashboard_url`
annotations (and the expected annotations in the promtool tests) are written out in full. After
changing a setting, run `python deploy/monitoring/links.py` to rewrite them (and
`build_dashboards.py` for the dashboards); `--check` only reports stale files.
tests/monitoring/test_links.py fails while any link is stale or points at an anchor
docs/runbooks.md does not have.
"""

from __future__ import annotations

import re
import sys
import tomllib
import unicodedata
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
RUNBOOKS_PAGE = "runbooks"
# the files whose runbook_url and dashboard_url lines are written from the settings
STAMPED_GLOBS = ("deploy/monitoring/prometheus/rules/*.yml", "tests/monitoring/promtool/*_test.yml")
RUNBOOK_LINE = re.compile(
    r"^(?P<lead>\s*runbook_url: )(?P<url>\S*?)#(?P<anchor>[\w-]+)[ \t]*$", re.M
)
DASHBOARD_LINE = re.compile(
    r"^(?P<lead>\s*dashboard_url: )(?P<url>\S*?)d/(?P<uid>[\w-]+)[ \t]*$", re.M
)


def docs_base_url() -> str:
    """The published docs' base URL, ending in a slash."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    url: str = project["urls"]["Documentation"]
    if not url.startswith("https://") or not url.endswith("/"):
        raise ValueError(f"[project.urls] Documentation must be https://…/, not {url!r}")
    return url


def grafana_base_url() -> str:
    """Where operators open Grafana, ending in a slash."""
    tool = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]
    url: str = tool["bassa"]["monitoring"]["grafana-url"]
    if not url.startswith(("https://", "http://")) or not url.endswith("/"):
        raise ValueError(f"[tool.bassa.monitoring] grafana-url must be http(s)://…/, not {url!r}")
    return url


def dashboard_url(uid: str) -> str:
    """The link that opens the Grafana dashboard `uid`."""
    return f"{grafana_base_url()}d/{uid}"


def page_url(page: str) -> str:
    """Where the docs site publishes docs/<page>.md."""
    return f"{docs_base_url()}{page}/"


def slug(heading: str) -> str:
    """The anchor Python-Markdown's toc extension (MkDocs' default) gives a heading."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def runbook_url(alertname: str) -> str:
    """The runbook link of an alert: its section of docs/runbooks.md on the docs site."""
    return f"{page_url(RUNBOOKS_PAGE)}#{slug(alertname)}"


def stamped_files() -> list[Path]:
    """Every file whose runbook links are written from the setting."""
    return sorted(path for pattern in STAMPED_GLOBS for path in ROOT.glob(pattern))


def stamp(text: str) -> str:
    """`text` with every runbook_url pointing into the runbooks page of the docs site and every
    dashboard_url at the dashboard of its uid in Grafana."""
    base = page_url(RUNBOOKS_PAGE)
    text = RUNBOOK_LINE.sub(lambda match: f"{match['lead']}{base}#{match['anchor']}", text)
    return DASHBOARD_LINE.sub(lambda match: f"{match['lead']}{dashboard_url(match['uid'])}", text)


def main(argv: Sequence[str]) -> int:
    check = list(argv) == ["--check"]
    stale = []
    for path in stamped_files():
        text = path.read_text(encoding="utf-8")
        stamped = stamp(text)
        if stamped != text:
            stale.append(path)
            if not check:
                path.write_text(stamped, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if check else 'rewrote'}: {path.relative_to(ROOT)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
