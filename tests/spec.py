"""The authored spec, loaded once for every test that reads it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "bassa.yaml"
GENERATED = ROOT / "bassa_sdk" / "_generated"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@cache
def load_spec() -> dict[str, Any]:
    """The spec as plain data."""
    data = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of the spec, in document order."""
    found = []
    for path, item in load_spec()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                found.append((method.upper(), path, item[method]))
    return found
