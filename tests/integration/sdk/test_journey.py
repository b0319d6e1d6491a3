"""A user's and an admin's whole journey through the SDK, against the live server."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from bassa_sdk import (
    AuthenticationError,
    Bassa,
    ConflictError,
    DownloadProgress,
    NotFoundError,
    PermissionDeniedError,
    TokenError,
)
from tests.integration.sdk.conftest import Account, unique

pytestmark = pytest.mark.integration


def test_signup_approval_and_login(server: Any, admin: Bassa) -> None:
    """A signed-up user cannot sign in until an admin approves them."""
    name = unique("s")
    with Bassa(server.url, env={}) as newcomer:
        newcomer.session.sign_up(name, "correct-horse-battery", f"{name}@example.org")
        with pytest.raises(AuthenticationError):
            newcomer.session.login(name, "correct-horse-battery")
        assert name in [r.user_name for r in admin.users.requests()]
        admin.users.approve(name)
        assert newcomer.session.login(name, "correct-horse-battery").auth != "0"
        with pytest.raises(AuthenticationError):
            newcomer.session.login(name, "wrong password!")


def test_download_journey(
    server: Any, files: Any, admin: Bassa, user: Account, tmp_path: Path
) -> None:
    """Queue a link, start the queue, wait with progress, fetch the file, rate it, zip it."""
    data = os.urandom(3 * 1024 * 1024 + 17)
    name = unique("f") + ".bin"
    files.add(name, data)
    bassa = user.client

    created = bassa.downloads.add(files.url_for(name))
    assert isinstance(created.id, int)
    admin.queue.start()
    seen: list[DownloadProgress] = []
    final = bassa.downloads.wait(created.id, timeout=120, poll_interval=0.2, progress=seen.append)
    assert final.status == 3 and seen[-1].status == 3

    progress: list[int] = []
    fetched = bassa.files.download(
        created.id, tmp_path / name, progress=lambda d, t: progress.append(d)
    )
    assert (tmp_path / name).read_bytes() == data
    assert fetched.size == len(data) and progress[-1] == len(data)

    mine = [d for d in bassa.downloads.iter() if d.id == created.id]
    assert mine and mine[0].status == 3 and mine[0].size == len(data)
    assert created.id in [d.id for d in bassa.downloads.iter_completed()]
    assert bassa.downloads.rate(created.id, 4).rating == 4

    gid = mine[0].gid
    assert isinstance(gid, str)
    job = bassa.files.zip([gid])
    bassa.files.wait_zip(job.process_id, timeout=60, poll_interval=0.2)
    archive = io.BytesIO()
    bassa.files.fetch_zip(job.process_id, archive)
    with zipfile.ZipFile(archive) as opened:
        assert [opened.read(n) for n in opened.namelist()] == [data]

    with pytest.raises(ConflictError):
        bassa.downloads.delete(created.id)


class CutOnce(httpx.HTTPTransport):
    """A real transport that cuts the first file response after 100 kB."""

    def __init__(self) -> None:
        super().__init__()
        self.ranges: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if not request.url.path.startswith("/api/download/"):
            return response
        self.ranges.append(request.headers.get("range"))
        if len(self.ranges) > 1:
            return response
        inner = response.stream

        class Cut(httpx.SyncByteStream):
            def __iter__(self) -> Any:
                sent = 0
                for chunk in inner:  # type: ignore[union-attr]
                    yield chunk
                    sent += len(chunk)
                    if sent >= 100_000:
                        raise httpx.ReadError("cut by the test")

            def close(self) -> None:
                inner.close()  # type: ignore[union-attr]

        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=Cut(),
            request=request,
            extensions=response.extensions,
        )


def test_broken_transfer_resumes_with_range(
    server: Any, files: Any, admin: Bassa, user: Account, tmp_path: Path
) -> None:
    """A transfer cut mid-body resumes from the bytes written, and the server honours the Range."""
    data = os.urandom(1024 * 1024)
    name = unique("r") + ".bin"
    files.add(name, data)
    created = user.client.downloads.add(files.url_for(name))
    assert isinstance(created.id, int)
    admin.queue.start()
    user.client.downloads.wait(created.id, timeout=120, poll_interval=0.2)
    transport = CutOnce()
    with Bassa(
        server.url,
        token=user.client.session.token,
        http_client=httpx.Client(transport=transport),
        env={},
    ) as client:
        client.files.download(created.id, tmp_path / name)
    assert (tmp_path / name).read_bytes() == data
    assert transport.ranges[0] is None
    assert transport.ranges[1] is not None and transport.ranges[1].startswith("bytes=")


def test_permissions_and_errors(server: Any, admin: Bassa, user: Account) -> None:
    """Users cannot administer; unknown ids are 404; a forged token is a token error."""
    with pytest.raises(PermissionDeniedError):
        user.client.users.list()
    with pytest.raises(NotFoundError):
        user.client.downloads.delete(987_654_321)
    with pytest.raises(PermissionDeniedError):
        admin.queue.start(key="not-the-key")
    with Bassa(server.url, token="forged.token.value", env={}) as forged, pytest.raises(TokenError):
        forged.downloads.list()


def test_blocking_ends_sessions_and_relogin_comes_back(
    server: Any, admin: Bassa, user: Account
) -> None:
    """A blocked user's token stops working; once unblocked, auto re-login restores the session."""
    with Bassa(server.url, auto_relogin=True, env={}) as client:
        client.session.login(user.name, user.password)
        admin.users.block(user.name)
        assert user.name in [u.user_name for u in admin.users.blocked()]
        with pytest.raises(AuthenticationError):
            client.downloads.list()
        admin.users.unblock(user.name)
        assert client.downloads.list() == []


def test_admin_user_management(admin: Bassa) -> None:
    """An admin adds, updates, lists and deletes a user; duplicates are conflicts."""
    name = unique("m")
    admin.users.add(name, "correct-horse-battery", f"{name}@example.org", level=2)
    with pytest.raises(ConflictError):
        admin.users.add(name, "correct-horse-battery", f"{name}@example.net")
    admin.users.update(name, email=f"{name}@example.com")
    listed = {u.user_name: u for u in admin.users.list()}
    assert listed[name].email == f"{name}@example.com" and listed[name].auth == 2
    assert isinstance(admin.users.heavy(), list)
    admin.users.delete(name)
    with pytest.raises(NotFoundError):
        admin.users.delete(name)


def test_token_is_renewed_by_responses(user: Account) -> None:
    """Every authenticated response carries a token, which the client keeps."""
    before = user.client.session.token
    user.client.downloads.list()
    assert user.client.session.token
    assert isinstance(before, str)


def test_ending_sessions_everywhere(server: Any, admin: Bassa, user: Account) -> None:
    """Ending one's sessions stops every other device's token while this client carries on;
    an admin's "log out everywhere" stops the user's tokens the same way."""
    with Bassa(server.url, token=user.client.session.token, env={}) as other_device:
        other_device.downloads.list()
        user.client.session.end_everywhere()
        assert user.client.downloads.list() == []
        with pytest.raises(TokenError):
            other_device.downloads.list()
    admin.users.end_sessions(user.name)
    with pytest.raises(TokenError):
        user.client.downloads.list()
    with pytest.raises(NotFoundError):
        admin.users.end_sessions(unique("nobody"))
