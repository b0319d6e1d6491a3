"""Download records: list pages; queue, delete, rate and one download's progress, through the
download lifecycle."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, or_, select
from starlette.responses import Response

from bassa_server._db.models import COMPLETED, Download
from bassa_server._handlers import _cursors as cursors
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
)
from bassa_server._openapi import HandlerSet, OperationCall
from bassa_server._prepared import PreparedRead
from bassa_server._redact import redact_link
from bassa_server._security import session_user

handlers = HandlerSet()


def _page(order: tuple[Any, ...], *where: Any) -> PreparedRead:
    """A page of the downloads matching `where` in `order`: first its ids from the index alone
    (a covering range scan that skips `offset` entries), then those 15 rows, in no particular
    order (the page puts them in order: sorting them again cost MariaDB a temporary table and a
    filesort, 0.15 ms a read). Asked for whole rows at once, MariaDB reads every skipped row and
    may leave the range of a seek unused."""
    ids = (
        select(Download.id)
        .where(*where)
        .order_by(*order)
        .offset(bindparam("offset"))
        .limit(PAGE_SIZE)
        .subquery("page")
    )
    return PreparedRead(select(*DOWNLOAD_COLUMNS).join(ids, Download.id == ids.c.id))


@dataclass(frozen=True)
class _Pages:
    """The reads of a list's pages, from its start or from a cursor: the first straight from
    the index (nothing to skip; the ids-first join costs MariaDB a temporary table, 0.4 ms a
    read), deeper ones by `_page`."""

    first: PreparedRead
    deeper: PreparedRead

    @classmethod
    def of(cls, order: tuple[Any, ...], *where: Any) -> _Pages:
        """The page reads of the downloads matching `where` in `order`."""
        first = select(*DOWNLOAD_COLUMNS).where(*where).order_by(*order).limit(PAGE_SIZE)
        return cls(PreparedRead(first), _page(order, *where))

    def at(self, offset: int) -> tuple[PreparedRead, dict[str, int]]:
        """The read of the page at `offset` and the values it binds besides the list's own."""
        return (self.first, {}) if offset == 0 else (self.deeper, {"offset": offset})


# the list pages are the hottest reads: their statements are built once (indexes
# (user_name, added_time, id) and (status, completed_time, id) serve them). A legacy page skips
# at most MAX_PAGE pages (the spec's `Page` maximum); a page read by cursor seeks the index to
# the last row the caller saw, so it costs what page 1 does at any depth.
_OWN = Download.user_name == bindparam("user_name")
_OWN_ORDER = (Download.added_time, Download.id)
_OWN_PAGES = _Pages.of(_OWN_ORDER, _OWN)
_OWN_AFTER = _Pages.of(
    _OWN_ORDER,
    _OWN,
    Download.added_time >= bindparam("key"),
    or_(Download.added_time > bindparam("key"), Download.id > bindparam("last_id")),
)
_COMPLETED = Download.status == COMPLETED
_COMPLETED_ORDER = (Download.completed_time.desc(), Download.id.desc())
_COMPLETED_PAGES = _Pages.of(_COMPLETED_ORDER, _COMPLETED)
_COMPLETED_AFTER = _Pages.of(
    _COMPLETED_ORDER,
    _COMPLETED,
    Download.completed_time <= bindparam("key"),
    or_(Download.completed_time < bindparam("key"), Download.id < bindparam("last_id")),
)
_ID = DOWNLOAD_KEYS.index("id")
_ADDED = DOWNLOAD_KEYS.index("added_time")
_COMPLETED_TIME = DOWNLOAD_KEYS.index("completed_time")
OWN_CURSOR, COMPLETED_CURSOR = "own", "completed"


def _next_cursor(kind: str, rows: Sequence[Sequence[Any]], key: int) -> str | None:
    """The cursor after the last of `rows` (None after a short page: the list ended)."""
    if len(rows) < PAGE_SIZE:
        return None
    last = rows[-1]
    return cursors.encode(kind, last[key], last[_ID])


def _cursor_headers(cursor: str | None) -> dict[str, str] | None:
    return {cursors.NEXT_CURSOR_HEADER: cursor} if cursor is not None else None


@dataclass(frozen=True)
class OwnPage:
    """A page of someone's own downloads: its body and the cursor after it."""

    body: bytes
    next_cursor: str | None

    @classmethod
    def of(cls, rows: Sequence[Sequence[Any]]) -> OwnPage:
        """The page of these rows (in any order): oldest first."""
        ordered = sorted(rows, key=itemgetter(_ADDED, _ID))
        return cls(downloads_json(ordered), _next_cursor(OWN_CURSOR, ordered, _ADDED))


@handlers.operation("list_own_downloads")
async def list_own_downloads(call: OperationCall) -> Response:
    """The caller's downloads, oldest first, 15 a page (after a cursor, when one is given)."""
    user_name, offset = session_user(call).user_name, page_offset(call.params["page"])
    svc = services(call)
    if (cursor := call.params.get("cursor")) is not None:
        added, last_id = cursors.decode(cursor, OWN_CURSOR, int, int)
        read, at = _OWN_AFTER.at(offset)
        page = await svc.shaped(
            read, OwnPage.of, user_name=user_name, key=added, last_id=last_id, **at
        )
    else:
        read, at = _OWN_PAGES.at(offset)
        page = await svc.shaped(read, OwnPage.of, user_name=user_name, **at)
    return json_reply(page.body, _cursor_headers(page.next_cursor))


@handlers.operation("list_completed_downloads")
async def list_completed_downloads(call: OperationCall) -> Response:
    """Every user's completed downloads, newest first, 15 a page (after a cursor, when one is
    given); other users' links redacted."""
    viewer = session_user(call).user_name
    offset = page_offset(call.params["page"])
    svc = services(call)
    if (cursor := call.params.get("cursor")) is not None:
        completed, last_id = cursors.decode(cursor, COMPLETED_CURSOR, int, int)
        read, at = _COMPLETED_AFTER.at(offset)
        page = await svc.shaped(read, SharedPage.of, key=completed, last_id=last_id, **at)
    else:
        read, at = _COMPLETED_PAGES.at(offset)
        page = await svc.shaped(read, SharedPage.of, **at)
    return json_reply(page.body_for(viewer), _cursor_headers(page.next_cursor))


_LINK = DOWNLOAD_KEYS.index("link")
_OWNER = DOWNLOAD_KEYS.index("user_name")


@dataclass(frozen=True)
class SharedPage:
    """A page of the shared library: its body with every link redacted (the same for nearly
    every caller, so it is rendered once and kept), and the rows for a caller who owns some."""

    rows: tuple[tuple[Any, ...], ...]
    redacted: bytes
    owners: frozenset[str]
    next_cursor: str | None
    # the page as each of its owners sees it, rendered once (at most one per row)
    _owner_views: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, rows: Sequence[Sequence[Any]]) -> SharedPage:
        """The page of these rows (in any order): newest first."""
        kept = tuple(
            sorted((tuple(row) for row in rows), key=itemgetter(_COMPLETED_TIME, _ID), reverse=True)
        )
        return cls(
            kept,
            _shared_json(kept, viewer=None),
            frozenset(row[_OWNER] for row in kept),
            _next_cursor(COMPLETED_CURSOR, kept, _COMPLETED_TIME),
        )

    def body_for(self, viewer: str) -> bytes:
        """The page as `viewer` sees it: their own links whole, everybody else's redacted."""
        if viewer not in self.owners:
            return self.redacted
        view = self._owner_views.get(viewer)
        if view is None:
            view = self._owner_views[viewer] = _shared_json(self.rows, viewer)
        return view


def _shared_json(rows: Sequence[Sequence[Any]], viewer: str | None) -> bytes:
    shown = [
        row if row[_OWNER] == viewer else (*row[:_LINK], redact_link(row[_LINK]), *row[_LINK + 1 :])
        for row in rows
    ]
    return downloads_json(shown)


@handlers.operation("add_download")
async def add_download(call: OperationCall) -> Response:
    """Queue a link after the scheme, address, quota and free-space checks."""
    user = session_user(call)
    download_id = await services(call).downloads.queue(call.body["link"], user.user_name)
    return reply({**SUCCESS, "id": download_id})


@handlers.operation("delete_download")
async def delete_download(call: OperationCall) -> Response:
    """Delete one's own (or, as an admin, anyone's) queued or failed download."""
    user = session_user(call)
    await services(call).downloads.delete(call.params["id"], user.user_name, is_admin=user.is_admin)
    return reply(SUCCESS)


@handlers.operation("rate_download")
async def rate_download(call: OperationCall) -> Response:
    """Set the caller's rating of a download they can see; reply the rounded average."""
    user = session_user(call)
    downloads = services(call).downloads
    rating = await downloads.rate(call.params["id"], user.user_name, call.body["rate"])
    return reply({**SUCCESS, "rating": rating})


@handlers.operation("get_download_status")
async def get_download_status(call: OperationCall) -> Response:
    """One download's status and progress, as the engine last reported it."""
    user = session_user(call)
    downloads = services(call).downloads
    status = await downloads.status(call.params["id"], user.user_name, is_admin=user.is_admin)
    return reply(dataclasses.asdict(status))
