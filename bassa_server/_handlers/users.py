"""User administration (admins only; the security hook refuses everybody else)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import bindparam, false, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server import _accounts as accounts
from bassa_server._auth import hash_password_async, new_session_stamp
from bassa_server._db.models import User
from bassa_server._handlers import _cursors as cursors
from bassa_server._handlers._common import SUCCESS, json_reply, reply, services
from bassa_server._handlers.auth import create_user
from bassa_server._lifecycle import _counters as counters
from bassa_server._openapi import HandlerSet, OperationCall
from bassa_server._prepared import PreparedRead
from bassa_server._security import SessionUser, session_user

handlers = HandlerSet()


# a legacy request (no `limit`, no `cursor`) gets the first page of the default size: the work
# per request stays that of one page however many users there are; the header says there is more
DEFAULT_USER_LIMIT = 100
LEGACY_USER_CAP = DEFAULT_USER_LIMIT
USERS_CURSOR = "users"
_SUMMARY = (User.user_name, User.auth, User.email, User.approved, User.blocked)
_REQUEST = (User.user_name, User.email)


def _summary(row: tuple[Any, ...]) -> dict[str, Any]:
    # booleans come back as 0/1 from SQLite and MariaDB
    name, auth, email, approved, blocked = row
    return {
        "user_name": name,
        "auth": auth,
        "email": email,
        "approved": bool(approved),
        "blocked": bool(blocked),
    }


def _request(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"user_name": row[0], "email": row[1]}


@dataclass(frozen=True)
class _UserPage:
    """A page of a user list: its body and the cursor after it."""

    body: bytes
    next_cursor: str | None


@dataclass(frozen=True)
class _PageShape:
    """Renders the rows of a read of `limit + 1` users into a page of at most `limit` (the row
    more says whether there is a next page). Equal shapes are one key of the read cache."""

    row: Callable[[tuple[Any, ...]], dict[str, Any]]
    limit: int

    def __call__(self, rows: list[tuple[Any, ...]]) -> _UserPage:
        more, rows = len(rows) > self.limit, rows[: self.limit]
        cursor = cursors.encode(USERS_CURSOR, rows[-1][0]) if more else None
        return _UserPage(orjson.dumps([self.row(row) for row in rows]), cursor)


@dataclass(frozen=True)
class _UserList:
    """A user list's two reads, built once (indexes (blocked, user_name) and (approved,
    user_name) serve them): from the start, and after a name."""

    first: PreparedRead
    after: PreparedRead
    row: Callable[[tuple[Any, ...]], dict[str, Any]]

    @classmethod
    def of(
        cls,
        columns: tuple[Any, ...],
        where: Any,
        row: Callable[[tuple[Any, ...]], dict[str, Any]],
    ) -> _UserList:
        """The reads of the users matching `where`, by name, at most `limit` rows."""
        query = select(*columns).where(where).order_by(User.user_name).limit(bindparam("limit"))
        return cls(
            PreparedRead(query),
            PreparedRead(query.where(User.user_name > bindparam("after"))),
            row,
        )


_USERS = _UserList.of(_SUMMARY, User.blocked == false(), _summary)
_BLOCKED = _UserList.of(_SUMMARY, User.blocked == true(), _summary)
_REQUESTS = _UserList.of(_REQUEST, User.approved == false(), _request)


async def _user_page(call: OperationCall, users: _UserList) -> Response:
    """One page of a user list: the legacy cap or `limit` after `cursor`, with the cursor of
    the next page when there may be more (one row more is read to know)."""
    limit, cursor = call.params.get("limit"), call.params.get("cursor")
    if limit is None:
        limit = LEGACY_USER_CAP if cursor is None else DEFAULT_USER_LIMIT
    svc = services(call)
    shape = _PageShape(users.row, limit)
    if cursor is not None:
        (after,) = cursors.decode(cursor, USERS_CURSOR, str)
        page = await svc.shaped(users.after, shape, limit=limit + 1, after=after)
    else:
        page = await svc.shaped(users.first, shape, limit=limit + 1)
    headers = {cursors.NEXT_CURSOR_HEADER: page.next_cursor} if page.next_cursor else None
    return json_reply(page.body, headers)


@handlers.operation("list_users")
async def list_users(call: OperationCall) -> Response:
    """Users that are not blocked, by name, a page at a time."""
    return await _user_page(call, _USERS)


@handlers.operation("list_blocked_users")
async def list_blocked_users(call: OperationCall) -> Response:
    """Blocked users, by name, a page at a time."""
    return await _user_page(call, _BLOCKED)


@handlers.operation("list_signup_requests")
async def list_signup_requests(call: OperationCall) -> Response:
    """Users waiting for approval, by name, a page at a time."""
    return await _user_page(call, _REQUESTS)


@handlers.operation("list_heavy_users")
async def list_heavy_users(call: OperationCall) -> Response:
    """The ten users with the most bytes completed in the last 30 days (whole UTC days), from
    the totals the database keeps."""
    svc = services(call)
    now = svc.now()
    rows = await counters.heavy_users(svc.prepared, now)
    if rows is None:  # a new day: the window moves first (once, whichever replica is first)
        await svc.run_db(lambda session: counters.advance_heavy_window(session, now))
        rows = await counters.heavy_users(svc.prepared, now) or []
    return reply([{"user_name": name, "size": size} for name, size in rows])


@handlers.operation("add_user")
async def add_user(call: OperationCall) -> Response:
    """Create an approved user with the given level."""
    svc = services(call)
    body = call.body
    password_hash = await hash_password_async(body["password"])

    def create(session: Session) -> None:
        accounts.ensure_free(session, body["user_name"], body["email"])
        session.add(
            User(
                user_name=body["user_name"],
                password_hash=password_hash,
                auth=body["auth"],
                email=body["email"],
                approved=True,
                blocked=False,
                created_at=svc.now(),
            )
        )

    await create_user(call, create)
    return reply(SUCCESS)


@handlers.operation("update_user")
async def update_user(call: OperationCall) -> Response:
    """Change the given fields; a new name or password ends the user's sessions (a rename also
    moves their downloads)."""
    svc = services(call)
    name = call.params["username"]
    changes: dict[str, Any] = {
        key: call.body[key] for key in ("user_name", "auth", "email") if key in call.body
    }
    if "password" in call.body:
        changes["password_hash"] = await hash_password_async(call.body["password"])
    if "password_hash" in changes or "user_name" in changes:
        # new credentials: every token issued under the old ones stops working
        changes["session_stamp"] = new_session_stamp()

    def change(session: Session) -> None:
        accounts.require_user(session, name)
        new_name, new_email = changes.get("user_name"), changes.get("email")
        accounts.ensure_free(session, new_name, new_email, other_than=name)
        session.execute(update(User).where(User.user_name == name).values(**changes))

    try:
        await svc.run_db(change)
    except IntegrityError:
        raise accounts.NameOrEmailTaken(accounts.NAME_OR_EMAIL_TAKEN) from None
    svc.forget_user(name, changes.get("user_name", name))
    caller = session_user(call)
    if caller.user_name == name and "session_stamp" in changes:
        # an admin who renamed or re-passworded themselves goes on under the new credentials
        call.principal = SessionUser(
            changes.get("user_name", name),
            changes.get("auth", caller.auth),
            changes["session_stamp"],
        )
    return reply(SUCCESS)


@handlers.operation("delete_user")
async def delete_user(call: OperationCall) -> Response:
    """Delete a user with their downloads and ratings (never the caller's own account)."""
    name = call.params["username"]
    if name == session_user(call).user_name:
        raise accounts.OwnAccount("an admin cannot delete their own account")

    def remove(session: Session) -> None:
        accounts.require_user(session, name)
        accounts.delete_account(session, name)

    await services(call).run_db(remove)
    services(call).forget_user(name)
    return reply(SUCCESS)


@handlers.operation("approve_user")
async def approve_user(call: OperationCall) -> Response:
    """Let the user sign in."""
    await _set_flag(call, approved=True)
    return reply(SUCCESS)


@handlers.operation("block_user")
async def block_user(call: OperationCall) -> Response:
    """Stop the user signing in and end their sessions (never the caller's own account)."""
    if call.params["username"] == session_user(call).user_name:
        raise accounts.OwnAccount("an admin cannot block their own account")
    # a new stamp too: unblocking later must not bring the old sessions back
    await _set_flag(call, blocked=True, session_stamp=new_session_stamp())
    return reply(SUCCESS)


@handlers.operation("unblock_user")
async def unblock_user(call: OperationCall) -> Response:
    """Let a blocked user sign in again."""
    await _set_flag(call, blocked=False)
    return reply(SUCCESS)


async def _set_flag(call: OperationCall, **values: bool | str) -> None:
    name = call.params["username"]

    def change(session: Session) -> None:
        accounts.require_user(session, name)
        session.execute(update(User).where(User.user_name == name).values(**values))

    await services(call).run_db(change)
    services(call).forget_user(name)
