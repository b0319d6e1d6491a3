"""Remove old, poorly rated files: the retention rule, from configuration.

A completed download whose completion is more than `retention_days` days ago and whose rating is
at most `retention_min_rating` loses its file and becomes status 2 (deleted). `retention_days = 0`
keeps everything forever (the default). Downloads rated above the threshold are kept however old
they are, and recent ones are kept whatever their rating. (The original server ran this rule with
every rating stuck at 0, so it deleted nearly every file older than a day.)

The file is removed before the row changes, so a crash in between leaves a row the next sweep
finishes rather than a file no row points to; the UPDATE is conditional on status 3, so replicas
sweeping at once change each row once.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from sqlalchemy import select, update

from bassa_server._db.models import COMPLETED, DELETED, Download

from ._paths import download_folder, relative_inside
from ._transfers import SessionFactory, changed_rows

log = logging.getLogger("bassa.engine.retention")

DAY_SECONDS = 24 * 60 * 60


def apply_retention(
    sessions: SessionFactory,
    downloads_dir: Path,
    *,
    days: int,
    min_rating: int,
    now: int,
) -> list[int]:
    """Apply the rule at time `now`; return the ids of the downloads whose files were removed."""
    if days <= 0:
        return []
    cutoff = now - days * DAY_SECONDS
    with sessions() as session:
        expired = session.execute(
            select(Download.id, Download.path).where(
                Download.status == COMPLETED,
                Download.completed_time < cutoff,
                Download.rating <= min_rating,
            )
        ).all()
    removed: list[int] = []
    for row in expired:
        _remove_file(downloads_dir, row.id, row.path)
        with sessions() as session:
            changed = changed_rows(
                session,
                update(Download)
                .where(Download.id == row.id, Download.status == COMPLETED)
                .values(status=DELETED),
            )
            session.commit()
        if changed == 1:
            removed.append(row.id)
    if removed:
        log.info("retention removed %d file(s): %s", len(removed), removed)
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
