"""What a release carries: the GPL text, one version shared by both distributions, a changelog
section for it, metadata pointing at this project, an SDK without the server; and the dry run
(scripts/release-check) that builds, checks and installs both distributions as a user would."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import tomllib
from types import ModuleType
from typing import Any

import pytest

from tests.monitoring._tools import ROOT, run

# the SHA-256 of the GNU GPL version 3 text as the FSF publishes it (gpl-3.0.txt), which is the
# text Debian ships as /usr/share/common-licenses/GPL-3
GPL3_SHA256 = "3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986"
REPOSITORY = "https://github.com/scorelab/bassa-sdk"


def _project(path: str) -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / path).read_text(encoding="utf-8"))["project"]
    return project


def _release_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "release_check", ROOT / "scripts" / "_release_check.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SDK = _project("pyproject.toml")
SERVER = _project("packaging/bassa-server/pyproject.toml")


def test_license_is_the_full_gpl3_text() -> None:
    """LICENSE is the unmodified GPL-3.0 text, and both distributions declare it."""
    assert hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() == GPL3_SHA256
    for project in (SDK, SERVER):
        assert project["license"] == "GPL-3.0-or-later"
        assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "packaging" / "bassa-server" / "LICENSE").resolve() == ROOT / "LICENSE"


def test_both_distributions_release_one_version() -> None:
    """The server's version, its bassa-sdk pin and the SDK's server extra all name the SDK's
    version, so one release is one version everywhere."""
    version = SDK["version"]
    assert SERVER["version"] == version
    assert f"bassa-sdk=={version}" in SERVER["dependencies"]
    assert SDK["optional-dependencies"]["server"] == [f"bassa-server=={version}"]
    assert f"ARG VERSION={version}\n" in (ROOT / "Containerfile").read_text(encoding="utf-8")


def test_changelog_has_a_dated_section_for_the_version() -> None:
    """CHANGELOG.md has a dated section for the version being released, under Unreleased."""
    check = _release_check()
    assert check.changelog_has(SDK["version"])
    assert not check.changelog_has("999.0.0")
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.index("## [Unreleased]") < text.index(f"## [{SDK['version']}]")
    assert f"[{SDK['version']}]: {REPOSITORY}/releases/tag/v{SDK['version']}" in text


def test_the_sdk_does_not_depend_on_the_server_stack() -> None:
    """Installing the SDK pulls no web server, database layer or pydantic; the server's
    distribution carries those, and the bassa-server command comes only with it."""
    names = {re.split(r"[\s<>=\[;]", req, maxsplit=1)[0].lower() for req in SDK["dependencies"]}
    assert not names & {"starlette", "uvicorn", "sqlalchemy", "alembic", "pydantic", "bassa-server"}
    assert set(SDK["scripts"]) == {"bassa"}
    assert set(SERVER["scripts"]) == {"bassa-server"}
    packaged = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert not any(p.startswith("bassa_server") for p in packaged["packages"]["find"]["include"])


@pytest.mark.parametrize("project", [SDK, SERVER], ids=["bassa-sdk", "bassa-server"])
def test_metadata_points_at_this_project(project: dict[str, Any]) -> None:
    """Each distribution links its docs, issues, changelog and source, all of this project, and
    says which Pythons it supports and that it is beta."""
    urls = project["urls"]
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog"} <= set(urls)
    assert urls["Source"] == REPOSITORY
    assert urls["Issues"] == f"{REPOSITORY}/issues"
    assert urls["Changelog"] == f"{REPOSITORY}/blob/main/CHANGELOG.md"
    assert urls["Documentation"].startswith(SDK["urls"]["Documentation"])
    classifiers = project["classifiers"]
    assert [c for c in classifiers if re.fullmatch(r".*:: 3\.\d+", c)] == [
        f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13)
    ]
    assert "Development Status :: 4 - Beta" in classifiers
    assert project["requires-python"] == ">=3.11"


@pytest.mark.slow
@pytest.mark.integration
def test_release_dry_run_builds_checks_and_installs_both() -> None:
    """scripts/release-check builds both distributions, twine accepts them, and the SDK wheel
    alone gives a working `bassa` without any bassa_server."""
    result = run(str(ROOT / "scripts" / "release-check"), timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "archives of " in output
    assert "import bassa_server: absent" in output
    assert "bassa-server --help: ok" in output
    assert output.rstrip().endswith("release check passed")
