"""Who is calling: the security hook and the response finisher the binding layer runs.

A session token (in the `token` header, or in the `share` query parameter as the legacy UI sends
it) names a user; the user is read from the database on every request, so blocking, unapproving,
renaming or deleting an account ends its sessions at once. A share token opens one zip. The server
key is compared in constant time. After a successful session check every response carries a
renewed token, refusals included.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server._auth import same_secret
from bassa_server._db.models import User
from bassa_server._openapi import ApiError, Call, Credential
from bassa_server._services import Services

TOKEN_ERROR = "token error"  # noqa: S105 - a message, not a secret
NOT_AUTHORIZED = "not authorized"
ADMIN_LEVEL = 0

# The spec says "Admins only" in prose; this is the machine-readable list.
ADMIN_OPERATIONS = frozenset(
    {
        "add_user",
        "update_user",
        "delete_user",
        "list_users",
        "list_signup_requests",
        "approve_user",
        "list_blocked_users",
        "block_user",
        "unblock_user",
        "list_heavy_users",
    }
)
# operations whose `share` parameter may carry a share token (not only a session token)
SHARE_TOKEN_OPERATIONS = frozenset({"fetch_zip"})


@dataclass(frozen=True)
class SessionUser:
    """A caller with a valid session token."""

    user_name: str
    auth: int

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
    """The `authenticate` and `finish` hooks of the binding, over one app's services."""

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
        user_name = self.services.tokens.user_of(credential.value)
        if user_name is None:
            if credential.scheme.name == "shareToken" and operation_id in SHARE_TOKEN_OPERATIONS:
                process_id = self.services.shares.process_of(credential.value)
                if process_id is not None:
                    return ShareGrant(process_id)
            raise ApiError(403, TOKEN_ERROR)
        user = await self.services.run_db(lambda session: _active_user(session, user_name))
        if user is None:
            raise ApiError(403, TOKEN_ERROR)
        if operation_id in ADMIN_OPERATIONS and not user.is_admin:
            raise ApiError(403, NOT_AUTHORIZED)
        return user

    def finish(self, call: Call, response: Response) -> Response:
        """Renew the session of a caller whose token was valid, on every response."""
        if isinstance(call.principal, SessionUser):
            response.headers["token"] = self.services.tokens.mint(call.principal.user_name)
            response.headers["access-control-expose-headers"] = "token"
        return response


def _active_user(session: Session, user_name: str) -> SessionUser | None:
    row = session.execute(
        select(User.auth).where(
            User.user_name == user_name, User.approved.is_(True), User.blocked.is_(False)
        )
    ).first()
    return None if row is None else SessionUser(user_name, row.auth)


def session_user(call: Call) -> SessionUser:
    """The session user of a call whose operation only admits session tokens."""
    if not isinstance(call.principal, SessionUser):
        raise ApiError(403, TOKEN_ERROR)
    return call.principal
