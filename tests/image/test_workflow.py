"""The release workflow: actionlint accepts it, it builds the Containerfile for amd64 and arm64,
pushes only for a version tag, and takes the image name from the one place that sets it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.monitoring._tools import ROOT, run, tool

WORKFLOW = ROOT / ".github" / "workflows" / "image.yml"
BROKEN = """on: push
jobs:
  x:
    runs-on: ubuntu-24.04
    steps:
      - run: echo ${{ github.event.no_such_thing.nope }}
        if: ${{ matrix.undefined }}
"""


def _steps() -> dict[str, dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    return {step.get("name") or step["uses"].split("@")[0]: step for step in job["steps"]}


def test_actionlint_accepts_the_workflows() -> None:
    """actionlint finds no error in any workflow under .github/workflows."""
    workflows = sorted(str(path) for path in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = run(tool("actionlint"), "-no-color", *workflows)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The linter really checks: an undefined matrix in a workflow is an error."""
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = run(tool("actionlint"), "-no-color", str(broken))
    assert result.returncode == 1
    assert "matrix" in result.stdout


def test_builds_both_platforms_and_pushes_only_a_version_tag() -> None:
    """The Containerfile is built for amd64 and arm64; only a v-tag logs in and pushes."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"] == {"tags": ["v*.*.*"]}
    steps = _steps()
    build = steps["Build (and push a release)"]["with"]
    assert build["file"] == "Containerfile"
    assert build["platforms"] == "linux/amd64,linux/arm64"
    assert build["push"] == "${{ startsWith(github.ref, 'refs/tags/v') }}"
    assert steps["Log in to the registry"]["if"] == "startsWith(github.ref, 'refs/tags/v')"


def test_image_name_and_version_come_from_their_one_place() -> None:
    """The workflow reads the name from the kustomization and refuses a tag that is not the
    project version; the Containerfile's default version label is that version too."""
    script = _steps()["Image name and version"]["run"]
    assert "deploy/bassa/kustomization.yaml" in script
    assert "pyproject.toml" in script
    assert "ghcr.io" not in WORKFLOW.read_text(encoding="utf-8")
    version = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version is not None
    containerfile = (ROOT / "Containerfile").read_text(encoding="utf-8")
    assert f"ARG VERSION={version[1]}" in containerfile
