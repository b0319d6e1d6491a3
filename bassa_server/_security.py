"""Who is calling: the security hook and the response finisher the binding layer runs.

A session token (in the `token` header, or in the `share` query parameter as the legacy UI sends
it) names a user and a session stamp; the account must exist, be approved, not be blocked, and
still have that stamp (see _auth.py). The account's state is read from the database and kept for
at most USER_STATE_SECONDS; the handlers that change an account drop it at once, so blocking,
renaming, deleting, a new password or "log out everywhere" end the sessions immediately on this
replica and within that second on the others. A token whose stamp differs from the kept one is
checked against the database before it is refused, so a session begun on another replica a moment
ago is not turned away. A share token opens one zip. The server key is
compared in constant time. After a successful session check every response carries a renewed
token, refusals included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from starlette.responses import Response

from bassa_sdk._generated.spec_facts import OPERATIONS, SECURITY_SCHEMES, SHARE_TOKEN_OPERATIONS
from bassa_server._auth import SessionClaim, same_secret
from bassa_server._db.models import User
from bassa_server._openapi import ApiError, Credential, OperationCall
from bassa_server._prepared import PreparedRead
from bassa_server._services import Services

USER_STATE_SECONDS = 1.0
MAX_USER_STATES = 10_000
TOKEN_ERROR = "token error"  # noqa: S105 - a message, not a secret
NOT_AUTHORIZED = "not authorized"
ADMIN_LEVEL = 0

TOKEN_HEADER = SECURITY_SCHEMES["tokenAuth"].name


@dataclass(frozen=True)
class SessionUser:
    """A caller with a valid session token."""

    user_name: str
    auth: int
    session_stamp: str

    @property
    def session(self) -> SessionClaim:
        """The session the caller's renewed tokens name."""
        return SessionClaim(self.user_name, self.session_stamp)

    @property
    def is_admin(self) -> bool:
        """Level 0 is an admin."""
        return self.auth == ADMIN_LEVEL


@dataclass(frozen=True)
class ShareGrant:
    """A caller holding a share token for one zip job."""

    process_id: str


@dataclass(frozen=True)
class KeyHolder:
    """A caller that presented the server key."""


class Security:
    """The `authenticate` and `after` hooks of the binding, over one app's services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def authenticate(self, credential: Credential) -> object:
        """The principal for `credential`, or an `ApiError` 403 with the spec's message."""
        settings = self.services.settings
        if credential.scheme.name == "serverKey":
            if not same_secret(credential.value, settings.server_key):
                raise ApiError(403, NOT_AUTHORIZED)
            return KeyHolder()
        if credential.value is None:
            raise ApiError(403, TOKEN_ERROR)
        operation_id = credential.operation.operation_id
        session = self.services.tokens.session_of(credential.value)
        if session is None:
            if credential.scheme.name == "shareToken" and operation_id in SHARE_TOKEN_OPERATIONS:
                process_id = self.services.shares.process_of(credential.value)
                if process_id is not None:
                    return ShareGrant(process_id)
            raise ApiError(403, TOKEN_ERROR)
        user = await self._active_user(session)
        if user is None:
            raise ApiError(403, TOKEN_ERROR)
        if OPERATIONS[operation_id].admin and not user.is_admin:
            raise ApiError(403, NOT_AUTHORIZED)
        return user

    async def _active_user(self, session: SessionClaim) -> SessionUser | None:
        """The account `session` speaks for while it is active and still has the stamp."""
        states = self.services.user_states
        now = time.monotonic()
        cached = states.get(session.user_name)
        if cached is not None and now - cached[0] < USER_STATE_SECONDS:
            user: SessionUser | None = cached[1]
            if user is None or user.session_stamp == session.stamp:
                return user
        row = await self.services.prepared(_ACTIVE_USER, user_name=session.user_name)
        user = SessionUser(session.user_name, int(row[0][0]), str(row[0][1])) if row else None
        if len(states) >= MAX_USER_STATES:
            states.clear()
        states[session.user_name] = (now, user)
        return user if user is not None and user.session_stamp == session.stamp else None

    def renew_token(self, call: OperationCall, response: Response) -> Response:
        """Renew the session of a caller whose token was valid, on every response."""
        if isinstance(call.principal, SessionUser):
            response.headers[TOKEN_HEADER] = self.services.tokens.mint(call.principal.session)
            response.headers["access-control-expose-headers"] = TOKEN_HEADER
        return response


# built once: composing a statement costs more than running it on every request
_ACTIVE_USER = PreparedRead(
    select(User.auth, User.session_stamp).where(
        User.user_name == bindparam("user_name"),
        User.approved.is_(True),
        User.blocked.is_(False),
    )
)


def session_user(call: OperationCall) -> SessionUser:
    """The session user of a call whose operation only admits session tokens."""
    if not isinstance(call.principal, SessionUser):
        raise ApiError(403, TOKEN_ERROR)
    return call.principal
