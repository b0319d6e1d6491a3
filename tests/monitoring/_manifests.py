"""Rendered Kubernetes manifests, shared by the manifest tests: each overlay rendered once with
kubectl's built-in kustomize."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.monitoring._tools import run, tool

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}
Manifest = dict[str, Any]


@cache
def rendered_text(overlay: Path) -> str:
    """The overlay as `kubectl kustomize` prints it."""
    result = run(tool("kubectl"), "kustomize", str(overlay))
    assert result.returncode == 0, result.stderr
    return result.stdout


@cache
def render(overlay: Path) -> tuple[Manifest, ...]:
    """Every object the overlay renders."""
    return tuple(doc for doc in yaml.safe_load_all(rendered_text(overlay)) if doc)


def workloads(overlay: Path) -> list[Manifest]:
    """The Deployments, StatefulSets and DaemonSets of an overlay."""
    return [doc for doc in render(overlay) if doc["kind"] in WORKLOAD_KINDS]


def find(overlay: Path, kind: str, name: str) -> Manifest:
    """The one object of that kind and name."""
    (found,) = [d for d in render(overlay) if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def pod_spec(overlay: Path, name: str, kind: str = "Deployment") -> Manifest:
    """The pod template's spec of a workload."""
    spec: Manifest = find(overlay, kind, name)["spec"]["template"]["spec"]
    return spec
