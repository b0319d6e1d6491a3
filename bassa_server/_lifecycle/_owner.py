"""The request side of the download lifecycle: queue, delete, rate, read, and the queue switch.

Each method is one short transaction through the app's database runner and raises a
`DownloadRefused` (never an HTTP error) when the rules say no; the HTTP layer picks the status.
The engine side (claim, progress, complete, fail) is `_transfers.py`, the sweep `_retention.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bassa_server._config import Settings
from bassa_server._db.models import COMPLETED, ERROR, QUEUED, Download, Rating
from bassa_server._prepared import PreparedRead

from ._errors import (
    AlreadyStarted,
    DownloadNotFound,
    FileGone,
    NotYourDownload,
    QuotaExceeded,
    VolumeFull,
)
from ._links import check_link, download_name
from ._paths import has_room, inside
from ._transfers import QueueStatus, changed_rows, read_status, set_queue_state, used_bytes

T = TypeVar("T")
NOT_FOUND = "download not found"
NOT_YOURS = "not authorized"
DELETABLE = (QUEUED, ERROR)


class Database(Protocol):
    """How the lifecycle reaches the database (the app's `Services`)."""

    async def run_db(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one committed transaction."""

    async def read_db(self, work: Callable[[Connection], T]) -> T:
        """Run the read-only `work` on a connection."""

    async def prepared(self, read: PreparedRead, /, **values: Any) -> list[tuple[Any, ...]]:
        """The rows of a prepared read, read after this call began."""


@dataclass(frozen=True)
class DownloadStatus:
    """One download's state and progress, as the engine last stored it."""

    id: int
    status: int
    completed_length: int
    total_length: int
    download_speed: int
    error: str | None


class DownloadLifecycle:
    """The one writer of the `downloads` and `queue_state` tables on behalf of API callers."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        clock: Callable[[], float] = time.time,
        on_queue_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._db = database
        self._clock = clock
        self._on_queue_change = on_queue_change  # wakes this replica's download engine

    async def queue(self, link: str, user_name: str) -> int:
        """Queue `link` for `user_name` after the link, free-space and quota checks; its id."""
        settings = self._settings
        await check_link(link, settings)
        now = int(self._clock())

        def insert(session: Session) -> int:
            # in the same worker thread as the insert: statvfs can block on a network volume
            if not has_room(settings.downloads_dir, settings.min_free_bytes):
                raise VolumeFull("the downloads volume is too full")
            # a running download counts with the bytes it wrote when it announced no size; the
            # engine enforces the quota again when it starts downloads and while they run
            used = session.scalar(
                select(func.coalesce(func.sum(used_bytes()), 0)).where(
                    Download.user_name == user_name,
                    Download.added_time > now - settings.quota_window_seconds,
                )
            )
            if int(used or 0) >= settings.quota_bytes:
                raise QuotaExceeded("quota exceeded")
            row = Download(
                link=link,
                user_name=user_name,
                download_name=download_name(link),
                added_time=now,
                status=QUEUED,
            )
            session.add(row)
            session.flush()
            return row.id

        download_id = await self._db.run_db(insert)
        self._on_queue_change()
        return download_id

    async def delete(self, download_id: int, user_name: str, *, is_admin: bool) -> None:
        """Delete a queued or failed download of `user_name` (an admin: of anyone)."""

        def remove(session: Session) -> None:
            row = _visible_to(session, download_id, user_name, is_admin=is_admin)
            removed = changed_rows(
                session,
                delete(Download).where(Download.id == download_id, Download.status.in_(DELETABLE)),
            )
            if removed == 0:
                state = "is completed" if row.status == COMPLETED else "has started"
                raise AlreadyStarted(
                    f"the download {state}; only queued or failed downloads can be deleted"
                )

        await self._db.run_db(remove)

    async def rate(self, download_id: int, user_name: str, rate: int) -> int:
        """Set `user_name`'s rating of a download they can see; the new rounded average."""

        def rate_it(session: Session) -> int:
            # only what the caller can see may be rated: their own downloads and the shared
            # library (completed downloads); anything else answers exactly like a missing id,
            # so ratings cannot probe which ids exist or what other users queue
            visible = session.scalar(
                select(Download.id).where(
                    Download.id == download_id,
                    or_(Download.user_name == user_name, Download.status == COMPLETED),
                )
            )
            if visible is None:
                raise DownloadNotFound(NOT_FOUND)
            existing = session.get(Rating, (user_name, download_id))
            if existing is None:
                session.add(Rating(user_name=user_name, download_id=download_id, rate=rate))
            else:
                existing.rate = rate
            session.flush()
            average = session.scalar(
                select(func.avg(Rating.rate)).where(Rating.download_id == download_id)
            )
            rating = int(float(average or 0) + 0.5)
            session.execute(
                update(Download).where(Download.id == download_id).values(rating=rating)
            )
            return rating

        return await self._db.run_db(rate_it)

    async def status(self, download_id: int, user_name: str, *, is_admin: bool) -> DownloadStatus:
        """One download's status and progress, for its owner or an admin (a prepared read: the
        progress SDKs poll while they wait for a download)."""
        rows = await self._db.prepared(_STATUS_OF, id=download_id)
        found, _owner, status, done, size, speed, error = _visible(
            rows[0] if rows else None, user_name, is_admin=is_admin
        )
        return DownloadStatus(found, status, done, size, speed, error)

    async def completed_file(self, download_id: int) -> Path:
        """The file of a completed download, proven to be inside the downloads folder."""
        query = select(Download.path).where(
            Download.id == download_id, Download.status == COMPLETED
        )
        relative = await self._db.read_db(lambda db: db.scalar(query))
        path = inside(self._settings.downloads_dir, relative) if relative else None
        if path is None:
            raise FileGone("file not found")
        return path

    async def completed_files(self, gids: list[str]) -> dict[str, Path]:
        """The files of the completed downloads with these GIDs (each must have one)."""
        query = select(Download.gid, Download.path).where(
            Download.gid.in_(gids), Download.status == COMPLETED
        )
        rows = await self._db.read_db(lambda db: db.execute(query).all())
        folder = self._settings.downloads_dir
        found = {gid: inside(folder, path) if path else None for gid, path in rows}
        files: dict[str, Path] = {}
        for gid in gids:
            if (path := found.get(gid)) is None:
                raise DownloadNotFound(f"no completed download with gid {gid}")
            files[gid] = path
        return files

    async def switch_queue(self, state: str) -> None:
        """Record the wanted queue state (`running` or `paused`) for every replica's engine."""
        now = int(self._clock())
        await self._db.run_db(lambda session: set_queue_state(session, state, now))
        self._on_queue_change()

    async def queue_state(self) -> QueueStatus:
        """Whether the queue runs, and downloads per status."""
        return await read_status(self._db.prepared)


# the columns of a download's status, and who may see it
_STATUS_OF = PreparedRead(
    select(
        Download.id,
        Download.user_name,
        Download.status,
        Download.completed_length,
        Download.size,
        Download.download_speed,
        Download.error,
    ).where(Download.id == bindparam("id"))
)


def _visible_to(
    db: Session | Connection, download_id: int, user_name: str, *, is_admin: bool
) -> Any:
    row = db.execute(_STATUS_OF.statement, {"id": download_id}).first()
    return _visible(row, user_name, is_admin=is_admin)


def _visible(row: Any, user_name: str, *, is_admin: bool) -> Any:
    """`row` (a download's `_STATUS_OF`) if `user_name` may see it, else the refusal."""
    if row is None:
        raise DownloadNotFound(NOT_FOUND)
    if row[1] != user_name and not is_admin:
        raise NotYourDownload(NOT_YOURS)
    return row
