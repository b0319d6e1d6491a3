"""Signing in and signing up (`login`, `sign_up`): the operations anyone may call."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server import _accounts as accounts
from bassa_server._auth import SessionClaim, hash_password_async, verify_password_async
from bassa_server._db.models import User
from bassa_server._handlers._common import SUCCESS, reply, services
from bassa_server._openapi import HandlerSet, OperationCall

handlers = HandlerSet()
ORDINARY_LEVEL = 1
THROTTLED = "too many failed logins, try again later"


@handlers.operation("login")
async def login(call: OperationCall) -> Response:
    """Check the credentials; an approved, unblocked user gets a first token. Failures slow
    down the client that makes them (_throttle.py)."""
    svc = services(call)
    user_name, password = call.body["user_name"], call.body["password"]
    client = call.request.client.host if call.request.client else ""
    wait = svc.login_throttle.admit(user_name, client)
    if wait:
        raise accounts.LoginThrottled(THROTTLED, retry_after=wait)
    query = select(
        User.user_name,
        User.password_hash,
        User.auth,
        User.approved,
        User.blocked,
        User.session_stamp,
    )
    user = await svc.read_db(
        lambda db: db.execute(query.where(User.user_name == user_name)).first()
    )
    known_hash = user.password_hash if user is not None else None
    matches = await verify_password_async(known_hash, password)
    succeeded = user is not None and matches and not user.blocked
    svc.login_throttle.settle(user_name, client, succeeded=succeeded)
    if user is None or not succeeded:
        raise accounts.BadCredentials("invalid credentials")
    if not user.approved:
        raise accounts.NotApproved("account not approved")
    response = reply({"auth": str(user.auth)})
    response.headers["token"] = svc.tokens.mint(SessionClaim(user.user_name, user.session_stamp))
    response.headers["access-control-expose-headers"] = "token"
    return response


@handlers.operation("sign_up")
async def sign_up(call: OperationCall) -> Response:
    """Create an unapproved ordinary user."""
    svc = services(call)
    body = call.body
    password_hash = await hash_password_async(body["password"])

    def create(session: Session) -> None:
        accounts.ensure_free(session, body["user_name"], body["email"])
        session.add(
            User(
                user_name=body["user_name"],
                password_hash=password_hash,
                auth=ORDINARY_LEVEL,
                email=body["email"],
                approved=False,
                blocked=False,
                created_at=svc.now(),
            )
        )

    await create_user(call, create)
    return reply(SUCCESS)


async def create_user(call: OperationCall, create: Callable[[Session], None]) -> None:
    """Run `create`; a concurrent request that took the name or address first is refused too."""
    try:
        await services(call).run_db(create)
    except IntegrityError:
        raise accounts.NameOrEmailTaken(accounts.NAME_OR_EMAIL_TAKEN) from None
