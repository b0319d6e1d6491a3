"""What a queued link may be: an allowed scheme, and (optionally) not a private address.

The server fetches whatever users queue, so a link could otherwise point aria2 at the server's own
network (loopback, the cloud metadata address, the LAN). With `block_private_addresses` the host is
resolved and every address it resolves to must be public or inside `allowed_private_networks`.

This check is early feedback only (a 400 at once instead of a failed download later): a redirect
or a DNS answer that changes after the check would get past it. The enforcement is the egress
proxy every transfer goes through, which checks each connection's address when it is made
(`_engine/_egress.py`). The check resolves with the same resolver as the proxy
(`egress_resolver`, when set) so both see the same answers.

The download's first name comes from the link: the URL-decoded last path segment, or a magnet
link's `dn`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import parse_qs, unquote, urlsplit

import dns.asyncresolver
import dns.exception

from bassa_server._config import Settings

from ._errors import LinkRefused

MAX_NAME_LENGTH = 1024
RESOLVE_TIMEOUT_SECONDS = 5.0
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


async def check_link(link: str, settings: Settings) -> None:
    """Refuse (`LinkRefused`) a link whose scheme or address the settings do not allow."""
    try:
        parts = urlsplit(link)
        scheme = parts.scheme.lower()
        host = parts.hostname
    except ValueError:
        raise LinkRefused("link is not a valid URL") from None
    if scheme == "magnet":
        if not settings.allow_torrents:
            raise LinkRefused("link scheme not allowed: magnet")
        return
    if scheme not in settings.allowed_schemes:
        raise LinkRefused(f"link scheme not allowed: {scheme or '(none)'}"[:100])
    if not host:
        raise LinkRefused("link has no host")
    if settings.block_private_addresses:
        addresses = await _resolve(host, settings.egress_resolver)
        if not addresses:
            raise LinkRefused("link host does not resolve")
        allowed = [ipaddress.ip_network(n, strict=False) for n in settings.allowed_private_networks]
        for address in addresses:
            if not address.is_global and not any(address in network for network in allowed):
                raise LinkRefused("link address not allowed: not a public address")


async def _resolve(host: str, resolver: str) -> list[IpAddress]:
    """The addresses of `host`: the system's answer, or `resolver`'s (IP:port) when given."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    if not resolver:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError):
            return []
        return _parsed(str(info[4][0]) for info in infos)
    address, _, port = resolver.rpartition(":")
    asking = dns.asyncresolver.Resolver(configure=False)
    asking.nameservers = [address.strip("[]")]
    asking.port = int(port)
    asking.lifetime = RESOLVE_TIMEOUT_SECONDS
    found: list[str] = []
    for record_type in ("A", "AAAA"):
        try:
            answer = await asking.resolve(host, record_type, search=False)
        except (dns.exception.DNSException, UnicodeError):
            continue
        found.extend(record.to_text() for record in answer)
    return _parsed(found)


def _parsed(texts: Iterable[str]) -> list[IpAddress]:
    return [ipaddress.ip_address(text.split("%", 1)[0]) for text in texts]


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
