"""Talk to aria2 over JSON-RPC, asynchronously, through aria2p.

aria2p is the maintained Python client for aria2's RPC (every method, the `token:` secret, JSON-RPC
error codes), but it is synchronous (requests). The engine runs on the server's event loop, so each
call runs in a worker thread; a call takes well under a millisecond on loopback, so the thread hop
is cheap. This module is the one boundary where aria2p and requests errors become the engine's two
errors: `Aria2Unavailable` (aria2 cannot be reached: restart it, try later) and `Aria2RpcError`
(aria2 answered with an error, e.g. an unknown GID).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from aria2p import Client, ClientException

RPC_TIMEOUT_SECONDS = 10.0
REMOVE_WAIT_SECONDS = 1.0
REMOVE_WAIT_POLLS = 50
STATUS_KEYS = [
    "gid",
    "status",
    "totalLength",
    "completedLength",
    "downloadSpeed",
    "errorCode",
    "errorMessage",
    "files",
]


class _KeepAliveClient(Client):
    """aria2p's client over kept-alive HTTP connections (one per thread): aria2p posts each
    call on a new connection, which costs more than the call itself on loopback."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def post(self, payload: str) -> dict[str, Any]:
        """Send one JSON-RPC payload on this thread's connection; return the decoded answer."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # never through an HTTP proxy from the environment
        answer: dict[str, Any] = session.post(
            self.server, data=payload, timeout=self.timeout
        ).json()
        return answer


class Aria2Unavailable(Exception):  # noqa: N818 - reads as a state, like ConnectionRefused
    """aria2 could not be reached or did not answer with JSON-RPC."""


class Aria2RpcError(Exception):
    """aria2 answered a call with a JSON-RPC error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"aria2 error {code}: {message}")
        self.code = code
        self.message = message

    @property
    def gid_not_found(self) -> bool:
        """True when the error says the GID is unknown (aria2 restarted or never had it)."""
        return "is not found" in self.message


@dataclasses.dataclass(frozen=True)
class TransferStatus:
    """What aria2 reports about one download, with its numbers parsed."""

    gid: str
    status: str  # active, waiting, paused, error, complete, removed
    total_length: int
    completed_length: int
    download_speed: int
    error_code: str
    error_message: str
    path: str

    @classmethod
    def from_rpc(cls, raw: Mapping[str, Any]) -> TransferStatus:
        """Parse a `tellStatus` answer (aria2 sends every number as a string)."""
        files = raw.get("files") or [{}]
        return cls(
            gid=str(raw.get("gid", "")),
            status=str(raw.get("status", "")),
            total_length=int(raw.get("totalLength", 0)),
            completed_length=int(raw.get("completedLength", 0)),
            download_speed=int(raw.get("downloadSpeed", 0)),
            error_code=str(raw.get("errorCode", "")),
            error_message=str(raw.get("errorMessage", "")),
            path=str(files[0].get("path", "")),
        )


class Aria2Rpc:
    """Async access to one aria2 RPC endpoint (`http://host:port/jsonrpc` and its secret)."""

    def __init__(self, url: str, secret: str, *, timeout: float = RPC_TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"aria2 RPC URL must be http(s)://host:port/jsonrpc, not {url!r}")
        if parts.path.rstrip("/") not in {"", "/jsonrpc"}:
            raise ValueError(f"aria2 RPC URL path must be /jsonrpc, not {parts.path!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        self.url = f"{parts.scheme}://{host}:{port}/jsonrpc"
        self._client = _KeepAliveClient(
            host=f"{parts.scheme}://{host}", port=port, secret=secret, timeout=timeout
        )

    async def call(self, method: str, *params: Any) -> Any:
        """Call `aria2.<method>` with `params` (the secret is added) and return its result."""
        return await asyncio.to_thread(self._call, "aria2." + method, list(params))

    def _call(self, method: str, params: list[Any]) -> Any:
        try:
            return self._client.call(method, params)
        except ClientException as exc:
            raise Aria2RpcError(exc.code, exc.message) from exc
        except (requests.RequestException, ValueError, KeyError) as exc:
            # ValueError: the answer was not JSON; KeyError: JSON without result or error
            raise Aria2Unavailable(f"aria2 at {self.url}: {exc.__class__.__name__}") from exc

    async def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Several `aria2.<method>` calls in one request (`system.multicall`): each call's
        result, or the `Aria2RpcError` it failed with, in order."""
        if not calls:
            return []
        return await asyncio.to_thread(self._batch, list(calls))

    def _batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        try:
            answers = self._client.multicall2(
                [("aria2." + method, params) for method, params in calls]
            )
        except ClientException as exc:
            raise Aria2RpcError(exc.code, exc.message) from exc
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise Aria2Unavailable(f"aria2 at {self.url}: {exc.__class__.__name__}") from exc
        results: list[Any] = []
        for answer in answers if isinstance(answers, list) else []:
            if isinstance(answer, list) and answer:  # success: the result, wrapped in a list
                results.append(answer[0])
            elif isinstance(answer, dict):  # a fault: {"code", "message"}
                code = int(answer.get("code", 1))
                results.append(Aria2RpcError(code, str(answer.get("message", ""))))
            else:
                results.append(Aria2RpcError(1, f"unexpected multicall answer: {answer!r}"))
        if len(results) != len(calls):
            raise Aria2Unavailable(f"aria2 at {self.url}: multicall answered {len(results)} calls")
        return results

    async def statuses(self, gids: Sequence[str]) -> dict[str, TransferStatus | Aria2RpcError]:
        """The status of each of `gids`, in one request (an unknown GID maps to its error)."""
        answers = await self.batch([("tellStatus", [gid, STATUS_KEYS]) for gid in gids])
        return {
            gid: answer if isinstance(answer, Aria2RpcError) else TransferStatus.from_rpc(answer)
            for gid, answer in zip(gids, answers, strict=True)
        }

    async def version(self) -> str:
        """aria2's version; a cheap liveness probe."""
        answer = await self.call("getVersion")
        return str(answer["version"])

    async def add_uri(self, uri: str, options: Mapping[str, str]) -> str:
        """Queue `uri` in aria2 with per-download `options`; return its GID."""
        return str(await self.call("addUri", [uri], dict(options)))

    async def options(self, gid: str) -> dict[str, str]:
        """The options `gid` runs with (its own and those it inherits)."""
        answer = await self.call("getOption", gid)
        return {str(key): str(value) for key, value in dict(answer).items()}

    async def tell_status(self, gid: str) -> TransferStatus:
        """The current status of `gid`."""
        return TransferStatus.from_rpc(await self.call("tellStatus", gid, STATUS_KEYS))

    async def gids(self) -> set[str]:
        """GIDs aria2 is working on or holding (active, waiting and paused)."""
        active, waiting = await self.batch(
            [("tellActive", [["gid"]]), ("tellWaiting", [0, 1_000_000, ["gid"]])]
        )
        for answer in (active, waiting):
            if isinstance(answer, Aria2RpcError):
                raise answer
        return {str(item["gid"]) for item in [*active, *waiting]}

    async def pause(self, gid: str) -> None:
        """Pause `gid` now (no graceful tracker round trip: HTTP and FTP need none)."""
        await self.call("forcePause", gid)

    async def pause_all(self) -> None:
        """Pause every transfer aria2 holds."""
        await self.call("forcePauseAll")

    def pause_all_blocking(self) -> None:
        """Pause every transfer aria2 holds, from a thread that is not the event loop's."""
        self._call("aria2.forcePauseAll", [])

    async def unpause(self, gid: str) -> None:
        """Resume a paused `gid`."""
        await self.call("unpause", gid)

    async def remove(self, gid: str) -> None:
        """Stop `gid` and forget it, whatever its state; an unknown GID is already gone.

        aria2 stops a removed download asynchronously; this waits (up to about a second) until
        it has, so the caller can delete its files without aria2 writing them again.
        """
        with contextlib.suppress(Aria2RpcError):  # not running: nothing to stop
            await self.call("forceRemove", gid)
        for _ in range(REMOVE_WAIT_POLLS):
            try:
                state = await self.call("tellStatus", gid, ["status"])
            except Aria2RpcError:
                return  # unknown: already gone
            if state.get("status") not in {"active", "waiting", "paused"}:
                break
            await asyncio.sleep(REMOVE_WAIT_SECONDS / REMOVE_WAIT_POLLS)
        with contextlib.suppress(Aria2RpcError):
            await self.call("removeDownloadResult", gid)
