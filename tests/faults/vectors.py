"""The fault vectors every Bassa client is held to, read from `vectors.json` beside this file.

The Python SDK's fault tests and the Go client's read the same file, so both clients face the
same plans and must reach the same outcomes. `fault()` turns one JSON fault into a `Fault`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, cast

from tests.faults._plan import Fault, FaultKind

VECTORS_PATH = Path(__file__).with_name("vectors.json")
_KINDS = frozenset({"pass", "reset_before", "reset_after", "status", "truncate", "drip"})


@cache
def vectors() -> dict[str, Any]:
    """The vectors file as plain data."""
    data = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def fault(spec: dict[str, Any]) -> Fault:
    """The `Fault` a JSON fault describes (unknown keys or kinds are an error)."""
    kind = spec["kind"]
    if kind not in _KINDS:
        raise ValueError(f"unknown fault kind {kind!r}")
    allowed = {"kind", "delay", "status", "retry_after", "keep_bytes", "chunk", "interval"}
    if extra := set(spec) - allowed:
        raise ValueError(f"unknown fault fields {sorted(extra)}")
    return Fault(
        kind=cast(FaultKind, kind),
        delay=float(spec.get("delay", 0.0)),
        status=int(spec.get("status", 503)),
        retry_after=spec.get("retry_after"),
        keep_bytes=int(spec.get("keep_bytes", 0)),
        chunk=int(spec.get("chunk", 1024)),
        interval=float(spec.get("interval", 0.0)),
    )


def faults(table: dict[str, dict[str, Any]]) -> dict[str, Fault]:
    """A named table of JSON faults as `Fault`s."""
    return {name: fault(spec) for name, spec in table.items()}
