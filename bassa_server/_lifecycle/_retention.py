"""Remove old, poorly rated files: the retention rule, from configuration.

A completed download whose completion is more than `retention_days` days ago and whose rating is
at most `retention_min_rating` loses its file and becomes status 2 (deleted). `retention_days = 0`
keeps everything forever (the default). Downloads rated above the threshold are kept however old
they are, and recent ones are kept whatever their rating. (The original server ran this rule with
every rating stuck at 0, so it deleted nearly every file older than a day.)

The file is removed before the row changes, so a crash in between leaves a row the next sweep
finishes rather than a file no row points to; the UPDATE is conditional on status 3, so replicas
sweeping at once change each row once. The sweep runs in batches of at most
`RETENTION_BATCH_ROWS` rows, each one short read and one short write transaction, so a sweep over
a million expired rows never holds a lock (or a SQLite file) for long.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from pathlib import Path

from sqlalchemy import select, tuple_, update

from bassa_server._db.models import COMPLETED, DELETED, Download

from ._paths import download_folder, relative_inside
from ._transfers import SessionFactory, changed_rows

log = logging.getLogger("bassa.engine.retention")

DAY_SECONDS = 24 * 60 * 60


RETENTION_BATCH_ROWS = 500


@dataclasses.dataclass(frozen=True)
class RetentionBatch:
    """What one batch of the sweep did: the downloads whose files it removed, and where the next
    batch starts (None when the sweep is done)."""

    removed: list[int]
    resume_after: tuple[int, int] | None


def retention_batch(
    sessions: SessionFactory,
    downloads_dir: Path,
    *,
    days: int,
    min_rating: int,
    now: int,
    after: tuple[int, int] | None = None,
    limit: int = RETENTION_BATCH_ROWS,
) -> RetentionBatch:
    """Apply the rule at time `now` to at most `limit` expired downloads, the oldest first after
    the key `after` (`(completed_time, id)` of the last row the previous batch looked at).

    One short read and one short write transaction, whatever the table's size: the sweep of a
    million expired rows is many batches, and whoever else writes (heartbeats, claims, the API)
    waits at most one batch.
    """
    if days <= 0:
        return RetentionBatch([], None)
    cutoff = now - days * DAY_SECONDS
    query = (
        select(Download.id, Download.path, Download.completed_time)
        .where(
            Download.status == COMPLETED,
            Download.completed_time < cutoff,
            Download.rating <= min_rating,
        )
        .order_by(Download.completed_time, Download.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(Download.completed_time, Download.id) > tuple_(*after))
    with sessions() as session:
        expired = session.execute(query).all()
    if not expired:
        return RetentionBatch([], None)
    for row in expired:
        _remove_file(downloads_dir, row.id, row.path)
    ids = [row.id for row in expired]
    with sessions() as session:
        # conditional on status 3: a row another replica swept (or a user deleted) meanwhile
        # is left alone
        removed = list(
            session.scalars(
                select(Download.id).where(Download.id.in_(ids), Download.status == COMPLETED)
            )
        )
        if removed:
            changed_rows(
                session,
                update(Download)
                .where(Download.id.in_(removed), Download.status == COMPLETED)
                .values(status=DELETED),
            )
        session.commit()
    last = expired[-1]
    more = len(expired) == limit
    return RetentionBatch(removed, (last.completed_time, last.id) if more else None)


def apply_retention(
    sessions: SessionFactory,
    downloads_dir: Path,
    *,
    days: int,
    min_rating: int,
    now: int,
) -> list[int]:
    """Apply the rule at time `now`, batch after batch; return the ids of the downloads whose
    files were removed (the engine runs the batches itself, yielding between them)."""
    removed: list[int] = []
    after: tuple[int, int] | None = None
    while True:
        batch = retention_batch(
            sessions, downloads_dir, days=days, min_rating=min_rating, now=now, after=after
        )
        removed += batch.removed
        if batch.resume_after is None:
            break
        after = batch.resume_after
    if removed:
        log.info("retention removed %d file(s)", len(removed))
    return removed


def _remove_file(downloads_dir: Path, download_id: int, path: str | None) -> None:
    if path:
        target = downloads_dir / path
        if relative_inside(target, downloads_dir) is not None:
            target.unlink(missing_ok=True)
        else:
            log.warning("download %d: path %r is outside the downloads folder", download_id, path)
    folder = download_folder(downloads_dir, download_id)
    with contextlib.suppress(OSError):  # not empty: something else is in it, keep it
        folder.rmdir()
