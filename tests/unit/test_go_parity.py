"""The Python SDK and the Go client can call the same spec operations.

Each side's map of public method -> operations is read from its source: the Python resources'
methods (`client.downloads.add`) by the generated endpoint modules and operation names they refer
to, the Go facade's (`client.Downloads.Add`) by `go run ./internal/cmd/operations`. A method that
names no operation itself takes those of the helpers it refers to (`wait` polls with `status`).
docs/go.md's parity table must list every operation with both methods.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from tests.spec import ROOT, operations

RESOURCES = ROOT / "bassa_sdk" / "_sync" / "_resources"
# the sync client's resource classes, by their attribute on `Bassa`
PYTHON_RESOURCES = {
    "session": "Session",
    "downloads": "Downloads",
    "users": "Users",
    "queue": "Queue",
    "files": "Files",
}
# module-level names are kept apart from methods: a parameter `share` is not `self.share`
MODULE_LEVEL = "module:"
SPEC_OPERATIONS = frozenset(str(op["operationId"]) for _, _, op in operations())


def _references(node: ast.AST) -> tuple[set[str], set[str]]:
    """The operation names and the helper names (`self._helper`, module-level `_helper`) a
    function body refers to."""
    ops: set[str] = set()
    helpers: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in SPEC_OPERATIONS:
            ops.add(sub.id)
        elif isinstance(sub, ast.Name):
            helpers.add(MODULE_LEVEL + sub.id)
        elif isinstance(sub, ast.Constant) and sub.value in SPEC_OPERATIONS:
            ops.add(str(sub.value))
        elif (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == "self"
        ):
            helpers.add(sub.attr)
    return ops, helpers


def _resolve(
    functions: dict[str, tuple[set[str], set[str]]], name: str, seen: frozenset[str]
) -> set[str]:
    """A function's operations: its own, else those of the helpers it refers to."""
    ops, helpers = functions[name]
    if ops:
        return ops
    found: set[str] = set()
    for helper in helpers - seen:
        if helper in functions:
            found |= _resolve(functions, helper, seen | {helper})
    return found


@cache
def python_methods() -> dict[str, set[str]]:
    """`client.<resource>.<method>` -> the operations it calls."""
    result: dict[str, set[str]] = {}
    for attribute, class_name in PYTHON_RESOURCES.items():
        tree = ast.parse((RESOURCES / f"{attribute}.py").read_text(encoding="utf-8"))
        classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        cls = classes[class_name]
        bases = [classes[b.id] for b in cls.bases if isinstance(b, ast.Name) and b.id in classes]
        functions = {
            f.name: _references(f)
            for c in (*bases, cls)
            for f in c.body
            if isinstance(f, ast.FunctionDef)
        }
        # module-level helpers: functions (`_own(page)`) and constants (`_FILE = OPERATIONS[...]`)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                functions.setdefault(MODULE_LEVEL + node.name, _references(node))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    functions.setdefault(MODULE_LEVEL + target.id, _references(node.value))

        for f in cls.body:
            if not isinstance(f, ast.FunctionDef) or f.name.startswith("_"):
                continue
            if ops := _resolve(functions, f.name, frozenset({f.name})):
                result[f"client.{attribute}.{f.name}"] = ops
    return result


def _go() -> str:
    found = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(found).exists():
        pytest.fail("Go 1.26 is needed to read the Go client's operations (scripts/setup)")
    return found


@cache
def go_methods() -> dict[str, set[str]]:
    """`client.<Resource>.<Method>` -> the operations it calls."""
    result = subprocess.run(
        [_go(), "run", "./internal/cmd/operations"],
        cwd=ROOT / "go",
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return {f"client.{method}": set(ops) for method, ops in data.items()}


def by_operation(methods: dict[str, set[str]]) -> dict[str, list[str]]:
    """operation -> the methods that call it, sorted."""
    table: defaultdict[str, list[str]] = defaultdict(list)
    for method, ops in methods.items():
        for op in ops:
            table[op].append(method)
    return {op: sorted(found) for op, found in table.items()}


def test_both_sdks_call_the_same_operations() -> None:
    """An operation that one SDK can call and the other cannot fails, naming it and where."""
    python = by_operation(python_methods())
    go = by_operation(go_methods())
    problems = [
        f"{op} is callable from the Python SDK ({', '.join(python[op])}) but not from the Go "
        "client (go/bassa)"
        for op in sorted(set(python) - set(go))
    ] + [
        f"{op} is callable from the Go client ({', '.join(go[op])}) but not from the Python SDK "
        "(bassa_sdk)"
        for op in sorted(set(go) - set(python))
    ]
    assert not problems, "\n".join(problems)


def test_both_sdks_call_only_spec_operations_and_most_of_them() -> None:
    """Every operation either SDK calls is in the spec; neither misses one beyond health checks."""
    for methods in (python_methods(), go_methods()):
        called = set(by_operation(methods))
        assert called <= SPEC_OPERATIONS
        assert SPEC_OPERATIONS - called <= {"get_liveness", "get_readiness"}


def test_docs_parity_table_is_current() -> None:
    """docs/go.md lists every operation with its Python and Go methods, as the sources say."""
    doc = (ROOT / "docs" / "go.md").read_text(encoding="utf-8")
    python = by_operation(python_methods())
    go = by_operation(go_methods())
    for op in sorted(set(python) | set(go)):
        row = (
            f"| `{op}` | {', '.join(f'`{m}`' for m in python.get(op, []))} "
            f"| {', '.join(f'`{m}`' for m in go.get(op, []))} |"
        )
        assert row in doc, f"docs/go.md lacks the parity row:\n{row}"
