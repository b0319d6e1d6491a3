"""The API deployment for several replicas: rolling updates over a shared volume, autoscaling,
disruption budget, spread over nodes, migrations before the API starts, one image name, one
source for aria2's concurrency, and NetworkPolicies that admit only what the design allows."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from tests.monitoring._manifests import Manifest, find, pod_spec, render, rendered_text
from tests.monitoring._tools import DEPLOY, OVERLAYS, ROOT

IMAGE = "ghcr.io/scorelab/bassa-server"
MULTI_REPLICA = [overlay for overlay in OVERLAYS if overlay.name != "single-node"]
SINGLE_NODE = DEPLOY / "overlays" / "single-node"


def _ids(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("overlay", MULTI_REPLICA, ids=_ids)
def test_replicas_roll_over_a_shared_volume(overlay: Path) -> None:
    """Several replicas update one at a time without losing capacity, on a ReadWriteMany volume
    of the overlay's storage class, autoscaled from two and never drained below one."""
    api = find(overlay, "Deployment", "bassa-api")
    assert "replicas" not in api["spec"], "the autoscaler owns the replica count"
    assert api["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    volume = find(overlay, "PersistentVolumeClaim", "bassa-downloads")["spec"]
    assert volume["accessModes"] == ["ReadWriteMany"]
    assert volume["storageClassName"] == "nfs-csi"
    autoscaler = find(overlay, "HorizontalPodAutoscaler", "bassa-api")["spec"]
    assert autoscaler["scaleTargetRef"]["name"] == "bassa-api"
    assert 2 <= autoscaler["minReplicas"] < autoscaler["maxReplicas"]
    budget = find(overlay, "PodDisruptionBudget", "bassa-api")["spec"]
    assert budget == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/name": "bassa-api"}},
    }
    spread = {
        c["topologyKey"]: c for c in pod_spec(overlay, "bassa-api")["topologySpreadConstraints"]
    }
    assert spread["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"
    assert spread["topology.kubernetes.io/zone"]["whenUnsatisfiable"] == "ScheduleAnyway"


def test_single_node_overlay_keeps_one_pod_on_a_readwriteonce_volume() -> None:
    """The single-node variant runs one pod with SQLite on a ReadWriteOnce volume, replaced
    (not rolled) on update, with no autoscaler."""
    api = find(SINGLE_NODE, "Deployment", "bassa-api")
    assert api["spec"]["replicas"] == 1
    assert api["spec"]["strategy"] == {"type": "Recreate"}
    volume = find(SINGLE_NODE, "PersistentVolumeClaim", "bassa-downloads")["spec"]
    assert volume["accessModes"] == ["ReadWriteOnce"]
    assert not [d for d in render(SINGLE_NODE) if d["kind"] == "HorizontalPodAutoscaler"]
    for container in pod_spec(SINGLE_NODE, "bassa-api")["containers"]:
        assert "BASSA_DATABASE_URL" not in {e["name"] for e in container.get("env", [])}


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids)
def test_migrations_run_before_the_api_starts(overlay: Path) -> None:
    """An init container of the same image migrates the same database the API then uses."""
    pod = pod_spec(overlay, "bassa-api")
    (migrate,) = pod["initContainers"]
    assert migrate["args"] == ["bassa-server", "migrate"]
    api = next(c for c in pod["containers"] if c["name"] == "api")
    assert migrate["image"] == api["image"]
    database = [e for e in api["env"] if e["name"] == "BASSA_DATABASE_URL"]
    assert [e for e in migrate["env"] if e["name"] == "BASSA_DATABASE_URL"] == database


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids)
def test_one_image_name_set_in_one_place(overlay: Path) -> None:
    """Every Bassa container runs the project's image at the tag kustomize sets, and no manifest
    names the image anywhere else."""
    pod = pod_spec(overlay, "bassa-api")
    images = {c["image"] for c in pod["initContainers"] + pod["containers"]}
    assert len(images) == 1
    (image,) = images
    assert image.startswith(f"{IMAGE}:")
    naming = [
        path.relative_to(ROOT)
        for path in DEPLOY.rglob("*.yaml")
        if IMAGE in path.read_text(encoding="utf-8")
    ]
    assert naming == [Path("deploy/bassa/kustomization.yaml")]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids)
def test_aria2_concurrency_follows_the_api_configmap(overlay: Path) -> None:
    """aria2's --max-concurrent-downloads is the API's BASSA_MAX_CONCURRENT_DOWNLOADS, read from
    the same ConfigMap, and every transfer defaults to the pod's egress proxy."""
    pod = pod_spec(overlay, "bassa-api")
    containers = {c["name"]: c for c in pod["containers"]}
    (config,) = [ref["configMapRef"]["name"] for ref in containers["api"]["envFrom"]]
    aria2_env = {e["name"]: e for e in containers["aria2"]["env"]}
    assert aria2_env["BASSA_MAX_CONCURRENT_DOWNLOADS"]["valueFrom"]["configMapKeyRef"] == {
        "name": config,
        "key": "BASSA_MAX_CONCURRENT_DOWNLOADS",
    }
    assert (
        "--max-concurrent-downloads=$(BASSA_MAX_CONCURRENT_DOWNLOADS)"
        in containers["aria2"]["args"]
    )
    configmap = find(overlay, "ConfigMap", config)
    assert int(configmap["data"]["BASSA_MAX_CONCURRENT_DOWNLOADS"]) >= 1
    proxy = {e["name"]: e.get("value") for e in containers["api"]["env"]}["BASSA_EGRESS_PROXY"]
    assert proxy == "http://127.0.0.1:4750"
    assert f"--all-proxy={proxy}" in containers["aria2"]["args"]
    assert containers["egress"]["args"][:3] == [
        "smokescreen",
        "--listen-ip=127.0.0.1",
        "--listen-port=4750",
    ]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids)
def test_parameters_are_filled_in_and_never_applied(overlay: Path) -> None:
    """No placeholder survives rendering, and the parameters ConfigMap itself is not applied."""
    text = rendered_text(overlay)
    assert "PARAMETER" not in text
    assert "bassa-parameters" not in text
    ingress = find(overlay, "Ingress", "bassa")["spec"]
    assert ingress["rules"][0]["host"] == ingress["tls"][0]["hosts"][0] == "bassa.example.org"


def _policies(overlay: Path, app: str) -> list[Manifest]:
    """The NetworkPolicies selecting the pods of `app`."""
    return [
        d["spec"]
        for d in render(overlay)
        if d["kind"] == "NetworkPolicy"
        and d["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": app}
    ]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids)
def test_api_is_reachable_from_the_ingress_and_prometheus_only(overlay: Path) -> None:
    """The API admits the ingress controller's namespace and Prometheus, on its port only."""
    rules = [rule for spec in _policies(overlay, "bassa-api") for rule in spec.get("ingress", [])]
    assert len(rules) == 1
    (rule,) = rules
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}},
    ]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids)
def test_api_egress_is_dns_the_database_and_public_addresses(overlay: Path) -> None:
    """The API pod may resolve names, reach its database, and reach public addresses only:
    no private, loopback or link-local range (the cluster's own among them)."""
    egress = [rule for spec in _policies(overlay, "bassa-api") for rule in spec["egress"]]
    private = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    private += [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "169.254.0.0/16", "fc00::/7")]
    database_rules = 0
    for rule in egress:
        for peer in rule["to"]:
            if "ipBlock" in peer and peer["ipBlock"]["cidr"] in {"0.0.0.0/0", "::/0"}:
                excepted = [ipaddress.ip_network(n) for n in peer["ipBlock"]["except"]]
                for network in private:
                    if network.version == excepted[0].version:
                        first, last = network.network_address, network.broadcast_address
                        assert any(first in e and last in e for e in excepted), network
            elif "ipBlock" in peer or "bassa-mariadb" in str(peer):
                database_rules += 1
            else:
                assert peer["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
                assert {p["port"] for p in rule["ports"]} == {53}
    assert database_rules == (0 if overlay.name == "single-node" else 1)


def test_database_is_reachable_from_the_api_only() -> None:
    """In-cluster MariaDB admits the API pods on its port and nothing else."""
    (policy,) = _policies(DEPLOY / "overlays" / "mariadb", "bassa-mariadb")
    assert policy["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "bassa-api"}}}],
            "ports": [{"port": "mysql", "protocol": "TCP"}],
        }
    ]
    ports = {
        overlay.name: [
            rule["ports"][0]["port"]
            for spec in _policies(overlay, "bassa-api")
            for rule in spec["egress"]
            if any("ipBlock" in peer and "except" not in peer["ipBlock"] for peer in rule["to"])
        ]
        for overlay in OVERLAYS
    }
    assert ports == {
        "external-database": [3306],
        "mariadb": [],
        "postgresql": [5432],
        "single-node": [],
    }
