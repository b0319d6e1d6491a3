"""The docs site: mkdocs builds it with --strict (a broken link or anchor fails), the runbooks sit
where the alerts' links point, the API reference covers the SDK's public names, and the spec page
serves the spec with the Swagger UI the site ships itself."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

import bassa_sdk
from tests.monitoring._tools import LINKS, ROOT, RULE_FILES, run, tool


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as the docs workflow builds it (mkdocs build --strict)."""
    out = tmp_path_factory.mktemp("site")
    result = run(tool("mkdocs"), "build", "--strict", "--site-dir", str(out), cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def test_strict_build_rejects_a_broken_link(tmp_path: Path) -> None:
    """The strict build really checks links: a page linking to a missing page fails it."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\n[gone](missing.md)\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nstrict: true\n", encoding="utf-8")
    result = run(tool("mkdocs"), "build", "--strict", cwd=tmp_path, timeout=120)
    assert result.returncode != 0
    assert "missing.md" in result.stderr


def test_every_alerts_runbook_anchor_exists_on_the_published_page(site: Path) -> None:
    """Each alert's runbook_url names an anchor that the built runbooks page really has, at the
    path the link points to."""
    base = LINKS.page_url(LINKS.RUNBOOKS_PAGE)
    page = site / base.removeprefix(LINKS.docs_base_url()) / "index.html"
    ids = _ids(page)
    urls = re.findall(r"runbook_url: (\S+)", "".join(p.read_text() for p in RULE_FILES))
    assert urls
    for url in urls:
        assert url.startswith(base)
        assert url.split("#", 1)[1] in ids, url


def test_api_reference_documents_every_public_name(site: Path) -> None:
    """Every name bassa_sdk exports has its own entry on the API reference page."""
    ids = _ids(site / "reference" / "index.html")
    # `__version__` is read from the installed metadata on first use, so it has no entry of its
    # own: the page's introduction names it
    names = [name for name in bassa_sdk.__all__ if name != "__version__"]
    missing = [name for name in names if f"bassa_sdk.{name}" not in ids]
    assert not missing
    page = (site / "reference" / "index.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "bassa_sdk.__version__" in text
    for documented in (bassa_sdk.Bassa, bassa_sdk.BassaError):
        assert documented.__doc__ is not None
        assert documented.__doc__.splitlines()[0].strip().replace("`", "") in text


def test_spec_page_serves_the_spec_with_bundled_swagger_ui(site: Path) -> None:
    """The spec page embeds Swagger UI from the site's own assets, reading the spec the site
    publishes byte for byte, with nothing loaded from another host."""
    assert (site / "openapi.yaml").read_bytes() == (ROOT / "openapi" / "bassa.yaml").read_bytes()
    page = (site / "api" / "index.html").read_text(encoding="utf-8")
    (frame,) = re.findall(r'<iframe[^>]+src="([^"]+)"', page)
    viewer = (site / "api" / frame).read_text(encoding="utf-8")
    assert "openapi.yaml" in viewer
    scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', viewer)
    assert any("swagger-ui-bundle.js" in src for src in scripts)
    for src in scripts:
        assert not src.startswith(("http:", "https:", "//")), src
        assert (site / "api" / src.split("?")[0]).resolve().is_file(), src


def test_pages_fetch_no_fonts_or_scripts_from_other_hosts(site: Path) -> None:
    """No page of the site loads a font, stylesheet or script from a CDN."""
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        loaded = re.findall(r'<script[^>]+src="([^"]+)"', text) + [
            href
            for tag in re.findall(r"<link[^>]+>", text)
            if re.search(r'rel="(?:stylesheet|preconnect|preload|icon)"', tag)
            for href in re.findall(r'href="([^"]+)"', tag)
        ]
        assert loaded
        remote = [url for url in loaded if url.startswith(("http:", "https:", "//"))]
        assert not remote, f"{page.relative_to(site)}: {remote}"
