"""Session state: the current token, renewed from every response, sent with every request.

The generated `AuthenticatedClient` writes its token into the httpx client's headers once, when it
first builds it, so a renewed token would never be sent. Instead the client's transport reads the
newest token here for every attempt and stores the one each response brings back. The token and
the password never appear in a repr or a log line.
"""

from __future__ import annotations

import threading

from bassa_sdk._generated.spec_facts import SECURITY_SCHEMES

__all__ = ["TOKEN_HEADER", "SessionState"]

#: The header that carries the session token, both ways.
TOKEN_HEADER = SECURITY_SCHEMES["tokenAuth"].name


class SessionState:
    """The token of one signed-in user, shared by a client and the clients derived from it."""

    def __init__(self, token: str | None = None) -> None:
        self._lock = threading.Lock()
        self._token = token or None
        self._credentials: tuple[str, str] | None = None
        self.user_name: str | None = None

    def __repr__(self) -> str:
        state = "signed in" if self._token else "signed out"
        who = f" as {self.user_name!r}" if self.user_name else ""
        return f"<Session {state}{who}>"

    @property
    def token(self) -> str | None:
        """The newest session token, or None when signed out."""
        return self._token

    @property
    def credentials(self) -> tuple[str, str] | None:
        """The user name and password kept for automatic re-login, if the client keeps them."""
        return self._credentials

    def renew(self, token: str | None) -> None:
        """Keep a token the server sent (ignoring a missing or empty header)."""
        if token:
            with self._lock:
                self._token = token

    def signed_in(self, token: str, user_name: str, password: str | None) -> None:
        """Record a successful login; the password is kept only when it is given."""
        with self._lock:
            self._token = token
            self.user_name = user_name
            self._credentials = (user_name, password) if password is not None else None

    def clear(self) -> None:
        """Forget the token and any kept credentials."""
        with self._lock:
            self._token = None
            self._credentials = None
            self.user_name = None
