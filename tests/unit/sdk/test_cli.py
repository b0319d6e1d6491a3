"""The `bassa` command line: saved sessions, tables and JSON, and distinct exit codes."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bassa_sdk._cli import app
from bassa_sdk._cli._state import CliState, credentials_path
from tests.unit.sdk.conftest import BASE_URL, Recorder, download_row, reply

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def _config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test has its own config directory and no Bassa environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("BASSA_URL", "BASSA_TOKEN", "BASSA_SERVER_KEY", "BASSA_LOG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def run(handler: Handler, *args: str, input: str | None = None) -> tuple[int, str, Recorder]:
    """Run `bassa ARGS` in-process with its requests sent to `handler`."""
    recorder = Recorder(handler)
    state = CliState(http_client=httpx.Client(transport=httpx.MockTransport(recorder)))
    result = CliRunner().invoke(app, ["--url", BASE_URL, *args], obj=state, input=input)
    return result.exit_code, result.output, recorder


def _signed_in(token: str = "saved") -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"url": BASE_URL, "token": token, "user_name": "alice"}))


def test_login_saves_a_private_session_used_and_renewed_by_later_commands() -> None:
    """login writes the token with mode 0600; the next command sends it and saves the renewal."""
    code, out, _ = run(
        lambda r: reply(200, {"auth": "0"}, token="t1"), "login", "-u", "admin", input="pw\n"
    )
    assert code == 0 and "as admin (an admin)" in out
    path = credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["token"] == "t1"
    code, _, recorder = run(lambda r: reply(200, [], token="t2"), "admin", "users")
    assert code == 0 and recorder.requests[0].headers["token"] == "t1"
    assert json.loads(path.read_text())["token"] == "t2"


def test_ls_prints_a_table_or_json() -> None:
    """ls shows every page as a table by default and as a JSON list with --json."""
    _signed_in()

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.path.rsplit("/", 1)[1])
        return reply(200, [download_row(1, download_name="report.pdf")] if page == 1 else [])

    code, out, _ = run(handler, "ls")
    assert code == 0 and "report.pdf" in out and "completed" in out
    code, out, _ = run(handler, "ls", "--json")
    assert code == 0 and json.loads(out)[0]["download_name"] == "report.pdf"


@pytest.mark.parametrize(
    ("response", "args", "expected"),
    [
        (reply(409, {"error": "download started"}), ("rm", "3"), 1),
        (reply(200), ("rate", "3", "9"), 2),
        (reply(403, {"error": "token error"}), ("rm", "3"), 3),
        (reply(403, {"error": "not authorized"}), ("admin", "users"), 3),
        (reply(404, {"error": "not found"}), ("rm", "3"), 4),
        (reply(500, {"error": "boom"}), ("rm", "3"), 5),
    ],
)
def test_exit_codes(response: httpx.Response, args: tuple[str, ...], expected: int) -> None:
    """Refusals, usage, auth, not-found and server failures exit 1, 2, 3, 4 and 5."""
    _signed_in()
    code, out, _ = run(lambda request: response, *args)
    assert code == expected, out


def test_commands_need_a_session() -> None:
    """Without a saved session a command exits 3 and sends nothing."""
    code, out, recorder = run(lambda request: reply(200, []), "ls")
    assert code == 3 and "bassa login" in out
    assert recorder.requests == []


def test_queue_start_takes_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """queue start sends BASSA_SERVER_KEY as the key header."""
    monkeypatch.setenv("BASSA_SERVER_KEY", "k3y")
    code, out, recorder = run(
        lambda r: reply(200, {"status": "success", "state": "running"}), "queue", "start"
    )
    assert code == 0 and "queue running" in out
    assert recorder.requests[0].headers["key"] == "k3y"


def test_get_saves_the_file_under_its_name(tmp_path: Path) -> None:
    """get streams the file and names it from Content-Disposition."""
    _signed_in()

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-disposition": 'attachment; filename="notes.txt"'}
        return httpx.Response(200, content=b"hello", headers=headers)

    code, out, _ = run(handler, "get", "5")
    assert code == 0, out
    assert (tmp_path / "notes.txt").read_bytes() == b"hello"
