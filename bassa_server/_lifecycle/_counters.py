"""Counts and sums the database keeps, read without scanning `downloads` or `users`.

Triggers (revision 0007) update the counter tables in the same transaction as every insert,
delete and status change of a download, and every change of an account's state, whoever makes
it. Reading them costs a few dozen rows at any table size:

- downloads by status: the sum of `download_counts`' slots (16 rows a status at most);
- accounts by state: `user_counts` (4 rows);
- heavy users: the ten largest rows of `heavy_window` (an index), each user's bytes completed
  on the UTC days from the window's first day on. The window moves once a day:
  `advance_heavy_window` subtracts the days that left it (one day's `completed_bytes_daily`
  rows) and drops them, under a lock on the window's state row so replicas move it once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from bassa_server._db.models import (
    DAY_SECONDS,
    CompletedBytesDaily,
    DownloadCount,
    HeavyWindow,
    HeavyWindowState,
    UserCount,
)
from bassa_server._prepared import PreparedRead

T = TypeVar("T")
HEAVY_USERS = 10
# "the last 30 days", counted in whole UTC days: today's and those of the 30 days before
HEAVY_WINDOW_DAYS = 30
_WINDOW_ROW = 1
_BLOCKED, _APPROVED = 2, 1


class Reader(Protocol):
    """Runs a prepared read and returns its rows: the app's `Services.prepared` (on the event
    loop, without a worker thread), or `statements_of` a SQLAlchemy connection."""

    def __call__(self, read: PreparedRead, /, **values: Any) -> Awaitable[Sequence[Sequence[Any]]]:
        """The rows of `read` for `values`."""


def statements_of(db: Session | Connection) -> Reader:
    """A `Reader` running each read's statement on `db` (the engine's metrics, tests)."""

    async def read(prepared: PreparedRead, /, **values: Any) -> Sequence[Sequence[Any]]:
        return db.execute(prepared.statement, values).all()

    return read


def run_reads(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of `coroutine` whose reads come from `statements_of`, which never suspend: run
    to its end in the caller's thread, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a read suspended: run_reads takes only statements_of's reads")


DOWNLOAD_COUNTS = PreparedRead(
    select(DownloadCount.status, func.sum(DownloadCount.n)).group_by(DownloadCount.status)
)
_WINDOW_FIRST_DAY = PreparedRead(
    select(HeavyWindowState.first_day).where(HeavyWindowState.id == _WINDOW_ROW)
)
# two index reads instead of a sort of every user's total: the tenth largest total, then the
# totals from it up (the ten, and any ties with the tenth), ties by name
_TENTH_HEAVIEST = PreparedRead(
    select(HeavyWindow.bytes)
    .where(HeavyWindow.bytes > 0)
    .order_by(HeavyWindow.bytes.desc())
    .offset(HEAVY_USERS - 1)
    .limit(1)
)
_HEAVIEST = PreparedRead(
    select(HeavyWindow.user_name, HeavyWindow.bytes)
    .where(HeavyWindow.bytes >= bindparam("least"))
    .order_by(HeavyWindow.bytes.desc(), HeavyWindow.user_name)
    .limit(HEAVY_USERS)
)


@dataclass(frozen=True)
class AccountCounts:
    """Accounts by state."""

    approved: int
    pending: int
    blocked: int


def counts_by_status(rows: Sequence[Sequence[Any]]) -> dict[int, int]:
    """How many downloads have each status, from the rows of `DOWNLOAD_COUNTS` (statuses with
    none are left out)."""
    return {int(status): int(n) for status, n in rows if n}


def download_counts(db: Session | Connection) -> dict[int, int]:
    """How many downloads have each status (statuses with none are left out)."""
    return counts_by_status(db.execute(DOWNLOAD_COUNTS.statement).all())


def account_counts(db: Session | Connection) -> AccountCounts:
    """How many accounts are approved, waiting for approval, and blocked."""
    by_kind = {int(kind): int(n) for kind, n in db.execute(select(UserCount.kind, UserCount.n))}
    blocked = by_kind.get(_BLOCKED, 0) + by_kind.get(_BLOCKED + _APPROVED, 0)
    return AccountCounts(by_kind.get(_APPROVED, 0), by_kind.get(0, 0), blocked)


def window_first_day(now: int) -> int:
    """The first UTC day of the heavy users' window at time `now`."""
    return now // DAY_SECONDS - HEAVY_WINDOW_DAYS


async def heavy_users(read: Reader, now: int) -> list[tuple[str, int]] | None:
    """The (name, bytes) of the ten users with the most bytes completed in the window, heaviest
    first; None when the window must move first (`advance_heavy_window`)."""
    first_day = await read(_WINDOW_FIRST_DAY)
    if not first_day or first_day[0][0] < window_first_day(now):
        return None
    tenth = await read(_TENTH_HEAVIEST)
    rows = await read(_HEAVIEST, least=tenth[0][0] if tenth else 1)
    return [(str(name), int(size)) for name, size in rows]


def advance_heavy_window(session: Session, now: int) -> None:
    """Move the heavy window's first day to today's: take the bytes of the days that left it
    out of each user's window total and drop those days' rows (bounded by the users active on
    them). Replicas racing here wait on the state row's lock; the later ones find it moved."""
    wanted = window_first_day(now)
    first_day = session.scalar(
        select(HeavyWindowState.first_day)
        .where(HeavyWindowState.id == _WINDOW_ROW)
        .with_for_update()
    )
    if first_day is None:
        session.add(HeavyWindowState(id=_WINDOW_ROW, first_day=wanted))
        return
    if first_day >= wanted:
        return
    leaving = CompletedBytesDaily.day < wanted
    gone = session.execute(
        select(CompletedBytesDaily.user_name, func.sum(CompletedBytesDaily.bytes))
        .where(leaving)
        .group_by(CompletedBytesDaily.user_name)
    ).all()
    for user_name, size in gone:
        session.execute(
            update(HeavyWindow)
            .where(HeavyWindow.user_name == user_name)
            .values(bytes=HeavyWindow.bytes - int(size or 0))
        )
    session.execute(delete(CompletedBytesDaily).where(leaving))
    session.execute(delete(HeavyWindow).where(HeavyWindow.bytes <= 0))
    session.execute(
        update(HeavyWindowState).where(HeavyWindowState.id == _WINDOW_ROW).values(first_day=wanted)
    )
