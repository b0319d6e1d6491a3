"""How the command line shows results: rich tables for people, JSON for scripts, progress bars."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from bassa_sdk._generated.spec_facts import DownloadStatus

__all__ = ["console", "emit", "emit_one", "transfer_bar"]

console = Console()


class Model(Protocol):
    """A generated model: anything with `to_dict()`."""

    def to_dict(self) -> dict[str, Any]: ...


def _cell(column: str, value: Any) -> str:
    if column == "status" and isinstance(value, int):
        known = value in DownloadStatus._value2member_map_
        return DownloadStatus(value).name.lower() if known else str(value)
    if column.endswith("_time") and isinstance(value, int):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M") if value else "-"
    return "-" if value is None else str(value)


def emit(items: Sequence[Model], columns: Sequence[str], *, as_json: bool) -> None:
    """Print models as a table of the given columns, or as a JSON list of every field."""
    if as_json:
        console.print_json(json.dumps([item.to_dict() for item in items]))
        return
    if not items:
        console.print("nothing to show")
        return
    table = Table(*columns, header_style="bold")
    for item in items:
        values = item.to_dict()
        table.add_row(*(_cell(column, values.get(column)) for column in columns))
    console.print(table)


def emit_one(item: Model, columns: Sequence[str], *, as_json: bool) -> None:
    """Print one model as a one-row table, or as a JSON object."""
    if as_json:
        console.print_json(json.dumps(item.to_dict()))
    else:
        emit([item], columns, as_json=False)


@contextmanager
def transfer_bar(label: str) -> Iterator[Any]:
    """A byte progress bar; yields the callback the SDK's `progress=` expects."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update
