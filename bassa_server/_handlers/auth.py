"""Signing in and signing up (`login`, `sign_up`): the operations anyone may call."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server._auth import SessionClaim, hash_password_async, verify_password_async
from bassa_server._db.models import User
from bassa_server._handlers._common import SUCCESS, reply, services
from bassa_server._openapi import ApiError, HandlerSet, OperationCall

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
        raise ApiError(429, THROTTLED, headers={"Retry-After": str(wait)})
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
        raise ApiError(403, "invalid credentials")
    if not user.approved:
        raise ApiError(401, "account not approved", extra={"status": "unapproved"})
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
        ensure_free(session, body["user_name"], body["email"])
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
    """Run `create`; a concurrent request that took the name or address first is a 409 too."""
    try:
        await services(call).run_db(create)
    except IntegrityError:
        raise ApiError(409, "username or email taken") from None


def ensure_free(
    session: Session, user_name: str | None, email: str | None, *, other_than: str | None = None
) -> None:
    """Refuse with 409 a user name or e-mail address another account already has."""
    clauses = []
    if user_name is not None:
        clauses.append(User.user_name == user_name)
    if email is not None:
        clauses.append(User.email == email)
    if not clauses:
        return
    query = select(User.user_name, User.email).where(or_(*clauses))
    for taken_name, taken_email in session.execute(query):
        if taken_name == other_than:
            continue
        if taken_name == user_name:
            raise ApiError(409, "username taken")
        if taken_email == email:
            raise ApiError(409, "email taken")
