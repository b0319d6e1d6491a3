"""docs/deploy.md stays true to the manifests: every Secret key a manifest reads is created by
the documented commands, every overlay and parameter is described, and the files it names exist."""

from __future__ import annotations

import re

import yaml

from tests.monitoring._manifests import render
from tests.monitoring._tools import ALERTMANAGER_CONFIG, OVERLAYS, ROOT

DOCS = ROOT / "docs" / "deploy.md"


def _created_keys(text: str) -> dict[str, set[str]]:
    """The keys each `kubectl create secret generic NAME --from-literal=KEY=…` command makes."""
    created: dict[str, set[str]] = {}
    commands = re.findall(r"create secret generic (\S+)((?:[^\n]*\\\n)*[^\n]*)", text)
    for name, options in commands:
        created[name] = set(re.findall(r"--from-literal=([\w-]+)=", options))
    return created


def _read_keys() -> dict[str, set[str]]:
    """The Secret keys the rendered manifests and the Alertmanager configuration read."""
    read: dict[str, set[str]] = {}
    for overlay in OVERLAYS:
        text = yaml.safe_dump_all(render(overlay))  # keys sorted: `key` before `name`
        for key, name in re.findall(r"secretKeyRef:\s+key: (\S+)\s+name: (\S+)", text):
            read.setdefault(name, set()).add(key)
    config = ALERTMANAGER_CONFIG.read_text(encoding="utf-8")
    for key in re.findall(r"_file: /etc/alertmanager/credentials/(\S+)", config):
        read.setdefault("alertmanager-credentials", set()).add(key)
    return read


def test_every_secret_key_read_is_created_by_the_documented_commands() -> None:
    """Each key a container or Alertmanager reads appears in the Secret commands of the guide."""
    created = _created_keys(DOCS.read_text(encoding="utf-8"))
    read = _read_keys()
    assert len(read["bassa-secrets"]) >= 8
    assert len(read["alertmanager-credentials"]) == 3
    for secret, keys in read.items():
        assert keys <= created.get(secret, set()), (secret, keys - created.get(secret, set()))
    assert "bassa-tls" in DOCS.read_text(encoding="utf-8")


def test_every_overlay_and_parameter_is_documented() -> None:
    """The guide names every overlay and every key of their parameters files."""
    text = DOCS.read_text(encoding="utf-8")
    for overlay in OVERLAYS:
        assert f"deploy/overlays/{overlay.name}" in text, overlay.name
        parameters = yaml.safe_load((overlay / "parameters.yaml").read_text(encoding="utf-8"))
        for key in parameters["data"]:
            assert f"`{key}`" in text, (overlay.name, key)


def test_paths_named_in_the_guide_exist() -> None:
    """Every repository path the guide names in backquotes exists."""
    text = DOCS.read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:deploy|tests|docs|\.github)/[\w./-]+)`", text))
    assert len(paths) >= 5
    missing = [path for path in sorted(paths) if not (ROOT / path.rstrip("/")).exists()]
    assert missing == []
