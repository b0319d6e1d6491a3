"""Ending sessions: "log out everywhere", for oneself or (as an admin) for any user.

Both replace the account's session stamp, so every token issued before stops working on every
replica (within the security hook's one-second state cache on the others). The caller's own
answer carries a token under the new stamp, so the session that asked goes on.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server import _accounts as accounts
from bassa_server._auth import new_session_stamp
from bassa_server._db.models import User
from bassa_server._handlers._common import SUCCESS, reply, services
from bassa_server._openapi import HandlerSet, OperationCall
from bassa_server._security import SessionUser, session_user

handlers = HandlerSet()


@handlers.operation("end_own_sessions")
async def end_own_sessions(call: OperationCall) -> Response:
    """End every session of the caller's account; the answer's token starts the next one."""
    await _end_sessions(call, session_user(call).user_name)
    return reply(SUCCESS)


@handlers.operation("end_user_sessions")
async def end_user_sessions(call: OperationCall) -> Response:
    """End every session of a user (admins only)."""
    await _end_sessions(call, call.params["username"])
    return reply(SUCCESS)


async def _end_sessions(call: OperationCall, user_name: str) -> None:
    stamp = new_session_stamp()

    def replace(session: Session) -> None:
        accounts.require_user(session, user_name)
        session.execute(update(User).where(User.user_name == user_name).values(session_stamp=stamp))

    await services(call).run_db(replace)
    services(call).forget_user(user_name)
    caller = session_user(call)
    if caller.user_name == user_name:
        # the renewed token the finishing hook adds must name the new stamp
        call.principal = SessionUser(caller.user_name, caller.auth, stamp)
