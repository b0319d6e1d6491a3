"""The engine side of the download lifecycle: claim, progress, complete, fail, and queue state.

Every write that changes who owns a download is a conditional UPDATE (`WHERE status = … AND
claimed_by = …`), so that several replicas sharing one database can race on the same rows and each
row still has exactly one owner: the UPDATE that matches wins, the others see rowcount 0. That works
on SQLite, MariaDB/MySQL and PostgreSQL alike, so no dialect-specific locking is needed. These
functions are synchronous (SQLAlchemy sessions); the engine calls them in a worker thread.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Delete,
    Update,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db.models import (
    COMPLETED,
    ERROR,
    QUEUE_PAUSED,
    QUEUE_RUNNING,
    QUEUED,
    STARTED,
    Download,
    QueueState,
)
from bassa_server._prepared import PreparedRead

from ._counters import DOWNLOAD_COUNTS, Reader, counts_by_status, run_reads, statements_of

SessionFactory = sessionmaker[Session]
QUEUE_ROW = 1  # the one row of `queue_state`


@dataclasses.dataclass(frozen=True)
class Transfer:
    """A started download this engine owns."""

    id: int
    link: str
    download_name: str
    gid: str | None
    started_time: int | None
    user_name: str = ""


def queue_running(sessions: SessionFactory) -> bool:
    """Whether the queue is started (a missing row counts as paused)."""
    with sessions() as session:
        state = session.scalar(select(QueueState.state).where(QueueState.id == QUEUE_ROW))
    return state == QUEUE_RUNNING


def claim(
    sessions: SessionFactory,
    engine_id: str,
    limit: int,
    now: int,
    book: QuotaBook | None = None,
) -> list[Transfer]:
    """Take up to `limit` queued downloads, oldest first, for `engine_id`, each with the new GID
    it is to get in aria2 recorded at once; with a quota `book`, only downloads whose owner it
    admits (counting the ones taken here).

    One conditional UPDATE claims them all (rows another replica took first do not match it),
    so filling every free slot costs one transaction however many slots there are.
    """
    if limit <= 0:
        return []
    query = (
        select(
            Download.id,
            Download.user_name,
            Download.link,
            Download.download_name,
            Download.started_time,
        )
        .where(Download.status == QUEUED, Download.claimed_by.is_(None))
        .order_by(Download.added_time, Download.id)
        .limit(limit * 2)  # some may be taken by another replica meanwhile
    )
    if book is not None and (waiting := book.refused()):
        query = query.where(Download.user_name.not_in(waiting))
    with sessions() as session:
        rows = session.execute(query).all()
    chosen = []
    for row in rows:
        if book is not None:
            if not book.admits(row.user_name):
                continue
            book.started(row.user_name)
        chosen.append(row)
        if len(chosen) == limit:
            break
    if not chosen:
        return []
    gids = {row.id: new_gid() for row in chosen}
    with sessions() as session:
        changed_rows(
            session,
            update(Download)
            .where(
                Download.id.in_(gids),
                Download.status == QUEUED,
                Download.claimed_by.is_(None),
            )
            .values(
                status=STARTED,
                claimed_by=engine_id,
                heartbeat_time=now,
                started_time=func.coalesce(Download.started_time, now),
                gid=case(gids, value=Download.id),
                error=None,
            ),
        )
        won = set(
            session.scalars(
                select(Download.id).where(
                    Download.id.in_(gids),
                    Download.claimed_by == engine_id,
                    Download.gid.in_(gids.values()),
                )
            )
        )
        session.commit()
    return [
        Transfer(
            row.id,
            row.link,
            row.download_name,
            gids[row.id],
            row.started_time or now,
            row.user_name,
        )
        for row in chosen
        if row.id in won
    ]


def new_gid() -> str:
    """A fresh aria2 GID (16 hex digits): a new one for every claim, so a GID names one claim."""
    return secrets.token_hex(8)


def claim_download(
    sessions: SessionFactory, engine_id: str, download_id: int, now: int
) -> Transfer | None:
    """Take one queued download for `engine_id`; None when it is not queued or another engine
    took it first."""
    with sessions() as session:
        row = session.execute(
            select(
                Download.link, Download.download_name, Download.started_time, Download.user_name
            ).where(Download.id == download_id)
        ).first()
        if row is None:
            return None
        won = changed_rows(
            session,
            update(Download)
            .where(
                Download.id == download_id,
                Download.status == QUEUED,
                Download.claimed_by.is_(None),
            )
            .values(
                status=STARTED,
                claimed_by=engine_id,
                heartbeat_time=now,
                started_time=row.started_time or now,
                gid=None,
                error=None,
            ),
        )
        session.commit()
    if won != 1:
        return None
    return Transfer(download_id, row.link, row.download_name, None, now, row.user_name)


def owned(sessions: SessionFactory, engine_id: str) -> list[Transfer]:
    """The started downloads `engine_id` owns."""
    with sessions() as session:
        rows = session.execute(
            select(
                Download.id,
                Download.link,
                Download.download_name,
                Download.gid,
                Download.started_time,
                Download.user_name,
            )
            .where(Download.status == STARTED, Download.claimed_by == engine_id)
            .order_by(Download.id)
        ).all()
    return [
        Transfer(row.id, row.link, row.download_name, row.gid, row.started_time, row.user_name)
        for row in rows
    ]


def started_gids(sessions: SessionFactory) -> set[str]:
    """GIDs of every started download, whichever replica owns it."""
    with sessions() as session:
        gids = session.scalars(
            select(Download.gid).where(Download.status == STARTED, Download.gid.is_not(None))
        ).all()
    return {gid for gid in gids if gid}


def changed_rows(session: Session, statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed (0 when its condition lost
    a race)."""
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount)


def _update_owned(
    sessions: SessionFactory, download_id: int, engine_id: str, **values: Any
) -> bool:
    """Set `values` on a download this engine has claimed and still runs; False when it no
    longer owns it (another replica took it over after a missed heartbeat)."""
    with sessions() as session:
        done = changed_rows(
            session,
            update(Download)
            .where(
                Download.id == download_id,
                Download.status == STARTED,
                Download.claimed_by == engine_id,
            )
            .values(**values),
        )
        session.commit()
    return done == 1


def set_gid(sessions: SessionFactory, download_id: int, engine_id: str, gid: str) -> bool:
    """Record the GID a download is about to get in aria2 (before asking aria2 for it)."""
    return _update_owned(sessions, download_id, engine_id, gid=gid)


def progress(
    sessions: SessionFactory,
    download_id: int,
    engine_id: str,
    *,
    total: int,
    done: int,
    speed: int,
    now: int,
) -> None:
    """Store what aria2 reports for a running download, and renew the claim."""
    report = Progress(download_id, total=total, done=done, speed=speed)
    record_progress(sessions, engine_id, [report], now=now)


def heartbeat(sessions: SessionFactory, engine_id: str, now: int) -> None:
    """Renew every claim of `engine_id` (it is alive and in touch with its aria2)."""
    with sessions() as session:
        session.execute(
            update(Download)
            .where(Download.status == STARTED, Download.claimed_by == engine_id)
            .values(heartbeat_time=now)
        )
        session.commit()


def take_over_stale(sessions: SessionFactory, engine_id: str, cutoff: int) -> int:
    """Re-queue started downloads whose owner has not renewed its claim since `cutoff`."""
    with sessions() as session:
        count = changed_rows(
            session,
            update(Download)
            .where(
                Download.status == STARTED,
                or_(Download.claimed_by.is_(None), Download.claimed_by != engine_id),
                or_(Download.heartbeat_time.is_(None), Download.heartbeat_time < cutoff),
            )
            .values(status=QUEUED, claimed_by=None, heartbeat_time=None, gid=None),
        )
        session.commit()
    return int(count)


def complete(
    sessions: SessionFactory,
    download_id: int,
    engine_id: str,
    *,
    size: int,
    path: str,
    name: str,
    now: int,
) -> bool:
    """Mark a download completed with its real size, file and completion time."""
    finished = Finished(download_id, size, path, name)
    return download_id in complete_all(sessions, engine_id, [finished], now=now)


@dataclasses.dataclass(frozen=True)
class Finished:
    """A download aria2 completed: its file, relative to the downloads folder, and size."""

    id: int
    size: int
    path: str
    name: str


def complete_all(
    sessions: SessionFactory, engine_id: str, finished: Sequence[Finished], *, now: int
) -> set[int]:
    """Mark every one of `finished` completed in one statement; return the ids this engine
    still owned (the others were taken over meanwhile and stay as their new owner has them)."""
    if not finished:
        return set()
    by_id = {item.id: item for item in finished}
    with sessions() as session:
        # the rows stay locked until the commit (PostgreSQL, MariaDB), so these are the rows
        # the UPDATE below changes
        owned_now = set(
            session.scalars(
                select(Download.id)
                .where(
                    Download.id.in_(by_id),
                    Download.status == STARTED,
                    Download.claimed_by == engine_id,
                )
                .with_for_update()
            )
        )
        if owned_now:
            session.execute(
                update(Download)
                .where(
                    Download.id.in_(owned_now),
                    Download.status == STARTED,
                    Download.claimed_by == engine_id,
                )
                .values(
                    status=COMPLETED,
                    size=case({i: by_id[i].size for i in owned_now}, value=Download.id),
                    completed_length=case({i: by_id[i].size for i in owned_now}, value=Download.id),
                    download_speed=0,
                    path=case({i: by_id[i].path for i in owned_now}, value=Download.id),
                    download_name=case({i: by_id[i].name for i in owned_now}, value=Download.id),
                    completed_time=now,
                    claimed_by=None,
                    heartbeat_time=None,
                    error=None,
                )
            )
        session.commit()
    return owned_now


@dataclasses.dataclass(frozen=True)
class Progress:
    """What aria2 reports for one running download."""

    id: int
    total: int
    done: int
    speed: int


def record_progress(
    sessions: SessionFactory, engine_id: str, reports: Sequence[Progress], *, now: int
) -> None:
    """Store what aria2 reports for running downloads, in one transaction, and renew their
    claims (a download taken over meanwhile is left alone)."""
    if not reports:
        return
    with sessions() as session:
        for report in reports:
            session.execute(
                update(Download)
                .where(
                    Download.id == report.id,
                    Download.status == STARTED,
                    Download.claimed_by == engine_id,
                )
                .values(
                    size=report.total,
                    completed_length=report.done,
                    download_speed=report.speed,
                    heartbeat_time=now,
                )
            )
        session.commit()


def owns(sessions: SessionFactory, download_id: int, engine_id: str) -> bool:
    """Whether `engine_id` still holds its claim on a started download."""
    with sessions() as session:
        owner = session.scalar(
            select(Download.claimed_by).where(
                Download.id == download_id, Download.status == STARTED
            )
        )
    return owner == engine_id


def fail(sessions: SessionFactory, download_id: int, engine_id: str, reason: str) -> bool:
    """Mark a download failed, keeping why."""
    return _update_owned(
        sessions,
        download_id,
        engine_id,
        status=ERROR,
        error=reason[:2000],
        download_speed=0,
        claimed_by=None,
        heartbeat_time=None,
    )


def used_bytes() -> ColumnElement[Any]:
    """What a download counts against its owner's quota: its size, or the bytes written so far
    when that is more (a source without Content-Length reports no size)."""
    return case(
        (Download.completed_length > Download.size, Download.completed_length),
        else_=Download.size,
    )


def quota_usage(sessions: SessionFactory, users: set[str], since: int) -> dict[str, int]:
    """Bytes each of `users` used with downloads added after `since`."""
    if not users:
        return {}
    with sessions() as session:
        rows = session.execute(
            select(Download.user_name, func.coalesce(func.sum(used_bytes()), 0))
            .where(Download.user_name.in_(users), Download.added_time > since)
            .group_by(Download.user_name)
        ).all()
    return {str(user): int(used) for user, used in rows}


@dataclasses.dataclass
class QuotaBook:
    """What owners with queued downloads used, and how many of their started downloads have
    no known size yet, for deciding whom the engine may start another download for.

    A download of unknown size may still take `reserve` bytes (`max_download_bytes`), so an
    owner is admitted only while `used + unknown * reserve` is under the quota: near their quota
    an owner's downloads start one at a time, each once the size of the one before is known,
    and a burst of adds cannot run past the quota by more than one download.
    """

    quota: int
    reserve: int
    used: dict[str, int]
    unknown: dict[str, int]

    def admits(self, user: str) -> bool:
        """Whether another download of `user` may start now."""
        committed = self.used.get(user, 0) + self.unknown.get(user, 0) * self.reserve
        return committed < self.quota

    def started(self, user: str) -> None:
        """Count a download of `user` just started (its size unknown yet)."""
        self.unknown[user] = self.unknown.get(user, 0) + 1

    def refused(self) -> list[str]:
        """The owners who may not start anything now."""
        return [user for user in self.used if not self.admits(user)]

    def over(self) -> list[str]:
        """The owners whose usage reached the quota."""
        return [user for user, used in self.used.items() if used >= self.quota]


def quota_book(sessions: SessionFactory, *, quota: int, reserve: int, since: int) -> QuotaBook:
    """The quota book of every owner with a queued download (downloads added after `since`)."""
    unsized = case((Download.status == STARTED, case((Download.size == 0, 1), else_=0)), else_=0)
    with sessions() as session:
        waiting = select(Download.user_name).where(Download.status == QUEUED).distinct()
        rows = session.execute(
            select(
                Download.user_name,
                func.coalesce(func.sum(used_bytes()), 0),
                func.coalesce(func.sum(unsized), 0),
            )
            .where(Download.user_name.in_(waiting), Download.added_time > since)
            .group_by(Download.user_name)
        ).all()
    return QuotaBook(
        quota=quota,
        reserve=reserve,
        used={str(user): int(used) for user, used, _ in rows},
        unknown={str(user): int(count) for user, _, count in rows},
    )


def fail_queued(sessions: SessionFactory, users: list[str], reason: str) -> int:
    """Fail every queued download of `users` with `reason`; return how many."""
    if not users:
        return 0
    with sessions() as session:
        count = changed_rows(
            session,
            update(Download)
            .where(
                Download.status == QUEUED,
                Download.claimed_by.is_(None),
                Download.user_name.in_(users),
            )
            .values(status=ERROR, error=reason),
        )
        session.commit()
    return count


@dataclasses.dataclass(frozen=True)
class QueueStatus:
    """The queue as the API shows it."""

    running: bool
    counts: dict[int, int]


@dataclasses.dataclass(frozen=True)
class QueueSnapshot(QueueStatus):
    """The queue as the metrics see it."""

    oldest_queued_added_time: int | None


_QUEUE_STATE = PreparedRead(select(QueueState.state).where(QueueState.id == QUEUE_ROW))
_OLDEST_QUEUED = PreparedRead(
    select(func.min(Download.added_time)).where(Download.status == QUEUED)
)


async def read_status(read: Reader) -> QueueStatus:
    """Queue state and downloads per status (kept by triggers: no scan of `downloads`)."""
    state = await read(_QUEUE_STATE)
    counts = counts_by_status(await read(DOWNLOAD_COUNTS))
    return QueueStatus(bool(state) and state[0][0] == QUEUE_RUNNING, counts)


async def read_snapshot(read: Reader) -> QueueSnapshot:
    """`read_status` and the oldest queued download's time (an index read)."""
    status = await read_status(read)
    oldest = await read(_OLDEST_QUEUED)
    return QueueSnapshot(status.running, status.counts, oldest[0][0] if oldest else None)


def snapshot(db: Session | Connection) -> QueueSnapshot:
    """`read_snapshot` on a SQLAlchemy connection or session (the engine's metrics)."""
    return run_reads(read_snapshot(statements_of(db)))


def set_queue_state(session: Session, state: str, now: int) -> None:
    """Record the wanted queue state (`QUEUE_RUNNING` or `QUEUE_PAUSED`)."""
    assert state in (QUEUE_RUNNING, QUEUE_PAUSED), state
    changed = changed_rows(
        session,
        update(QueueState).where(QueueState.id == QUEUE_ROW).values(state=state, updated_time=now),
    )
    if changed == 0:
        session.add(QueueState(id=QUEUE_ROW, state=state, updated_time=now))
