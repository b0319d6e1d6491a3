"""What a queued link may be: an allowed scheme, and (optionally) not a private address.

The server fetches whatever users queue, so a link could otherwise point aria2 at the server's own
network (loopback, the cloud metadata address, the LAN). With `block_private_addresses` the host is
resolved and every address it resolves to must be public. The download's first name comes from
the link: the URL-decoded last path segment, or a magnet link's `dn`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import parse_qs, unquote, urlsplit

from bassa_server._config import Settings
from bassa_server._openapi import ApiError

MAX_NAME_LENGTH = 1024


async def check_link(link: str, settings: Settings) -> None:
    """Refuse (400) a link whose scheme or address the settings do not allow."""
    try:
        parts = urlsplit(link)
        scheme = parts.scheme.lower()
        host = parts.hostname
    except ValueError:
        raise ApiError(400, "link is not a valid URL") from None
    if scheme == "magnet":
        if not settings.allow_torrents:
            raise ApiError(400, "link scheme not allowed: magnet")
        return
    if scheme not in settings.allowed_schemes:
        raise ApiError(400, f"link scheme not allowed: {scheme or '(none)'}"[:100])
    if not host:
        raise ApiError(400, "link has no host")
    if settings.block_private_addresses:
        await _check_public(host)


async def _check_public(host: str) -> None:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ApiError(400, "link host does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise ApiError(400, "link address not allowed: not a public address")


def download_name(link: str) -> str:
    """The file name a link suggests (may be empty until the engine knows better)."""
    try:
        parts = urlsplit(link)
    except ValueError:
        return ""
    if parts.scheme.lower() == "magnet":
        names = parse_qs(parts.query).get("dn", [])
        return names[0][:MAX_NAME_LENGTH] if names else ""
    segment = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return unquote(segment)[:MAX_NAME_LENGTH]
