"""User administration (admins only)."""

from __future__ import annotations

import builtins
from types import ModuleType
from typing import TYPE_CHECKING

from bassa_api_client.api.users import (
    add_user,
    approve_user,
    block_user,
    delete_user,
    list_blocked_users,
    list_heavy_users,
    list_signup_requests,
    list_users,
    unblock_user,
    update_user,
)
from bassa_api_client.models import (
    HeavyUser,
    NewUser,
    SignupRequest,
    Status,
    UserSummary,
    UserUpdate,
)
from bassa_api_client.types import UNSET
from bassa_sdk._errors import NotFoundError
from bassa_sdk._resources._base import deleted_earlier, expect_list, returns_none
from bassa_sdk._transport import Call
from bassa_sdk._validate import integer, non_empty

if TYPE_CHECKING:
    from bassa_sdk._async_client import AsyncBassa
    from bassa_sdk._base_client import Timeout
    from bassa_sdk._client import Bassa

__all__ = ["AsyncUsers", "Users"]


def _level(value: int) -> int:
    return integer(value, "AuthLevel", "level")


class _Calls:
    def _list(self) -> Call[builtins.list[UserSummary]]:
        return Call(list_users, {}, expect_list(UserSummary))

    def _add(self, user_name: str, password: str, email: str, level: int) -> Call[None]:
        body = NewUser(
            user_name=non_empty(user_name, "user_name"),
            password=non_empty(password, "password"),
            auth=_level(level),
            email=non_empty(email, "email"),
        )
        return Call(add_user, {"body": body}, returns_none(Status))

    def _update(
        self,
        username: str,
        user_name: str | None,
        password: str | None,
        level: int | None,
        email: str | None,
    ) -> Call[None]:
        if user_name is None and password is None and level is None and email is None:
            raise ValueError("update needs at least one of user_name, password, level, email")
        body = UserUpdate(
            user_name=UNSET if user_name is None else non_empty(user_name, "user_name"),
            password=UNSET if password is None else non_empty(password, "password"),
            auth=UNSET if level is None else _level(level),
            email=UNSET if email is None else non_empty(email, "email"),
        )
        kwargs = {"username": non_empty(username, "username"), "body": body}
        return Call(update_user, kwargs, returns_none(Status))

    def _on_user(self, endpoint: ModuleType, username: str) -> Call[None]:
        kwargs = {"username": non_empty(username, "username")}
        return Call(endpoint, kwargs, returns_none(Status))

    def _requests(self) -> Call[builtins.list[SignupRequest]]:
        return Call(list_signup_requests, {}, expect_list(SignupRequest))

    def _blocked(self) -> Call[builtins.list[UserSummary]]:
        return Call(list_blocked_users, {}, expect_list(UserSummary))

    def _heavy(self) -> Call[builtins.list[HeavyUser]]:
        return Call(list_heavy_users, {}, expect_list(HeavyUser))


class Users(_Calls):
    """`client.users`: user administration; every call needs an admin's session."""

    def __init__(self, client: Bassa) -> None:
        self._client = client

    def list(self, *, timeout: Timeout = None) -> builtins.list[UserSummary]:
        """Every user that is not blocked, approved or not, by name."""
        return self._client._execute(self._list(), timeout)

    def add(
        self, user_name: str, password: str, email: str, *, level: int = 1, timeout: Timeout = None
    ) -> None:
        """Create an approved user; `level` 0 makes an admin."""
        self._client._execute(self._add(user_name, password, email, level), timeout)

    def update(
        self,
        username: str,
        *,
        user_name: str | None = None,
        password: str | None = None,
        level: int | None = None,
        email: str | None = None,
        timeout: Timeout = None,
    ) -> None:
        """Change the given fields of a user (renaming ends their sessions)."""
        call = self._update(username, user_name, password, level, email)
        self._client._execute(call, timeout)

    def delete(self, username: str, *, timeout: Timeout = None) -> None:
        """Delete a user with their download records and ratings.

        A retry answered 404 after an attempt whose answer was lost counts as deleted.
        """
        try:
            self._client._execute(self._on_user(delete_user, username), timeout)
        except NotFoundError as exc:
            if not deleted_earlier(exc, "delete_user"):
                raise

    def requests(self, *, timeout: Timeout = None) -> builtins.list[SignupRequest]:
        """Users waiting for approval, by name."""
        return self._client._execute(self._requests(), timeout)

    def approve(self, username: str, *, timeout: Timeout = None) -> None:
        """Let a signed-up user sign in."""
        self._client._execute(self._on_user(approve_user, username), timeout)

    def blocked(self, *, timeout: Timeout = None) -> builtins.list[UserSummary]:
        """Blocked users, by name."""
        return self._client._execute(self._blocked(), timeout)

    def block(self, username: str, *, timeout: Timeout = None) -> None:
        """Block a user: their sign-in and every token already issued stop working."""
        self._client._execute(self._on_user(block_user, username), timeout)

    def unblock(self, username: str, *, timeout: Timeout = None) -> None:
        """Unblock a user."""
        self._client._execute(self._on_user(unblock_user, username), timeout)

    def heavy(self, *, timeout: Timeout = None) -> builtins.list[HeavyUser]:
        """The ten users who downloaded the most bytes in the last 30 days."""
        return self._client._execute(self._heavy(), timeout)


class AsyncUsers(_Calls):
    """`client.users` of an `AsyncBassa`."""

    def __init__(self, client: AsyncBassa) -> None:
        self._client = client

    async def list(self, *, timeout: Timeout = None) -> builtins.list[UserSummary]:
        """Every user that is not blocked, approved or not, by name."""
        return await self._client._execute(self._list(), timeout)

    async def add(
        self, user_name: str, password: str, email: str, *, level: int = 1, timeout: Timeout = None
    ) -> None:
        """Create an approved user; `level` 0 makes an admin."""
        await self._client._execute(self._add(user_name, password, email, level), timeout)

    async def update(
        self,
        username: str,
        *,
        user_name: str | None = None,
        password: str | None = None,
        level: int | None = None,
        email: str | None = None,
        timeout: Timeout = None,
    ) -> None:
        """Change the given fields of a user (renaming ends their sessions)."""
        call = self._update(username, user_name, password, level, email)
        await self._client._execute(call, timeout)

    async def delete(self, username: str, *, timeout: Timeout = None) -> None:
        """Delete a user with their download records and ratings.

        A retry answered 404 after an attempt whose answer was lost counts as deleted.
        """
        try:
            await self._client._execute(self._on_user(delete_user, username), timeout)
        except NotFoundError as exc:
            if not deleted_earlier(exc, "delete_user"):
                raise

    async def requests(self, *, timeout: Timeout = None) -> builtins.list[SignupRequest]:
        """Users waiting for approval, by name."""
        return await self._client._execute(self._requests(), timeout)

    async def approve(self, username: str, *, timeout: Timeout = None) -> None:
        """Let a signed-up user sign in."""
        await self._client._execute(self._on_user(approve_user, username), timeout)

    async def blocked(self, *, timeout: Timeout = None) -> builtins.list[UserSummary]:
        """Blocked users, by name."""
        return await self._client._execute(self._blocked(), timeout)

    async def block(self, username: str, *, timeout: Timeout = None) -> None:
        """Block a user: their sign-in and every token already issued stop working."""
        await self._client._execute(self._on_user(block_user, username), timeout)

    async def unblock(self, username: str, *, timeout: Timeout = None) -> None:
        """Unblock a user."""
        await self._client._execute(self._on_user(unblock_user, username), timeout)

    async def heavy(self, *, timeout: Timeout = None) -> builtins.list[HeavyUser]:
        """The ten users who downloaded the most bytes in the last 30 days."""
        return await self._client._execute(self._heavy(), timeout)
