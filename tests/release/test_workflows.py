"""The CI, release and docs workflows: CI runs the same ./scripts/test, a version tag publishes
both distributions to PyPI by trusted publishing after the release check, and the docs site is
built strictly and deployed to GitHub Pages from main. actionlint checks them all
(tests/image/test_workflow.py::test_actionlint_accepts_the_workflows)."""

from __future__ import annotations

from typing import Any

import yaml

from tests.monitoring._tools import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str) -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return workflow


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def test_ci_runs_the_test_script_on_every_supported_python() -> None:
    """CI runs ./scripts/test on pushes to main and pull requests, on Python 3.11, 3.12 and 3.13,
    the versions the classifiers promise."""
    workflow = _load("ci.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"] == {"branches": ["main"]}
    assert "pull_request" in triggers
    (job,) = workflow["jobs"].values()
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    assert "./scripts/test" in _runs(job)
    assert workflow["permissions"] == {"contents": "read"}


def test_release_publishes_a_version_tag_by_trusted_publishing() -> None:
    """A v-tag builds and checks both distributions with scripts/release-check, then publishes
    them through PyPI's trusted publishing: only that job may mint an OIDC token, and no password
    or API token is passed."""
    workflow = _load("release.yml")
    assert workflow[True]["push"] == {"tags": ["v*.*.*"]}
    jobs = workflow["jobs"]
    assert "./scripts/release-check dist" in _runs(jobs["build"])
    assert "CHANGELOG.md" in _runs(jobs["build"])
    publish = jobs["publish"]
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    (step,) = [s for s in publish["steps"] if s.get("uses", "").startswith("pypa/")]
    assert step["uses"] == "pypa/gh-action-pypi-publish@release/v1"
    assert not {"password", "user"} & set(step.get("with", {}))
    others = [job for name, job in jobs.items() if name != "publish"]
    assert all("id-token" not in job.get("permissions", {}) for job in others)
    assert workflow["permissions"] == {"contents": "read"}


def test_release_tags_the_go_module_with_the_same_version() -> None:
    """The Go module gets its go/vX.Y.Z tag at the released commit once PyPI took the release."""
    job = _load("release.yml")["jobs"]["github-release"]
    assert "publish" in job["needs"]
    script = _runs(job)
    assert 'git tag "go/v$VERSION" "$GITHUB_SHA"' in script
    assert "gh release create" in script


def test_docs_are_built_strictly_and_deployed_from_main_only() -> None:
    """The docs job builds with mkdocs --strict; only a push to main deploys to GitHub Pages."""
    workflow = _load("docs.yml")
    jobs = workflow["jobs"]
    assert "mkdocs build --strict" in _runs(jobs["build"])
    assert "actions/upload-pages-artifact" in _uses(jobs["build"])
    deploy = jobs["deploy"]
    assert "github.ref == 'refs/heads/main'" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert _uses(deploy) == ["actions/deploy-pages"]
