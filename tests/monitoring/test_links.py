"""Links into the published docs: every runbook_url is built from the one base URL setting and
lands on a section that docs/runbooks.md really has."""

from __future__ import annotations

import json
import re

from tests.monitoring._rules import alerts
from tests.monitoring._tools import DEPLOY, LINKS, ROOT, RUNBOOKS


def _anchors(markdown: str) -> set[str]:
    """The anchors the docs site gives the headings of a Markdown page."""
    return {LINKS.slug(heading) for heading in re.findall(r"^#{1,6} (.+?)#*$", markdown, re.M)}


def test_the_base_url_is_the_projects_published_docs() -> None:
    """The one setting points at this project's docs site, and runbooks live under it."""
    assert LINKS.docs_base_url() == "https://scorelab.github.io/bassa-sdk/"
    assert LINKS.runbook_url("BassaApiDown") == (
        "https://scorelab.github.io/bassa-sdk/runbooks/#bassaapidown"
    )


def test_every_file_is_stamped_from_the_setting() -> None:
    """No rule file or promtool test carries a runbook link from another base URL."""
    stale = [
        str(path.relative_to(ROOT))
        for path in LINKS.stamped_files()
        if LINKS.stamp(path.read_text(encoding="utf-8")) != path.read_text(encoding="utf-8")
    ]
    assert stale == [], "run python deploy/monitoring/links.py"
    assert len(LINKS.stamped_files()) >= 5


def test_every_runbook_url_lands_on_a_section_of_the_runbooks() -> None:
    """Each alert's runbook_url is its own anchor on the runbooks page, and that anchor exists."""
    anchors = _anchors(RUNBOOKS.read_text(encoding="utf-8"))
    names = set()
    for rule in alerts():
        url = rule.body["annotations"]["runbook_url"]
        assert url == LINKS.runbook_url(rule.name), rule.name
        assert url.split("#", 1)[1] in anchors, f"docs/runbooks.md has no section for {rule.name}"
        names.add(rule.name)
    assert len(names) >= 30


def test_promtool_expectations_point_at_existing_anchors() -> None:
    """The annotations the promtool tests expect are links to existing runbook sections."""
    anchors = _anchors(RUNBOOKS.read_text(encoding="utf-8"))
    checked = 0
    for path in LINKS.stamped_files():
        if "promtool" not in path.parts:
            continue
        for url in re.findall(r"runbook_url: (\S+)", path.read_text(encoding="utf-8")):
            base, anchor = url.split("#", 1)
            assert base == LINKS.page_url("runbooks"), path.name
            assert anchor in anchors, f"{path.name}: {url}"
            checked += 1
    assert checked >= 30


def test_anchor_slugs_match_the_docs_site() -> None:
    """Headings become anchors the way the docs site makes them (lower case, hyphens)."""
    assert LINKS.slug("BassaApiDown") == "bassaapidown"
    assert LINKS.slug("Backup and restore") == "backup-and-restore"
    assert LINKS.slug("The `migrate` step: once per rollout") == "the-migrate-step-once-per-rollout"


def test_dashboards_link_to_the_runbooks_page() -> None:
    """Every dashboard links to the runbooks page built from the same setting."""
    for path in sorted((DEPLOY / "monitoring" / "grafana" / "dashboards").glob("*.json")):
        links = json.loads(path.read_text(encoding="utf-8"))["links"]
        urls = [link["url"] for link in links if link["type"] == "link"]
        assert urls == [LINKS.page_url("runbooks")], path.name


def _dashboard_uids() -> set[str]:
    return {
        json.loads(path.read_text(encoding="utf-8"))["uid"]
        for path in (DEPLOY / "monitoring" / "grafana" / "dashboards").glob("*.json")
    }


def test_every_bassa_alert_opens_an_existing_dashboard() -> None:
    """Each Bassa alert's dashboard_url, built from the grafana-url setting, opens a dashboard
    the repository provisions; per-instance alerts open the instance dashboard."""
    uids = _dashboard_uids()
    checked = set()
    for rule in alerts():
        if not rule.name.startswith("Bassa"):
            continue
        url = rule.body["annotations"]["dashboard_url"]
        base, uid = url.rsplit("d/", 1)
        assert base == LINKS.grafana_base_url(), rule.name
        assert url == LINKS.dashboard_url(uid)
        assert uid in uids, f"{rule.name}: no dashboard {uid}"
        checked.add((rule.name, uid))
    assert ("BassaApiInstanceDown", "bassa-instance") in checked
    assert ("BassaApiDown", "bassa-overview") in checked
    assert len(checked) >= 14


def test_dashboard_links_follow_the_setting() -> None:
    """Changing the Grafana address rewrites every dashboard_url; a link that disagrees is stale."""
    stale = "        dashboard_url: https://grafana.old.example/d/bassa-overview\n"
    assert LINKS.stamp(stale) == (
        f"        dashboard_url: {LINKS.grafana_base_url()}d/bassa-overview\n"
    )
    assert LINKS.grafana_base_url() == "http://localhost:3000/"
