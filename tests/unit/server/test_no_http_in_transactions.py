"""No HTTP status is chosen inside a database transaction: the code that `run_db` / `read_db` run
raises domain refusals, and only the one refusal table in `_handlers/_common.py` picks statuses."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import bassa_server

PACKAGE = Path(bassa_server.__file__).parent
HANDLERS = PACKAGE / "_handlers"
DATABASE_RUNNERS = ("run_db", "read_db")
Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def _modules() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for path in PACKAGE.rglob("*.py")}


def _defs_by_name(modules: dict[Path, ast.Module]) -> dict[str, list[Function]]:
    found: dict[str, list[Function]] = {}
    for tree in modules.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.setdefault(node.name, []).append(node)
    return found


def _module_aliases(tree: ast.Module) -> set[str]:
    """Names a module binds to other modules (`from bassa_server import _accounts as accounts`)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "bassa_server"
        for alias in node.names
    }


def _called_names(function: Function, aliases: set[str]) -> Iterator[str]:
    """The package functions `function` calls by name (`f(...)` or `module.f(...)`)."""
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name):
            yield node.func.id
        elif (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in aliases
        ):
            yield node.func.attr


def _in_transactions(modules: dict[Path, ast.Module]) -> dict[str, Function]:
    """Every function that runs inside a transaction: those passed to `run_db` / `read_db`, and
    every package function they call, transitively (keyed by a readable location)."""
    defs = _defs_by_name(modules)
    pending: list[tuple[Function, set[str], Path]] = []
    for path, tree in modules.items():
        aliases = _module_aliases(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if name is None or not name.endswith(DATABASE_RUNNERS):
                continue
            work = node.args[0]
            if isinstance(work, ast.Lambda):
                pending.append((work, aliases, path))
            elif isinstance(work, ast.Name):
                pending.extend((found, aliases, path) for found in defs.get(work.id, []))
    reached: dict[str, Function] = {}
    while pending:
        function, aliases, path = pending.pop()
        name = getattr(function, "name", "<lambda>")
        key = f"{path.relative_to(PACKAGE.parent)}:{function.lineno} {name}"
        if key in reached:
            continue
        reached[key] = function
        for called in _called_names(function, aliases):
            pending.extend((found, aliases, path) for found in defs.get(called, []))
    return reached


def _mentions_api_error(function: Function) -> bool:
    return any(
        (isinstance(node, ast.Name) and node.id == "ApiError")
        or (isinstance(node, ast.Attribute) and node.attr == "ApiError")
        for node in ast.walk(function)
    )


def test_nothing_run_in_a_transaction_raises_an_http_error() -> None:
    """The work given to `run_db` / `read_db`, and what it calls, never builds an `ApiError`."""
    reached = _in_transactions(_modules())
    assert any(key.endswith(" ensure_free") for key in reached)  # the walk does find helpers
    assert any(key.endswith(" require_user") for key in reached)
    offenders = sorted(key for key, function in reached.items() if _mentions_api_error(function))
    assert offenders == []


def test_no_closure_in_a_handler_raises_an_http_error() -> None:
    """A function nested in a handler (typically a transaction's body) never builds an ApiError."""
    offenders = []
    for path, tree in _modules().items():
        if not path.is_relative_to(HANDLERS):
            continue
        for outer in ast.walk(tree):
            if not isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(outer):
                if inner is outer or not isinstance(inner, Function):
                    continue
                if _mentions_api_error(inner):
                    offenders.append(f"{path.name}:{inner.lineno}")
    assert offenders == []
