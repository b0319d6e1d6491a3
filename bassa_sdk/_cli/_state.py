"""The command line's state: where the server is, the saved session, and how errors exit.

The session is saved as JSON in the user's config directory (platformdirs), created with mode
0600 in a 0700 directory, and rewritten after every command because each response renews the
token. Exit codes are distinct per kind of failure so scripts can branch on them:

====  ==========================================================================
code  meaning
====  ==========================================================================
0     success
1     the server refused the request (bad request, conflict, quota, failed job)
2     usage: bad arguments or options, no server URL
3     authentication or permission: not signed in, token expired, wrong password,
      not an admin, wrong server key
4     not found: no such download, user, file or zip
5     server or network: 5xx, connection refused, timeout, malformed response
====  ==========================================================================
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import platformdirs
import typer
from rich.console import Console

from bassa_sdk._config import ENV_URL
from bassa_sdk._errors import (
    APIConnectionError,
    AuthenticationError,
    BassaError,
    NotFoundError,
    PermissionDeniedError,
    ResponseValidationError,
    ServerError,
    TokenError,
)
from bassa_sdk._sync._client import Bassa

__all__ = [
    "EXIT_AUTH",
    "EXIT_FAILURE",
    "EXIT_NOT_FOUND",
    "EXIT_SERVER",
    "EXIT_USAGE",
    "CliState",
    "credentials_path",
    "failures_exit",
]

EXIT_FAILURE, EXIT_USAGE, EXIT_AUTH, EXIT_NOT_FOUND, EXIT_SERVER = 1, 2, 3, 4, 5

err = Console(stderr=True)


def credentials_path() -> Path:
    """Where `bassa login` keeps the session (in the user's config directory)."""
    return platformdirs.user_config_path("bassa") / "credentials.json"


def _load() -> dict[str, Any]:
    try:
        data = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_credentials(url: str, token: str | None, user_name: str | None) -> None:
    """Write the session readable by the user only (mode 0600, directory 0700)."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    payload = json.dumps({"url": url, "token": token, "user_name": user_name}).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an older file may have had looser bits
        os.write(fd, payload)
    finally:
        os.close(fd)


@dataclass
class CliState:
    """Options shared by every command; `http_client` lets tests route requests elsewhere."""

    url: str | None = None
    http_client: httpx.Client | None = None
    _client: Bassa | None = field(default=None, init=False)
    _saved: dict[str, Any] = field(default_factory=dict, init=False)

    def client(self, *, signed_in: bool = True) -> Bassa:
        """The command's client, with the saved token when it belongs to this server."""
        if self._client is None:
            self._saved = _load()
            url = self.url or os.environ.get(ENV_URL) or self._saved.get("url")
            if not url:
                raise typer.BadParameter(f"no server: pass --url, set {ENV_URL}, or bassa login")
            token = os.environ.get("BASSA_TOKEN")
            if token is None and self._saved.get("url") == url.rstrip("/"):
                token = self._saved.get("token")
            self._client = Bassa(url, token=token, http_client=self.http_client)
            if signed_in and not self._client.session.token:
                err.print("[red]not signed in:[/] run [bold]bassa login[/] first")
                raise typer.Exit(EXIT_AUTH)
        return self._client

    def save(self) -> None:
        """Keep the newest token (each response renews it) for the next command."""
        client = self._client
        if client is None or client.session.token is None:
            return
        if client.session.token != self._saved.get("token") or client.session.user_name:
            user = client.session.user_name or self._saved.get("user_name")
            save_credentials(client.base_url, client.session.token, user)

    def close(self) -> None:
        """Close the client's connections."""
        if self._client is not None:
            self._client.close()


def _exit_code(exc: BaseException) -> int:
    if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
        return EXIT_AUTH
    if isinstance(exc, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, (ServerError, APIConnectionError, ResponseValidationError)):
        return EXIT_SERVER
    return EXIT_FAILURE


@contextmanager
def failures_exit(state: CliState) -> Iterator[None]:
    """Turn SDK errors and caller mistakes into a one-line message and the right exit code."""
    try:
        yield
        state.save()
    except (ValueError, TypeError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    except BassaError as exc:
        hint = ""
        if isinstance(exc, TokenError):
            hint = " (run bassa login)"
        err.print(f"[red]error:[/] {exc}{hint}", highlight=False)
        raise typer.Exit(_exit_code(exc)) from exc
    finally:
        state.close()
        sys.stdout.flush()
