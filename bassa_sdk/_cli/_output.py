"""How the command line shows results: tables for people, tab-separated rows for pipes, JSON.

At a terminal, rows are a rich table with human headers, sizes (`1.5 MB`), dates and names
(`completed`, `admin`). Piped, they are tab-separated lines without a header or truncation, with
exact values (bytes, ISO 8601 times), as `gh` does, so `cut` and `awk` work. `--json` prints
every field. Text that comes from the server or the user is never read as rich markup: `[/]` in
a file name is printed as it is.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "Column",
    "emit",
    "emit_one",
    "error",
    "for_people",
    "notice",
    "print_json",
    "say",
    "transfer_bar",
]


class Model(Protocol):
    """A generated model: anything with `to_dict()`."""

    def to_dict(self) -> dict[str, Any]: ...


@cache
def _stdout() -> Console:
    from rich.console import Console

    return Console(markup=False, highlight=False, emoji=False)


@cache
def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, markup=False, highlight=False, emoji=False)


def for_people() -> bool:
    """Whether standard output is a terminal (tables) rather than a pipe or file (rows)."""
    return sys.stdout.isatty()


def say(message: str) -> None:
    """A result line on standard output, printed as it is."""
    if for_people():
        _stdout().print(message, soft_wrap=True)
    else:
        sys.stdout.write(message + "\n")


def notice(message: str) -> None:
    """A line for the user on standard error (progress, hints), printed as it is."""
    _stderr().print(message, soft_wrap=True)


def error(message: str) -> None:
    """`error: message` on standard error, printed as it is."""
    from rich.text import Text

    _stderr().print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON on standard output: coloured at a terminal, plain and exact otherwise."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if for_people():
        from rich.json import JSON

        _stdout().print(JSON(text), soft_wrap=True)
    else:
        sys.stdout.write(text + "\n")


def _status(value: Any) -> str:
    from bassa_sdk._generated.spec_facts import DownloadStatus

    if isinstance(value, int) and value in DownloadStatus._value2member_map_:
        return DownloadStatus(value).name.lower()
    return str(value)


def _size(value: Any, human: bool) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "-" if value is None else str(value)
    if not human:
        return str(int(value))
    from rich.filesize import decimal

    return decimal(int(value))


def _time(value: Any, human: bool) -> str:
    if not isinstance(value, int) or not value:
        return "-"
    moment = datetime.fromtimestamp(value, UTC)
    return moment.strftime("%Y-%m-%d %H:%M") if human else moment.isoformat()


def _role(value: Any) -> str:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return "admin" if value == 0 else "user" if isinstance(value, int) else str(value)


def _yes_no(value: Any) -> str:
    return "-" if not isinstance(value, bool) else "yes" if value else "no"


def _plain(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


_KINDS: dict[str, Callable[[Any, bool], str]] = {
    "text": lambda value, human: _plain(value),
    "size": _size,
    "time": _time,
    "status": lambda value, human: _status(value),
    "role": lambda value, human: _role(value),
    "yes/no": lambda value, human: _yes_no(value),
    "speed": lambda value, human: _size(value, human) + ("/s" if human and value else ""),
}


@dataclass(frozen=True, slots=True)
class Column:
    """A column: the model's field, its header for people, and how its values read."""

    field: str
    header: str
    kind: str = "text"
    right: bool = False
    #: never wrapped nor cut at a terminal (ids people copy, dates)
    whole: bool = False

    def cell(self, row: dict[str, Any], human: bool) -> str:
        """The column's value in `row`, formatted for people or for a pipe."""
        return _KINDS[self.kind](row.get(self.field), human)


def emit(items: Sequence[Model], columns: Sequence[Column], *, as_json: bool) -> None:
    """Print models as a table (terminal), tab-separated rows (pipe), or a JSON list."""
    if as_json:
        print_json([item.to_dict() for item in items])
        return
    rows = [item.to_dict() for item in items]
    if not for_people():
        for row in rows:
            cells = (column.cell(row, False) for column in columns)
            sys.stdout.write("\t".join(c.replace("\t", " ").replace("\n", " ") for c in cells))
            sys.stdout.write("\n")
        return
    if not rows:
        notice("nothing to show")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(header_style="bold", box=None, pad_edge=False)
    for column in columns:
        table.add_column(
            column.header,
            justify="right" if column.right else "left",
            no_wrap=column.whole,
            min_width=len(column.header) if not column.whole else None,
        )
    for row in rows:
        table.add_row(*(Text(column.cell(row, True)) for column in columns))
    _stdout().print(table)


def emit_one(item: Model, columns: Sequence[Column], *, as_json: bool) -> None:
    """Print one model as name/value lines (terminal), one row (pipe), or a JSON object."""
    if as_json:
        print_json(item.to_dict())
    elif not for_people():
        emit([item], columns, as_json=False)
    else:
        row = item.to_dict()
        width = max(len(column.header) for column in columns)
        for column in columns:
            say(f"{column.header + ':':<{width + 1}} {column.cell(row, True)}")


@contextmanager
def transfer_bar(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A byte progress bar on standard error; yields the callback `progress=` expects."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=_stderr(),
        transient=not _stderr().is_terminal,
    ) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update
