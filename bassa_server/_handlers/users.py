"""User administration (admins only; the security hook refuses everybody else)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server import _accounts as accounts
from bassa_server._auth import hash_password_async, new_session_stamp
from bassa_server._db.models import COMPLETED, DELETED, Download, User
from bassa_server._handlers._common import SUCCESS, reply, services
from bassa_server._handlers.auth import create_user
from bassa_server._openapi import HandlerSet, OperationCall
from bassa_server._security import SessionUser, session_user

handlers = HandlerSet()
HEAVY_USERS = 10
HEAVY_WINDOW_SECONDS = 30 * 24 * 60 * 60


SUMMARY_COLUMNS = (User.user_name, User.auth, User.email, User.approved, User.blocked)


def _summary(user: Any) -> dict[str, Any]:
    return {
        "user_name": user.user_name,
        "auth": user.auth,
        "email": user.email,
        "approved": user.approved,
        "blocked": user.blocked,
    }


@handlers.operation("list_users")
async def list_users(call: OperationCall) -> Response:
    """Every user that is not blocked, by name."""
    query = select(*SUMMARY_COLUMNS).where(User.blocked.is_(False)).order_by(User.user_name)
    users = await services(call).read_db(lambda db: db.execute(query).all())
    return reply([_summary(user) for user in users])


@handlers.operation("list_blocked_users")
async def list_blocked_users(call: OperationCall) -> Response:
    """Every blocked user, by name."""
    query = select(*SUMMARY_COLUMNS).where(User.blocked.is_(True)).order_by(User.user_name)
    users = await services(call).read_db(lambda db: db.execute(query).all())
    return reply([_summary(user) for user in users])


@handlers.operation("list_signup_requests")
async def list_signup_requests(call: OperationCall) -> Response:
    """Every user waiting for approval, by name."""
    query = select(User.user_name, User.email).where(User.approved.is_(False))
    rows = await services(call).read_db(lambda db: db.execute(query.order_by(User.user_name)).all())
    return reply([{"user_name": name, "email": email} for name, email in rows])


@handlers.operation("list_heavy_users")
async def list_heavy_users(call: OperationCall) -> Response:
    """The ten users with the most bytes completed in the last 30 days."""
    svc = services(call)
    total = func.sum(Download.size).label("total")
    query = (
        select(Download.user_name, total)
        .where(
            Download.status.in_((COMPLETED, DELETED)),
            Download.completed_time > svc.now() - HEAVY_WINDOW_SECONDS,
        )
        .group_by(Download.user_name)
        .order_by(total.desc(), Download.user_name)
        .limit(HEAVY_USERS)
    )
    rows = await svc.read_db(lambda db: db.execute(query).all())
    return reply([{"user_name": name, "size": int(size or 0)} for name, size in rows])


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
        session.execute(delete(User).where(User.user_name == name))

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
