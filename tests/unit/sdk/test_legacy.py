"""Against the original Bassa server: every public method works or raises a `BassaError`."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bassa_sdk import (
    Bassa,
    BassaError,
    DownloadStatus,
    UnsupportedOperationError,
    WaitTimeoutError,
)
from bassa_sdk._generated.types import Unset
from tests.unit.sdk.conftest import BASE_URL
from tests.unit.sdk.legacy import FILE_BYTES, LegacyBassa


def _client(server: LegacyBassa) -> Bassa:
    http = httpx.Client(transport=httpx.MockTransport(server))
    client = Bassa(BASE_URL, http_client=http, env={}, server_key="123456789")
    client.session.login("alice", "secret")
    return client


def test_add_recovers_the_id_a_legacy_server_does_not_send() -> None:
    """downloads.add returns the id of the caller's newest download of that link."""
    server = LegacyBassa()
    client = _client(server)
    first = client.downloads.add("https://www.example.org/report.pdf")
    second = client.downloads.add("https://www.example.org/report.pdf")
    assert isinstance(first.id, int) and isinstance(second.id, int)
    assert second.id > first.id == 2


def test_waiting_on_a_legacy_server_polls_the_callers_downloads() -> None:
    """Without the status endpoint, wait() reads the caller's list: the quickstart works."""
    server = LegacyBassa()
    client = _client(server)
    done = client.downloads.wait(1, timeout=5)
    assert done.status == DownloadStatus.COMPLETED and done.total_length == 1800
    created = client.downloads.add("https://www.example.org/report.pdf")
    assert isinstance(created.id, int)
    with pytest.raises(WaitTimeoutError):
        client.downloads.wait(created.id, timeout=0)
    with pytest.raises(UnsupportedOperationError, match="does not implement get_download_status"):
        client.downloads.wait(999, timeout=5)  # not the caller's: the legacy list cannot tell


def _calls(tmp_path: Path) -> dict[str, Callable[[Bassa], Any]]:
    return {
        "session.sign_up": lambda c: c.session.sign_up("tom", "pw-pw-pw-pw", "t@x.org"),
        "session.end_everywhere": lambda c: c.session.end_everywhere(),
        "users.list": lambda c: c.users.list(),
        "users.add": lambda c: c.users.add("tom", "pw-pw-pw-pw", "t@x.org"),
        "users.update": lambda c: c.users.update("tom", email="t2@x.org"),
        "users.delete": lambda c: c.users.delete("tom"),
        "users.requests": lambda c: c.users.requests(),
        "users.approve": lambda c: c.users.approve("tom"),
        "users.blocked": lambda c: c.users.blocked(),
        "users.block": lambda c: c.users.block("tom"),
        "users.unblock": lambda c: c.users.unblock("tom"),
        "users.end_sessions": lambda c: c.users.end_sessions("tom"),
        "users.heavy": lambda c: c.users.heavy(),
        "downloads.add": lambda c: c.downloads.add("https://example.org/a.iso"),
        "downloads.list": lambda c: c.downloads.list(),
        "downloads.completed": lambda c: c.downloads.completed(),
        "downloads.iter": lambda c: list(c.downloads.iter()),
        "downloads.iter_completed": lambda c: list(c.downloads.iter_completed()),
        "downloads.delete": lambda c: c.downloads.delete(2),
        "downloads.rate": lambda c: c.downloads.rate(1, 5),
        "downloads.status": lambda c: c.downloads.status(1),
        "downloads.wait": lambda c: c.downloads.wait(1, timeout=1),
        "queue.start": lambda c: c.queue.start(),
        "queue.stop": lambda c: c.queue.stop(),
        "queue.status": lambda c: c.queue.status(),
        "files.download": lambda c: c.files.download(1, tmp_path / "done.iso"),
        "files.download to a folder": lambda c: c.files.download(1, tmp_path, overwrite=False),
        "files.download to a file object": lambda c: c.files.download(1, io.BytesIO()),
        "files.zip": lambda c: c.files.zip(["0000000000000001"]),
        "files.zip_status": lambda c: c.files.zip_status("0000000000000001"),
        "files.wait_zip": lambda c: c.files.wait_zip("0000000000000001", timeout=1),
        "files.fetch_zip": lambda c: c.files.fetch_zip("0000000000000001", io.BytesIO()),
        "files.share": lambda c: c.files.share("0000000000000001"),
    }


def _declared_types(value: Any) -> None:
    """A result's ids and sizes have the types the models declare (never `Unset`, never the
    original server's strings and floats)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        for field in ("id", "size"):
            found = getattr(item, field, 0)
            assert isinstance(found, int) and not isinstance(found, Unset), (item, field)


@pytest.mark.parametrize("name", list(_calls(Path())))
def test_every_public_method_works_or_raises_a_bassa_error(name: str, tmp_path: Path) -> None:
    """Each public method, against the original server, returns or raises a BassaError."""
    call = _calls(tmp_path)[name]
    client = _client(LegacyBassa())
    try:
        result = call(client)
    except BassaError as exc:
        failure: BassaError | None = exc
    else:
        failure = None
        _declared_types(result)
    if failure is not None:
        assert str(failure), name
        return
    if name.startswith("files.download") and not name.endswith("object"):
        assert (tmp_path / "done.iso").read_bytes() == FILE_BYTES


def test_the_session_sends_the_sdk_user_agent() -> None:
    """Every request names the SDK and its version in User-Agent."""
    from bassa_sdk import __version__

    server = LegacyBassa()
    _client(server).users.list()
    assert {r.headers["user-agent"] for r in server.requests} == {f"bassa-sdk/{__version__}"}
