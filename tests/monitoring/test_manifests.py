"""Kubernetes manifests: every overlay renders with kustomize, every object validates strictly
against the Kubernetes schemas, and the workloads follow the deployment policy (pinned images,
requests and limits, non-root, probes)."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest

from tests.monitoring._manifests import render
from tests.monitoring._manifests import workloads as _workloads
from tests.monitoring._tools import OVERLAYS

# the oldest Kubernetes release still supported upstream and the newest the validator knows
KUBERNETES_VERSIONS = ("1.32.0", kubernetes_validate.latest_version())
# registry/name:tag, optionally @digest; never latest
PINNED_IMAGE = r"[\w./-]+:[\w.-]+(@sha256:[0-9a-f]{64})?"
RESOURCES = {"cpu", "memory", "ephemeral-storage"}


def test_overlays_exist() -> None:
    """Every database choice has an overlay: in-cluster MariaDB, an external MySQL/MariaDB, an
    external PostgreSQL, and SQLite on a single node."""
    assert {overlay.name for overlay in OVERLAYS} == {
        "mariadb",
        "external-database",
        "postgresql",
        "single-node",
    }


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_rendered_objects_validate_strictly(overlay: Path, version: str) -> None:
    """Every rendered object matches its schema, with no unknown field and no removed API."""
    documents = render(overlay)
    assert len(documents) > 20
    for document in documents:
        name = f"{document['kind']}/{document['metadata']['name']}"
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError as error:
            pytest.fail(f"{name}: no schema for {document['apiVersion']} in {version}: {error}")
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name}: {error.message}")


def test_strict_validation_rejects_removed_apis_and_unknown_fields() -> None:
    """The validator itself fails on a removed API version and on a misspelt field."""
    removed = {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "x"}}
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(removed, "1.32.0", strict=True)
    misspelt = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"portz": []},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, "1.32.0", strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
def test_workloads_follow_the_policy(overlay: Path) -> None:
    """Containers use pinned images, set requests and limits, run non-root and are probed;
    init containers are held to the same rules except probes."""
    workloads = _workloads(overlay)
    assert {w["metadata"]["name"] for w in workloads} >= {
        "bassa-api",
        "prometheus",
        "alertmanager",
        "kube-state-metrics",
        "node-exporter",
        "grafana",
    }
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in pod.get("initContainers", []) + pod["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert re.fullmatch(PINNED_IMAGE, container["image"]), where
            assert not container["image"].endswith(":latest"), where
            resources = container["resources"]
            assert set(resources["requests"]) == RESOURCES, where
            assert set(resources["limits"]) == RESOURCES, where
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            if container in pod["containers"]:
                assert "livenessProbe" in container, where
                assert "readinessProbe" in container, where


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
def test_api_pod_matches_the_bassa_contract(overlay: Path) -> None:
    """The API probes /api/health and /api/ready on port 5000 and shares the downloads volume
    with its aria2 sidecar; its keys come from the Secret."""
    (api,) = [w for w in _workloads(overlay) if w["metadata"]["name"] == "bassa-api"]
    pod = api["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    assert set(containers) == {"api", "aria2", "egress"}
    server = containers["api"]
    assert server["ports"] == [{"name": "http", "containerPort": 5000}]
    assert server["livenessProbe"]["httpGet"]["path"] == "/api/health"
    assert server["readinessProbe"]["httpGet"]["path"] == "/api/ready"
    env = {item["name"]: item for item in server["env"]}
    database = () if overlay.name == "single-node" else ("BASSA_DATABASE_URL",)
    for secret in (
        *database,
        "BASSA_ARIA2_SECRET",
        "BASSA_SERVER_KEY",
        "BASSA_SECRET_KEY",
        "BASSA_ADMIN_USER",
        "BASSA_ADMIN_PASSWORD",
    ):
        assert env[secret]["valueFrom"]["secretKeyRef"]["name"] == "bassa-secrets", secret
    assert env["BASSA_ARIA2_URL"]["value"] == "http://127.0.0.1:6800/jsonrpc"
    downloads = {v["name"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    for container in (containers["api"], containers["aria2"]):
        mounted = {m["name"] for m in container["volumeMounts"]}
        assert downloads <= mounted, container["name"]
    pvcs = [d for d in render(overlay) if d["kind"] == "PersistentVolumeClaim"]
    assert [p["metadata"]["name"] for p in pvcs] == ["bassa-downloads"]


def test_only_the_mariadb_overlay_runs_a_database() -> None:
    """The MariaDB overlay adds the StatefulSet; the other overlays have none."""
    names = {
        overlay.name: {w["metadata"]["name"] for w in _workloads(overlay)} for overlay in OVERLAYS
    }
    assert [name for name, workloads in names.items() if "bassa-mariadb" in workloads] == [
        "mariadb"
    ]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
def test_no_secret_values_are_rendered(overlay: Path) -> None:
    """Secrets are referenced, never rendered: credentials are created out of band."""
    assert [d for d in render(overlay) if d["kind"] == "Secret"] == []
