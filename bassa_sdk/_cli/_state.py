"""The command line's state: which server and profile, the saved sessions, and how errors exit.

Sessions are saved as JSON in the user's config directory (platformdirs), one per profile, created
with mode 0600 in a 0700 directory, and rewritten after every command because each response renews
the token. Exit codes are distinct per kind of failure so scripts can branch on them:

====  ==========================================================================
code  meaning
====  ==========================================================================
0     success
1     the server refused the request (bad request, conflict, quota, failed job)
2     usage: bad arguments or options, no server URL
3     authentication or permission: not signed in, token expired, wrong password,
      not an admin, wrong server key
4     not found: no such download, user, file or zip
5     server or network: 5xx, unreachable, timeout, not a Bassa server, a bug
====  ==========================================================================

This module is imported by every command, so it imports the SDK (httpx and the generated
client) only when a command builds its client: `bassa --help` never pays for them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import httpx

    from bassa_sdk._sync._client import Bassa

__all__ = [
    "DEFAULT_PROFILE",
    "EXIT_AUTH",
    "EXIT_FAILURE",
    "EXIT_NOT_FOUND",
    "EXIT_SERVER",
    "EXIT_USAGE",
    "CliState",
    "credentials_path",
    "failures_exit",
    "load_profiles",
    "save_profiles",
]

EXIT_FAILURE, EXIT_USAGE, EXIT_AUTH, EXIT_NOT_FOUND, EXIT_SERVER = 1, 2, 3, 4, 5
DEFAULT_PROFILE = "default"
ENV_PROFILE = "BASSA_PROFILE"


def credentials_path() -> Path:
    """Where `bassa login` keeps the sessions (in the user's config directory)."""
    import platformdirs

    return platformdirs.user_config_path("bassa") / "credentials.json"


def load_profiles() -> dict[str, dict[str, Any]]:
    """Every saved profile by name (a file from before profiles is the default profile)."""
    try:
        data = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    if "profiles" not in data:
        return {DEFAULT_PROFILE: data} if data.get("url") else {}
    profiles = data["profiles"]
    if not isinstance(profiles, dict):
        return {}
    return {k: v for k, v in profiles.items() if isinstance(v, dict)}


def save_profiles(profiles: dict[str, dict[str, Any]]) -> None:
    """Write the sessions readable by the user only (mode 0600, directory 0700)."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    payload = json.dumps({"profiles": profiles}, indent=2).encode()
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
    profile: str | None = None
    timeout: float | None = None
    retries: int = 0
    debug: bool = False
    verbose: bool = False
    http_client: httpx.Client | None = None
    _client: Bassa | None = field(default=None, init=False)
    _profiles: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)

    @property
    def profile_name(self) -> str:
        """The profile this command uses: --profile, then BASSA_PROFILE, then `default`."""
        return self.profile or os.environ.get(ENV_PROFILE) or DEFAULT_PROFILE

    def saved(self) -> dict[str, Any]:
        """The saved session of this command's profile (empty when there is none)."""
        if not self._profiles:
            self._profiles = load_profiles()
        return self._profiles.get(self.profile_name, {})

    def server_url(self) -> str:
        """The server's URL: --url, then BASSA_URL, then the profile's; checked for its scheme."""
        from bassa_sdk._config import ENV_URL

        url = self.url or os.environ.get(ENV_URL) or self.saved().get("url")
        if not url:
            raise typer.BadParameter(
                f"no server: pass --url, set {ENV_URL}, or run bassa login --url URL"
            )
        return _checked_url(url)

    def client(self, *, signed_in: bool = True) -> Bassa:
        """The command's client, with the saved token when it belongs to this server."""
        if self._client is not None:
            return self._client
        from bassa_sdk._sync._client import Bassa

        url = self.server_url()
        saved = self.saved()
        token = os.environ.get("BASSA_TOKEN")
        if token is None and saved.get("url") == url:
            token = saved.get("token")
        if signed_in and not token:
            _not_signed_in(url, saved, self.profile_name, load_profiles())
        options: dict[str, Any] = {"max_attempts": self.retries + 1}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        self._client = Bassa(url, token=token, http_client=self.http_client, **options)
        return self._client

    def remember(self, url: str, token: str | None, user_name: str | None) -> None:
        """Save a session (after a login) as this command's profile."""
        profiles = load_profiles()
        profiles[self.profile_name] = {"url": url, "token": token, "user_name": user_name}
        save_profiles(profiles)
        self._profiles = profiles

    def save(self) -> None:
        """Keep the newest token (each response renews it) for the next command."""
        client = self._client
        if client is None or client.session.token is None or os.environ.get("BASSA_TOKEN"):
            return
        saved = self.saved()
        if saved.get("url") == client.base_url and client.session.token != saved.get("token"):
            self.remember(client.base_url, client.session.token, saved.get("user_name"))

    def close(self) -> None:
        """Close the client's connections."""
        if self._client is not None:
            self._client.close()


def _checked_url(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in {"http", "https"} or not host:
        raise typer.BadParameter(
            f"{url!r} is not a server URL: give http:// or https:// and a host, "
            "such as http://127.0.0.1:8000",
            param_hint="--url",
        )
    return url.rstrip("/")


def _not_signed_in(
    url: str, saved: dict[str, Any], profile: str, profiles: dict[str, dict[str, Any]]
) -> None:
    from bassa_sdk._cli._output import error

    others = sorted(name for name, p in profiles.items() if p.get("url") == url and p.get("token"))
    if others and profile not in others:
        error(f"not signed in to {url} as profile {profile}; try --profile {others[0]}")
    elif saved.get("url") and saved.get("url") != url:
        error(
            f"your saved session (profile {profile}) is for {saved['url']}, not {url}: "
            f"run bassa --url {url} login, or use another --profile"
        )
    else:
        error(f"not signed in to {url}: run bassa login first")
    raise typer.Exit(EXIT_AUTH)


@contextmanager
def failures_exit(state: CliState) -> Iterator[None]:
    """Turn SDK errors, caller mistakes and bugs into one line and the right exit code."""
    from bassa_sdk._cli._output import error
    from bassa_sdk._cli._words import exit_code, in_words
    from bassa_sdk._errors import BassaError

    try:
        yield
        state.save()
    except (typer.Exit, typer.Abort, typer.BadParameter, KeyboardInterrupt):
        raise
    except (ValueError, TypeError) as exc:
        error(str(exc))
        raise typer.Exit(EXIT_USAGE) from exc
    except BassaError as exc:
        state.save()
        url = state._client.base_url if state._client is not None else "the server"
        error(in_words(exc, url, state))
        raise typer.Exit(exit_code(exc)) from exc
    except Exception as exc:  # the last resort: a bug must not show a traceback by default
        last_resort(exc, debug=state.debug)
    finally:
        state.close()
        sys.stdout.flush()


def last_resort(exc: BaseException, *, debug: bool) -> None:
    """Report an unexpected error in one line (the traceback with --debug) and exit 5."""
    from bassa_sdk._cli._output import error

    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    error(
        f"unexpected {type(exc).__name__}: {exc}"
        + ("" if debug else " (run with --debug for the traceback)")
    )
    raise typer.Exit(EXIT_SERVER) from exc
