"""Tokens expire and cannot stand in for each other; links and paths are checked before use."""

from __future__ import annotations

from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from bassa_server._auth import (
    SESSION_SALT,
    SessionClaim,
    SessionTokens,
    ShareTokens,
    hash_password,
    new_session_stamp,
    same_secret,
    verify_password,
)
from bassa_server._config import Settings
from bassa_server._lifecycle import LinkRefused, inside
from bassa_server._lifecycle._links import check_link, download_name


class Clock:
    """A settable clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_session_token_slides_and_expires() -> None:
    """A token is valid until its TTL after minting, then refused; another secret never works."""
    clock = Clock(1_000_000.0)
    tokens = SessionTokens("secret", ttl_seconds=3600, clock=clock)
    alice = SessionClaim("alice", new_session_stamp())
    token = tokens.mint(alice)
    clock.now += 3599
    assert tokens.session_of(token) == alice
    clock.now += 2
    assert tokens.session_of(token) is None
    assert SessionTokens("other", 3600, clock).session_of(tokens.mint(alice)) is None
    assert tokens.session_of("not-a-token") is None


def test_session_tokens_name_the_stamp_and_refuse_the_old_format() -> None:
    """A token carries its session stamp; a token of the earlier user-name-only format is
    refused, so upgrading ends those sessions instead of trusting them."""
    clock = Clock(1_000_000.0)
    tokens = SessionTokens("secret", ttl_seconds=3600, clock=clock)
    first, second = new_session_stamp(), new_session_stamp()
    assert first != second
    assert tokens.session_of(tokens.mint(SessionClaim("alice", second))) == SessionClaim(
        "alice", second
    )
    old_format = URLSafeTimedSerializer("secret", salt=SESSION_SALT).dumps("alice")
    assert tokens.session_of(old_format) is None


def test_share_token_is_bound_and_expires() -> None:
    """A share token opens its job until its expiry and is not a session token (nor vice versa)."""
    clock = Clock(5_000.0)
    shares = ShareTokens("secret", clock)
    share = shares.mint("abc123", expires_at=5_100)
    assert shares.process_of(share) == "abc123"
    assert SessionTokens("secret", 3600, clock).session_of(share) is None
    session = SessionClaim("abc123", "stamp")
    assert shares.process_of(SessionTokens("secret", 3600, clock).mint(session)) is None
    clock.now = 5_100
    assert shares.process_of(share) is None


def test_passwords_and_keys() -> None:
    """argon2 hashes verify only the right password; an unknown user never verifies."""
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong horse")
    assert not verify_password(None, "correct horse")
    assert same_secret("k", "k")
    assert not same_secret(None, "k")
    assert not same_secret("K", "k")


@pytest.mark.parametrize(
    ("link", "name"),
    [
        ("https://example.org/files/report%20v2.pdf", "report v2.pdf"),
        ("https://example.org/files/", "files"),
        ("http://example.org", ""),
        ("magnet:?xt=urn:btih:abc&dn=Some%20Movie", "Some Movie"),
        ("magnet:?xt=urn:btih:abc", ""),
    ],
)
def test_download_name(link: str, name: str) -> None:
    """The first name of a download is the decoded last path segment or the magnet's dn."""
    assert download_name(link) == name


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("file:///etc/passwd", "link scheme not allowed: file"),
        ("magnet:?xt=urn:btih:abc", "link scheme not allowed: magnet"),
        ("http://127.0.0.1/x", "link address not allowed: not a public address"),
        ("http://[::1]/x", "link address not allowed: not a public address"),
        ("http://169.254.169.254/latest", "link address not allowed: not a public address"),
        ("http://10.1.2.3/x", "link address not allowed: not a public address"),
    ],
)
async def test_refused_links(link: str, message: str, tmp_path: Path) -> None:
    """Disallowed schemes and private literal addresses are refused (no DNS needed for these)."""
    settings = Settings(data_dir=tmp_path, block_private_addresses=True)
    with pytest.raises(LinkRefused) as refused:
        await check_link(link, settings)
    assert refused.value.message == message


async def test_private_addresses_allowed_when_not_blocked(tmp_path: Path) -> None:
    """With blocking off (tests, demos) loopback links are accepted."""
    await check_link("http://127.0.0.1:8000/x", Settings(block_private_addresses=False))


def test_inside_refuses_escapes(tmp_path: Path) -> None:
    """Only regular files inside the folder resolve; `..` and symlinks out are refused."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "ok.txt").write_text("ok")
    (tmp_path / "secret").write_text("no")
    (folder / "link").symlink_to(tmp_path / "secret")
    assert inside(folder, "ok.txt") == (folder / "ok.txt").resolve()
    assert inside(folder, "../secret") is None
    assert inside(folder, "link") is None
    assert inside(folder, "/etc/passwd") is None
    assert inside(folder, ".") is None
    assert inside(folder, "missing") is None
