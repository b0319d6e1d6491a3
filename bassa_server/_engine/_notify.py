"""Wake the scheduler the moment aria2 finishes a transfer, from aria2's WebSocket notifications.

aria2 serves its JSON-RPC over WebSocket on the same port as over HTTP, and sends every client
connected there a notification when a download stops (`aria2.onDownloadComplete`,
`onDownloadError`, `onDownloadStop`, …). The scheduler is woken by each, so a freed slot is
filled within milliseconds instead of at the next poll: a queue of tiny files drains at close to
aria2's own pace. Notifications only wake a pass; the pass asks aria2 for the truth, so a missed
notification (aria2 restarting, the socket dropping) costs at most one poll interval, never a
download.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import connect

log = logging.getLogger("bassa.engine.notify")

RECONNECT_SECONDS = 0.5
OPEN_TIMEOUT_SECONDS = 5.0
# what aria2 sends when a download leaves the running set; starts and pauses wake nothing
STOPPED_EVENTS = frozenset(
    {
        "aria2.onDownloadComplete",
        "aria2.onDownloadError",
        "aria2.onDownloadStop",
        "aria2.onBtDownloadComplete",
    }
)


def websocket_url(rpc_url: str) -> str:
    """The WebSocket URL of an aria2 RPC endpoint (`http://h:p/jsonrpc` -> `ws://h:p/jsonrpc`)."""
    parts = urlsplit(rpc_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path or "/jsonrpc", "", ""))


def is_stop_notification(message: str | bytes) -> bool:
    """Whether a WebSocket message from aria2 says a download stopped."""
    try:
        payload = json.loads(message)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("method") in STOPPED_EVENTS


async def listen(rpc_url: Callable[[], str], on_stopped: Callable[[], None]) -> None:
    """Call `on_stopped` whenever aria2 reports a stopped download; runs until cancelled.

    `rpc_url` is read at each (re)connection: a restarted managed aria2c listens on a new port.
    """
    connected_to = ""
    while True:
        url = websocket_url(rpc_url())
        try:
            async with connect(
                url, open_timeout=OPEN_TIMEOUT_SECONDS, max_size=2**20, proxy=None
            ) as socket:
                if url != connected_to:
                    log.debug("listening to aria2 notifications at %s", url)
                    connected_to = url
                on_stopped()  # anything that stopped while not listening is picked up now
                async for message in socket:
                    if is_stop_notification(message):
                        on_stopped()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # aria2 away or restarting: the poll covers the gap
            log.debug("aria2 notifications unavailable (%s); retrying", exc.__class__.__name__)
        await asyncio.sleep(RECONNECT_SECONDS)
