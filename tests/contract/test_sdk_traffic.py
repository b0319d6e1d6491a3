"""Every response the SDK receives on a whole user journey is one the spec allows.

The SDK gets `httpx.Client`s whose transport records each response; schemathesis's response
checks then hold every recorded response to the operation the spec defines for it. Refusals are
part of the journey on purpose: error responses must conform as much as successes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack
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
