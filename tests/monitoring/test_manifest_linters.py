"""Every overlay passes kubeconform (strict, against local schemas) and kube-score, whose every
exception is named and justified in a comment next to the annotation that makes it.

kubeconform and kube-score are pinned as tools of the Go module in go/ and built into the
virtual environment by scripts/setup. kubeconform would fetch its schemas from the internet; it
gets the schemas the kubernetes-validate wheel ships instead, rewritten as standalone files.
No schema is downloaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.monitoring._manifests import render, rendered_text
from tests.monitoring._tools import DEPLOY, OVERLAYS, run, tool

KUBERNETES_VERSIONS = ("1.32.0", kubernetes_validate.latest_version())
SHIPPED_SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
SCHEMA_TEMPLATE = (
    "{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}"
    "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
# the annotation in a manifest, or the value a JSON patch gives it
IGNORE = re.compile(r"kube-score/ignore(?:: |~1ignore\n\s*value: )(?P<checks>[\w,-]+)")
MISSPELT_SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: x
spec:
  portz: []
"""
UNBOUNDED_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  replicas: 2
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
        - name: x
          image: example.org/x:1.0
"""


def _schema_file(api_version: str, kind: str) -> str:
    """The file name kubeconform looks up for a kind ({kind}-{group}-{version}.json)."""
    group, _, version = api_version.rpartition("/")
    suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
    return f"{kind.lower()}{suffix}.json"


def _standalone(schema: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every definition it reaches copied in, referenced as `#/$defs/…`."""
    prefix = '"/api/_definitions.json#/$defs/'
    needed: dict[str, Any] = {}
    pending = re.findall(re.escape(prefix) + r'([^"]+)"', json.dumps(schema))
    while pending:
        name = pending.pop()
        if name not in needed:
            needed[name] = definitions[name]
            # inside _definitions.json the references are already local (#/$defs/…)
            pending += re.findall(r'"#/\$defs/([^"]+)"', json.dumps(definitions[name]))
    standalone = {key: value for key, value in schema.items() if key != "$id"}
    standalone["$defs"] = needed
    return dict(json.loads(json.dumps(standalone).replace(prefix, '"#/$defs/')))


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The strict schemas of the rendered kinds, for each tested version, as kubeconform can load
    them: the wheel's files refer to `/api/_definitions.json` under an `$id` on kubernetes.io,
    which a local registry cannot resolve, so each file gets the definitions it uses inlined."""
    root = tmp_path_factory.mktemp("schemas")
    documents = [doc for overlay in OVERLAYS for doc in render(overlay)]
    documents.append(yaml.safe_load(MISSPELT_SERVICE))
    files = {_schema_file(doc["apiVersion"], doc["kind"]) for doc in documents}
    for version in KUBERNETES_VERSIONS:
        folder = f"v{version}-local-strict"
        shipped = SHIPPED_SCHEMAS / folder
        definitions = json.loads((shipped / "_definitions.json").read_text(encoding="utf-8"))
        (root / folder).mkdir()
        for name in files:
            schema = json.loads((shipped / name).read_text(encoding="utf-8"))
            standalone = _standalone(schema, definitions["$defs"])
            (root / folder / name).write_text(json.dumps(standalone), encoding="utf-8")
    return root


def _kubeconform(schemas: Path, version: str, manifests: str) -> tuple[int, str]:
    result = run(
        tool("kubeconform"),
        "-strict",
        "-summary",
        "-output=text",
        f"-kubernetes-version={version}",
        f"-schema-location={schemas}/{SCHEMA_TEMPLATE}",
        "-",
        stdin=manifests,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubeconform_accepts_every_object(schemas: Path, overlay: Path, version: str) -> None:
    """kubeconform finds a schema for every rendered object and accepts it, strictly."""
    code, output = _kubeconform(schemas, version, rendered_text(overlay))
    assert code == 0, output
    summary = re.search(
        r"(\d+) resources found.*Valid: (\d+), Invalid: 0, Errors: 0, Skipped: 0", output
    )
    assert summary is not None, output
    assert summary[1] == summary[2]


def test_kubeconform_rejects_an_unknown_field(schemas: Path) -> None:
    """The local schemas are strict: a misspelt field fails validation."""
    code, output = _kubeconform(schemas, KUBERNETES_VERSIONS[0], MISSPELT_SERVICE)
    assert code == 1
    assert "portz" in output


def _kube_score(manifests: str) -> tuple[int, list[str]]:
    result = run(tool("kube-score"), "score", "--output-format=ci", "-", stdin=manifests)
    findings = [
        line for line in result.stdout.splitlines() if not line.startswith(("[OK]", "[SKIPPED]"))
    ]
    return result.returncode, findings


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
def test_kube_score_finds_nothing(overlay: Path) -> None:
    """kube-score reports no warning and no critical finding for any object."""
    code, findings = _kube_score(rendered_text(overlay))
    assert findings == []
    assert code == 0


def test_kube_score_flags_an_unbounded_deployment() -> None:
    """The linter really checks: a Deployment without limits or probes is critical."""
    code, findings = _kube_score(UNBOUNDED_DEPLOYMENT)
    assert code != 0
    assert any("CRITICAL" in line and "limit" in line.lower() for line in findings)


def test_every_kube_score_exception_is_justified() -> None:
    """Each check a `kube-score/ignore` annotation skips is named in a comment above it."""
    exceptions = 0
    for path in sorted(DEPLOY.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for match in IGNORE.finditer(text):
            comments = "\n".join(
                line
                for line in text[: match.start()].splitlines()[-12:]
                if line.lstrip().startswith("#")
            )
            for check in match["checks"].split(","):
                exceptions += 1
                assert check in comments, f"{path.relative_to(DEPLOY)}: {check} not justified"
    assert exceptions >= 10
