"""Every response the SDK receives on a whole user journey is one the spec allows.

The SDK gets `httpx.Client`s whose transport records each response; schemathesis's response
checks then hold every recorded response to the operation the spec defines for it. Refusals are
part of the journey on purpose: error responses must conform as much as successes.
"""

from __future__ import annotations

import secrets
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from bassa_sdk import Bassa, ConflictError, NotFoundError, TokenError
from tests.contract._traffic import RecordingTransport, assert_conforms, operation_id

pytestmark = pytest.mark.integration

PASSWORD = "traffic-password-1"


class Recorded:
    """SDK clients on recording transports, all feeding one recorder."""

    def __init__(self, url: str, stack: ExitStack) -> None:
        self.recorder = RecordingTransport()
        self._url = url
        self._stack = stack

    def client(self, **options: Any) -> Bassa:
        """A new SDK client whose traffic is recorded."""
        http = self._stack.enter_context(httpx.Client(transport=self.recorder))
        return self._stack.enter_context(Bassa(self._url, http_client=http, **options))

    def assert_all_conform(self) -> set[str]:
        """Check every recorded response; the operations seen."""
        seen = set()
        for received in self.recorder.received:
            seen.add(operation_id(received.response.request))
            assert received.complete, received.response.request.url
            assert_conforms(received)
        return seen


@pytest.fixture
def recorded(live_server: Any) -> Iterator[Recorded]:
    with ExitStack() as stack:
        yield Recorded(live_server.url, stack)


def test_account_and_queue_traffic_conforms(live_server: Any, recorded: Recorded) -> None:
    """Sign-up, approval, downloads, queue and user administration: every response conforms."""
    admin = recorded.client(server_key=live_server.server_key)
    admin.session.login(live_server.admin_user, live_server.admin_password)
    user = recorded.client()
    name = f"traffic-{secrets.token_hex(4)}"
    user.session.sign_up(name, PASSWORD, f"{name}@example.org")
    with pytest.raises(ConflictError):
        user.session.sign_up(name, PASSWORD, f"other-{name}@example.org")
    assert name in {r.user_name for r in admin.users.requests()}
    admin.users.approve(name)
    user.session.login(name, PASSWORD)
    queued = user.downloads.add(f"http://127.0.0.1:9/{name}/never.bin").id
    assert isinstance(queued, int)
    assert queued in {d.id for d in user.downloads.list(1)}
    user.downloads.completed(1)
    user.downloads.status(queued)
    user.downloads.delete(queued)
    with pytest.raises(NotFoundError):
        user.downloads.status(queued)
    admin.queue.status()
    admin.queue.stop()
    admin.users.list()
    admin.users.heavy()
    admin.users.update(name, email=f"{name}@example.com")
    admin.users.block(name)
    assert name in {u.user_name for u in admin.users.blocked()}
    with pytest.raises(TokenError):
        user.downloads.list(1)
    admin.users.unblock(name)
    admin.users.delete(name)
    assert recorded.assert_all_conform() == {
        "login", "sign_up", "list_signup_requests", "approve_user", "add_download",
        "list_own_downloads", "list_completed_downloads", "get_download_status",
        "delete_download", "get_queue_status", "kill_queue", "list_users", "list_heavy_users",
        "update_user", "block_user", "list_blocked_users", "unblock_user", "delete_user",
    }  # fmt: skip


def test_file_and_zip_traffic_conforms(
    live_server: Any, files: Any, recorded: Recorded, tmp_path: Path
) -> None:
    """A completed download, its file, a zip, a share link and an anonymous fetch all conform."""
    admin = recorded.client(server_key=live_server.server_key)
    admin.session.login(live_server.admin_user, live_server.admin_password)
    name = f"traffic-{secrets.token_hex(4)}.bin"
    data = secrets.token_bytes(200_000)
    files.add(name, data)
    fetched = admin.downloads.add(files.url_for(name)).id
    assert isinstance(fetched, int)
    admin.queue.start()
    admin.downloads.wait(fetched, timeout=60, poll_interval=0.2)
    admin.downloads.rate(fetched, 5)
    with pytest.raises(ConflictError):
        admin.downloads.delete(fetched)
    row = next(d for d in admin.downloads.iter_completed() if d.id == fetched)
    assert isinstance(row.gid, str)
    admin.files.download(fetched, tmp_path / name)
    job = admin.files.zip([row.gid])
    admin.files.wait_zip(job.process_id, timeout=30, poll_interval=0.1)
    link = admin.files.share(job.process_id)
    anonymous = recorded.client()
    anonymous.files.fetch_zip(job.process_id, tmp_path / "shared.zip", share=link.share)
    with pytest.raises(TokenError):
        anonymous.downloads.list(1)
    assert (tmp_path / name).read_bytes() == data
    with zipfile.ZipFile(tmp_path / "shared.zip") as archive:
        assert [archive.read(member) for member in archive.namelist()] == [data]
    assert recorded.assert_all_conform() == {
        "login", "add_download", "start_queue", "get_download_status", "rate_download",
        "delete_download", "list_completed_downloads", "fetch_download_file", "compress",
        "get_compression_progress", "create_share_link", "fetch_zip", "list_own_downloads",
    }  # fmt: skip
