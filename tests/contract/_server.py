"""A Bassa server of the contract suite's own, so its destructive fuzzing starves no other test.

Schemathesis creates, renames, blocks and deletes users, queues and deletes downloads and starts
and pauses the queue, so it gets a separate server (the shared `LiveServer` helper, its own data
folder and port). Three things make that server fit for fuzzing:

* the fuzzer signs in as a second admin, `fuzz-admin`, that no example names: a fuzzer that
  renames, blocks or re-passwords its own account tests nothing afterwards;
* `alice`, the user the spec's path examples name, is waiting for approval, so the examples of
  the user operations (approve, update, block, unblock, delete) act on a real account while the
  bootstrap `admin` stays as the login example says;
* its aria2c sends every transfer that is not to loopback into a closed local port, so fuzzed
  links such as `http://example.org/...` fail at once instead of reaching the internet;
* before fuzzing, the fuzzing admin owns one completed download (from a loopback file server),
  the first row of its own list, so the links into the zip and file operations carry a real id
  and GID.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx

from bassa_sdk._generated.spec_facts import DownloadStatus
from tests.live_server import LiveServer
from tests.waiting import wait_for

# the spec's own login example, so the examples phase signs in with a real account
ADMIN_PASSWORD = "bassa-admin-password"
FUZZ_ADMIN = "fuzz-admin"
FUZZ_PASSWORD = "fuzz-admin-password"
SEED_FILE = b"contract seed file\n" * 512
# the spec's sign-up example: the user its `username` path examples name
EXAMPLE_SIGN_UP = {
    "user_name": "alice",
    "password": "correct-horse-battery",
    "email": "alice@example.org",
}
_CLOSED_PORT = 9


@dataclass
class ContractServer:
    """The running server and the account the fuzzer signs in with."""

    live: LiveServer
    user: str = FUZZ_ADMIN
    password: str = FUZZ_PASSWORD

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.live.url

    @property
    def server_key(self) -> str:
        """The key that starts and pauses the queue."""
        return self.live.server_key

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.live.log()

    def stop(self) -> None:
        """Stop the server (and its aria2c)."""
        self.live.stop()


def _loopback_only_aria2c(folder: Path) -> Path:
    """An aria2c launcher whose transfers outside loopback go to a closed local port."""
    aria2c = shutil.which("aria2c")
    if aria2c is None:
        raise RuntimeError("aria2c is not installed (scripts/setup installs it)")
    launcher = folder / "aria2c-loopback-only"
    launcher.write_text(
        "#!/bin/sh\n"
        f'exec "{aria2c}" --all-proxy=http://127.0.0.1:{_CLOSED_PORT} '
        '--no-proxy=127.0.0.1,localhost "$@"\n',
        encoding="utf-8",
    )
    launcher.chmod(0o755)
    return launcher


def start_contract_server(folder: Path, seed_link: str | None = None) -> ContractServer:
    """Start the server in `folder`, add the fuzzing admin, and complete `seed_link` if given."""
    live = LiveServer(
        data_dir=folder / "data",
        admin_password=ADMIN_PASSWORD,
        extra_env={
            "BASSA_ARIA2C_PATH": str(_loopback_only_aria2c(folder)),
        },
    )
    live.start()
    try:
        with httpx.Client(base_url=live.url, timeout=10) as http:
            _sign_in(http, live.admin_user, ADMIN_PASSWORD)
            new_admin = {
                "user_name": FUZZ_ADMIN,
                "password": FUZZ_PASSWORD,
                "auth": 0,
                "email": "fuzz-admin@example.org",
            }
            http.post("/api/user", json=new_admin).raise_for_status()
            http.post("/api/regularuser", json=EXAMPLE_SIGN_UP).raise_for_status()
            if seed_link is not None:
                # the fuzzer's own oldest download, so `list_own_downloads` links to a real GID
                _sign_in(http, FUZZ_ADMIN, FUZZ_PASSWORD)
                _complete(http, live, seed_link)
    except BaseException:
        live.stop()
        raise
    return ContractServer(live)


def _sign_in(http: httpx.Client, user: str, password: str) -> None:
    login = http.post("/api/login", data={"user_name": user, "password": password})
    login.raise_for_status()
    http.headers["token"] = login.headers["token"]


def _complete(http: httpx.Client, live: LiveServer, link: str) -> None:
    """Queue `link`, run the queue until it completes, then pause the queue again."""
    created = http.post("/api/download", json={"link": link})
    created.raise_for_status()
    download_id = created.json()["id"]
    key = {"key": live.server_key}
    http.get("/api/download/start", headers=key).raise_for_status()

    def completed() -> bool:
        progress = http.get(f"/api/download/{download_id}/status")
        progress.raise_for_status()
        if progress.json()["status"] == DownloadStatus.ERROR:
            raise RuntimeError(f"the seed download failed: {progress.json()}")
        return bool(progress.json()["status"] == DownloadStatus.COMPLETED)

    wait_for(completed, within=60, every=0.1, what="the seed download completed")
    http.get("/api/download/kill", headers=key).raise_for_status()
