"""User administration (admins only)."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from bassa_sdk._base_client import Timeout
from bassa_sdk._call import Call
from bassa_sdk._errors import NotFoundError
from bassa_sdk._generated.api.users import (
    add_user,
    approve_user,
    block_user,
    delete_user,
    end_user_sessions,
    list_blocked_users,
    list_heavy_users,
    list_signup_requests,
    list_users,
    unblock_user,
    update_user,
)
from bassa_sdk._generated.models import (
    HeavyUser,
    NewUser,
    SignupRequest,
    Status,
    UserSummary,
    UserUpdate,
)
from bassa_sdk._generated.types import UNSET
from bassa_sdk._paging import with_next_cursor
from bassa_sdk._reading import byte_sizes, deleted_earlier, expect_list, returns_none
from bassa_sdk._validate import integer, non_empty

if TYPE_CHECKING:
    from bassa_sdk._async._client import AsyncBassa

__all__ = ["AsyncUsers"]

M = TypeVar("M")
#: Users a request when iterating a user list.
USER_PAGE_SIZE = 100


def _level(value: int) -> int:
    return integer(value, "AuthLevel", "level")


class AsyncUsers:
    """`client.users`: user administration; every call needs an admin's session."""

    def __init__(self, client: AsyncBassa) -> None:
        self._client = client

    async def list(self, *, timeout: Timeout = None) -> builtins.list[UserSummary]:
        """Users that are not blocked, approved or not, by name (a current server sends at
        most 100: `iter()` reads them all)."""
        call = Call(list_users, {}, expect_list(UserSummary))
        return await self._client._execute(call, timeout)

    def iter(self, *, page_size: int = USER_PAGE_SIZE) -> AsyncIterator[UserSummary]:
        """Every user that is not blocked, by name, `page_size` a request (a legacy server
        answers all of them in one)."""
        return self._pages(list_users, UserSummary, page_size)

    def iter_blocked(self, *, page_size: int = USER_PAGE_SIZE) -> AsyncIterator[UserSummary]:
        """Every blocked user, by name, `page_size` a request."""
        return self._pages(list_blocked_users, UserSummary, page_size)

    def iter_requests(self, *, page_size: int = USER_PAGE_SIZE) -> AsyncIterator[SignupRequest]:
        """Every user waiting for approval, by name, `page_size` a request."""
        return self._pages(list_signup_requests, SignupRequest, page_size)

    async def _pages(
        self, endpoint: ModuleType, model: type[M], page_size: int
    ) -> AsyncIterator[M]:
        kwargs: dict[str, Any] = {"limit": integer(page_size, "list_users.limit", "page_size")}
        while True:
            call = Call(endpoint, dict(kwargs), with_next_cursor(expect_list(model)))
            rows, cursor = await self._client._execute(call)
            for row in rows:
                yield row
            if cursor is None:
                return
            kwargs["cursor"] = cursor

    async def add(
        self, user_name: str, password: str, email: str, *, level: int = 1, timeout: Timeout = None
    ) -> None:
        """Create an approved user; `level` 0 makes an admin."""
        body = NewUser(
            user_name=non_empty(user_name, "user_name"),
            password=non_empty(password, "password"),
            auth=_level(level),
            email=non_empty(email, "email"),
        )
        await self._client._execute(Call(add_user, {"body": body}, returns_none(Status)), timeout)

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
        if user_name is None and password is None and level is None and email is None:
            raise ValueError("update needs at least one of user_name, password, level, email")
        body = UserUpdate(
            user_name=UNSET if user_name is None else non_empty(user_name, "user_name"),
            password=UNSET if password is None else non_empty(password, "password"),
            auth=UNSET if level is None else _level(level),
            email=UNSET if email is None else non_empty(email, "email"),
        )
        kwargs = {"username": non_empty(username, "username"), "body": body}
        await self._client._execute(Call(update_user, kwargs, returns_none(Status)), timeout)

    async def delete(self, username: str, *, timeout: Timeout = None) -> None:
        """Delete a user with their download records and ratings.

        A retry answered 404 after an attempt whose answer was lost counts as deleted.
        """
        try:
            await self._on_user(delete_user, username, timeout)
        except NotFoundError as exc:
            if not deleted_earlier(exc, "delete_user"):
                raise

    async def requests(self, *, timeout: Timeout = None) -> builtins.list[SignupRequest]:
        """Users waiting for approval, by name."""
        call = Call(list_signup_requests, {}, expect_list(SignupRequest))
        return await self._client._execute(call, timeout)

    async def approve(self, username: str, *, timeout: Timeout = None) -> None:
        """Let a signed-up user sign in."""
        await self._on_user(approve_user, username, timeout)

    async def blocked(self, *, timeout: Timeout = None) -> builtins.list[UserSummary]:
        """Blocked users, by name."""
        call = Call(list_blocked_users, {}, expect_list(UserSummary))
        return await self._client._execute(call, timeout)

    async def block(self, username: str, *, timeout: Timeout = None) -> None:
        """Block a user: their sign-in and every token already issued stop working."""
        await self._on_user(block_user, username, timeout)

    async def unblock(self, username: str, *, timeout: Timeout = None) -> None:
        """Unblock a user."""
        await self._on_user(unblock_user, username, timeout)

    async def end_sessions(self, username: str, *, timeout: Timeout = None) -> None:
        """Log a user out everywhere: every token issued to them stops working at once.

        An extension: a legacy server raises `UnsupportedOperationError`.
        """
        await self._on_user(end_user_sessions, username, timeout)

    async def heavy(self, *, timeout: Timeout = None) -> builtins.list[HeavyUser]:
        """The ten users who downloaded the most bytes in the last 30 days."""
        call = Call(list_heavy_users, {}, byte_sizes(expect_list(HeavyUser)))
        return await self._client._execute(call, timeout)

    async def _on_user(self, endpoint: ModuleType, username: str, timeout: Timeout) -> None:
        kwargs = {"username": non_empty(username, "username")}
        await self._client._execute(Call(endpoint, kwargs, returns_none(Status)), timeout)
