"""Link credentials: other users and the logs never see the secrets a queued link carries.

The shared library showed every user the full link of every completed download, including
`user:password@` and pre-signed query strings, and aria2's warnings copied such links into the
server log.
"""

from __future__ import annotations

import httpx
import pytest

from bassa_server._redact import redact_link
from tests.conftest import MakeServer
from tests.integration.server.helpers import (
    admin_token,
    complete_download,
    conforms,
    http,
    make_user,
    queue_download,
)
from tests.live_server import LiveServer, free_port
from tests.security._http_support import shared_server, wait_until

PASSWORD_IN_LINK = "hunter2-in-the-link"
SIGNATURE = "f00dfacecafe0123456789abcdef"
SIGNED_LINK = (
    f"https://alice:{PASSWORD_IN_LINK}@files.example.org/reports/q3.pdf"
    f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261129"
    f"&X-Amz-Signature={SIGNATURE}&X-Amz-Security-Token=session-token-value&versionId=7"
)
SIGNED_LINK_AS_OTHERS_SEE_IT = (
    "https://files.example.org/reports/q3.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED&versionId=7"
)


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        (SIGNED_LINK, SIGNED_LINK_AS_OTHERS_SEE_IT),
        ("ftp://user:pw@mirror.example.org/iso/x.iso", "ftp://mirror.example.org/iso/x.iso"),
        (
            "https://cdn.example.org/v.mp4?Expires=1&Signature=abc&Key-Pair-Id=K2",
            "https://cdn.example.org/v.mp4?Expires=1&Signature=REDACTED&Key-Pair-Id=REDACTED",
        ),
        (
            "https://acct.blob.core.windows.net/c/b.bin?sv=2024&se=2026&sp=r&sig=Zm9v%2Bbar",
            "https://acct.blob.core.windows.net/c/b.bin?sv=2024&se=2026&sp=r&sig=REDACTED",
        ),
        (
            "https://api.example.org/f?api_key=1&apikey=2&access_token=3&password=4&key=5&page=2",
            "https://api.example.org/f?api_key=REDACTED&apikey=REDACTED&access_token=REDACTED"
            "&password=REDACTED&key=REDACTED&page=2",
        ),
        (
            "https://example.org/cb#access_token=abc&state=x",
            "https://example.org/cb#access_token=REDACTED&state=x",
        ),
        (
            "magnet:?xt=urn:btih:abc&dn=ubuntu.iso&tr=https%3A%2F%2Ft.example%2Fannounce%2Fpasskey",
            "magnet:?xt=urn:btih:abc&dn=ubuntu.iso&tr=REDACTED",
        ),
        ("https://example.org/plain/file.iso?v=1", "https://example.org/plain/file.iso?v=1"),
    ],
)
def test_links_lose_their_credentials_for_other_eyes(link: str, shown: str) -> None:
    """Userinfo goes and the values of signature, token, key and password parameters become
    REDACTED, while everything else about the link stays as queued."""
    assert redact_link(link) == shown


@pytest.mark.integration
def test_the_shared_library_shows_only_the_owner_the_credentials(
    make_server: MakeServer,
) -> None:
    """The owner sees their link whole; another user and an admin see it redacted."""
    server = shared_server(make_server)
    _, alice = make_user(server)
    _, bob = make_user(server)
    download_id = queue_download(server, alice, SIGNED_LINK)
    complete_download(server, download_id, f"q3-{download_id}.pdf", b"report")

    def link_seen_by(token: str) -> str:
        response = http.get(f"{server.url}/api/downloads/1", headers={"token": token})
        rows = conforms(response, "list_completed_downloads")
        (link,) = [row["link"] for row in rows if row["id"] == download_id]
        assert isinstance(link, str)
        return link

    assert link_seen_by(alice) == SIGNED_LINK
    assert link_seen_by(bob) == SIGNED_LINK_AS_OTHERS_SEE_IT
    assert link_seen_by(admin_token(server)) == SIGNED_LINK_AS_OTHERS_SEE_IT
    own = http.get(f"{server.url}/api/user/downloads/1", headers={"token": alice}).json()
    assert [row["link"] for row in own] == [SIGNED_LINK]


@pytest.mark.integration
def test_failed_fetches_keep_link_credentials_out_of_the_log(live_server: LiveServer) -> None:
    """When aria2 fails to fetch a link with a password and a signature, neither reaches the
    server log, though the failure and the host do."""
    _, token = make_user(live_server)
    port = free_port()  # nothing listens there: aria2 reports the failure with the link
    link = (
        f"http://alice:{PASSWORD_IN_LINK}@127.0.0.1:{port}/secret.bin"
        f"?X-Amz-Signature={SIGNATURE}&token=tok-{SIGNATURE}"
    )
    download_id = queue_download(live_server, token, link)
    key = {"key": live_server.server_key}
    assert httpx.get(f"{live_server.url}/api/download/start", headers=key).status_code == 200

    def failed() -> bool:
        status = http.get(
            f"{live_server.url}/api/download/{download_id}/status", headers={"token": token}
        )
        return bool(status.json()["status"] == 4)

    try:
        wait_until(failed, timeout=60.0)
        # aria2's console lines reach the log through a pipe, a moment after the failure
        wait_until(lambda: f"127.0.0.1:{port}" in live_server.log(), timeout=10.0)
    finally:  # paused again, so this test leaves no one else's downloads running
        assert httpx.get(f"{live_server.url}/api/download/kill", headers=key).status_code == 200
    log = live_server.log()
    assert PASSWORD_IN_LINK not in log
    assert SIGNATURE not in log
