"""Signing in, signing up and signing out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bassa_sdk._base_client import Timeout
from bassa_sdk._call import Call
from bassa_sdk._errors import ResponseValidationError
from bassa_sdk._generated.api.auth import end_own_sessions, login, sign_up
from bassa_sdk._generated.models import LoginForm, LoginResult, SignUpRequest, Status
from bassa_sdk._generated.types import Response
from bassa_sdk._reading import expect, returns_none
from bassa_sdk._session import TOKEN_HEADER
from bassa_sdk._validate import non_empty

if TYPE_CHECKING:
    from bassa_sdk._async._client import AsyncBassa

__all__ = ["AsyncSession"]


class AsyncSession:
    """`client.session`: sign in and out."""

    def __init__(self, client: AsyncBassa) -> None:
        self._client = client

    async def login(self, user_name: str, password: str, *, timeout: Timeout = None) -> LoginResult:
        """Sign in; the token is kept and renewed. `.auth == "0"` means an admin."""
        return await self._client._execute(self._login(user_name, password), timeout)

    async def sign_up(
        self, user_name: str, password: str, email: str, *, timeout: Timeout = None
    ) -> None:
        """Ask for an account; an admin must approve it before it can sign in."""
        body = SignUpRequest(
            user_name=non_empty(user_name, "user_name"),
            password=non_empty(password, "password"),
            email=non_empty(email, "email"),
        )
        await self._client._execute(Call(sign_up, {"body": body}, returns_none(Status)), timeout)

    async def end_everywhere(self, *, timeout: Timeout = None) -> None:
        """End every session of the signed-in user, on every device, at once.

        This client carries on with the one new session the answer brings (its `token`
        header); every other token issued before stops working. An extension: a legacy server
        raises `UnsupportedOperationError`.
        """
        await self._client._execute(Call(end_own_sessions, {}, returns_none(Status)), timeout)

    @property
    def token(self) -> str | None:
        """The current session token (renewed by every response), or None when signed out."""
        return self._client._state.token

    @property
    def user_name(self) -> str | None:
        """Who signed in with `login()` on this client, if anyone."""
        return self._client._state.user_name

    def logout(self) -> None:
        """Forget the token (and any credentials kept for re-login); no request is sent."""
        self._client._state.clear()

    def _login(self, user_name: str, password: str) -> Call[LoginResult]:
        non_empty(user_name, "user_name")
        non_empty(password, "password")
        state = self._client._state
        keep = password if self._client.options.auto_relogin else None
        check = expect(LoginResult)

        def signed_in(response: Response[Any]) -> LoginResult:
            result = check(response)
            token = response.headers.get(TOKEN_HEADER)
            if not token:
                raise ResponseValidationError("login succeeded but sent no token header")
            state.signed_in(token, user_name, keep)
            return result

        form = LoginForm(user_name=user_name, password=password)
        return Call(login, {"body": form}, signed_in)
