"""Download records: queue, delete, rate, list, and one download's progress."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server._db.models import COMPLETED, ERROR, QUEUED, Download, Rating
from bassa_server._engine._store import used_bytes
from bassa_server._handlers._common import (
    DOWNLOAD_COLUMNS,
    DOWNLOAD_KEYS,
    PAGE_SIZE,
    SUCCESS,
    downloads_json,
    json_reply,
    page_offset,
    reply,
    services,
    wake_engine,
)
from bassa_server._links import check_link, download_name
from bassa_server._openapi import ApiError, Call, HandlerSet
from bassa_server._prepared import PreparedRead
from bassa_server._redact import redact_link
from bassa_server._security import NOT_AUTHORIZED, SessionUser, session_user

handlers = HandlerSet()
NOT_FOUND = "download not found"
DELETABLE = (QUEUED, ERROR)
# the list pages are the hottest reads: their statements are built once (indexes
# (user_name, added_time, id) and (status, completed_time, id) serve them)
_OWN_PAGE = PreparedRead(
    select(*DOWNLOAD_COLUMNS)
    .where(Download.user_name == bindparam("user_name"))
    .order_by(Download.added_time, Download.id)
    .offset(bindparam("offset"))
    .limit(PAGE_SIZE)
)
_COMPLETED_PAGE = PreparedRead(
    select(*DOWNLOAD_COLUMNS)
    .where(Download.status == COMPLETED)
    .order_by(Download.completed_time.desc(), Download.id.desc())
    .offset(bindparam("offset"))
    .limit(PAGE_SIZE)
)


@handlers.operation("list_own_downloads")
async def list_own_downloads(call: Call) -> Response:
    """The caller's downloads, oldest first, 15 a page."""
    user_name, offset = session_user(call).user_name, page_offset(call.params["page"])
    svc = services(call)
    body = await svc.shaped(_OWN_PAGE, downloads_json, user_name=user_name, offset=offset)
    return json_reply(body)


@handlers.operation("list_completed_downloads")
async def list_completed_downloads(call: Call) -> Response:
    """Every user's completed downloads, newest first, 15 a page; other users' links redacted."""
    viewer = session_user(call).user_name
    offset = page_offset(call.params["page"])
    page = await services(call).shaped(_COMPLETED_PAGE, SharedPage.of, offset=offset)
    return json_reply(page.body_for(viewer))


_LINK = DOWNLOAD_KEYS.index("link")
_OWNER = DOWNLOAD_KEYS.index("user_name")


@dataclass(frozen=True)
class SharedPage:
    """A page of the shared library: its body with every link redacted (the same for nearly
    every caller, so it is rendered once and kept), and the rows for a caller who owns some."""

    rows: tuple[tuple[Any, ...], ...]
    redacted: bytes
    owners: frozenset[str]

    @classmethod
    def of(cls, rows: Sequence[Sequence[Any]]) -> SharedPage:
        """The page of these rows."""
        kept = tuple(tuple(row) for row in rows)
        return cls(kept, _shared_json(kept, viewer=None), frozenset(row[_OWNER] for row in kept))

    def body_for(self, viewer: str) -> bytes:
        """The page as `viewer` sees it: their own links whole, everybody else's redacted."""
        return _shared_json(self.rows, viewer) if viewer in self.owners else self.redacted


def _shared_json(rows: Sequence[Sequence[Any]], viewer: str | None) -> bytes:
    shown = [
        row if row[_OWNER] == viewer else (*row[:_LINK], redact_link(row[_LINK]), *row[_LINK + 1 :])
        for row in rows
    ]
    return downloads_json(shown)


@handlers.operation("add_download")
async def add_download(call: Call) -> Response:
    """Queue a link after the scheme, address, quota and free-space checks."""
    svc = services(call)
    settings = svc.settings
    user = session_user(call)
    link: str = call.body["link"]
    await check_link(link, settings)
    now = svc.now()

    def queue(session: Session) -> int:
        # in the same worker thread as the insert: statvfs can block on a network volume
        if shutil.disk_usage(settings.downloads_dir).free < settings.min_free_bytes:
            raise ApiError(507, "the downloads volume is too full")
        # a running download counts with the bytes it wrote when it announced no size; the
        # engine enforces the quota again when it starts downloads and while they run
        used = session.scalar(
            select(func.coalesce(func.sum(used_bytes()), 0)).where(
                Download.user_name == user.user_name,
                Download.added_time > now - settings.quota_window_seconds,
            )
        )
        if int(used or 0) >= settings.quota_bytes:
            raise ApiError(400, "quota exceeded", extra={"quota": "exceeded"})
        row = Download(
            link=link,
            user_name=user.user_name,
            download_name=download_name(link),
            added_time=now,
            status=QUEUED,
        )
        session.add(row)
        session.flush()
        return row.id

    download_id = await svc.run_db(queue)
    wake_engine(svc)
    return reply({**SUCCESS, "id": download_id})


@handlers.operation("delete_download")
async def delete_download(call: Call) -> Response:
    """Delete one's own (or, as an admin, anyone's) queued or failed download."""
    user = session_user(call)
    download_id = call.params["id"]

    def remove(session: Session) -> None:
        _owned(session, download_id, user)
        removed = session.execute(
            delete(Download).where(Download.id == download_id, Download.status.in_(DELETABLE))
        )
        if getattr(removed, "rowcount", 0) == 0:
            raise ApiError(409, "the download has started; it cannot be deleted")

    await services(call).run_db(remove)
    return reply(SUCCESS)


@handlers.operation("rate_download")
async def rate_download(call: Call) -> Response:
    """Set the caller's rating of a download they can see; recompute the rounded average."""
    user = session_user(call)
    download_id = call.params["id"]
    rate: int = call.body["rate"]

    def rate_it(session: Session) -> int:
        # only what the caller can see may be rated: their own downloads and the shared
        # library (completed downloads); anything else answers exactly like a missing id, so
        # ratings cannot probe which ids exist or what other users queue
        visible = session.scalar(
            select(Download.id).where(
                Download.id == download_id,
                or_(Download.user_name == user.user_name, Download.status == COMPLETED),
            )
        )
        if visible is None:
            raise ApiError(404, NOT_FOUND)
        existing = session.get(Rating, (user.user_name, download_id))
        if existing is None:
            session.add(Rating(user_name=user.user_name, download_id=download_id, rate=rate))
        else:
            existing.rate = rate
        session.flush()
        average = session.scalar(
            select(func.avg(Rating.rate)).where(Rating.download_id == download_id)
        )
        rating = int(float(average or 0) + 0.5)
        session.execute(update(Download).where(Download.id == download_id).values(rating=rating))
        return rating

    rating = await services(call).run_db(rate_it)
    return reply({**SUCCESS, "rating": rating})


@handlers.operation("get_download_status")
async def get_download_status(call: Call) -> Response:
    """One download's status and progress, as the engine last reported it."""
    user = session_user(call)
    row = await services(call).read_db(lambda db: _owned(db, call.params["id"], user))
    return reply(
        {
            "id": row.id,
            "status": row.status,
            "completed_length": row.completed_length,
            "total_length": row.size,
            "download_speed": row.download_speed,
            "error": row.error,
        }
    )


def _owned(db: Session | Connection, download_id: int, user: SessionUser) -> Any:
    row = db.execute(
        select(
            Download.id,
            Download.user_name,
            Download.status,
            Download.completed_length,
            Download.size,
            Download.download_speed,
            Download.error,
        ).where(Download.id == download_id)
    ).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    if row.user_name != user.user_name and not user.is_admin:
        raise ApiError(403, NOT_AUTHORIZED)
    return row
