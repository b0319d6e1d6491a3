"""The `bassa` command line: sessions and profiles, tables, rows and JSON, plain-word errors."""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from bassa_sdk._cli import _output, app
from bassa_sdk._cli._state import CliState, credentials_path, load_profiles
from tests.unit.sdk.conftest import BASE_URL, Recorder, download_row, reply

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def _config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test has its own config directory and no Bassa environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("BASSA_URL", "BASSA_TOKEN", "BASSA_SERVER_KEY", "BASSA_LOG", "BASSA_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def invoke(
    handler: Handler, *args: str, input: str | None = None, url: str | None = BASE_URL
) -> tuple[int, str, str, Recorder]:
    """Run `bassa ARGS` in-process with its requests sent to `handler`: (code, out, err, seen)."""
    recorder = Recorder(handler)
    state = CliState(http_client=httpx.Client(transport=httpx.MockTransport(recorder)))
    prefix = ["--url", url] if url else []
    result = CliRunner().invoke(app, [*prefix, *args], obj=state, input=input)
    return result.exit_code, result.stdout, result.stderr, recorder


def run(handler: Handler, *args: str, input: str | None = None) -> tuple[int, str, Recorder]:
    """Like `invoke`, with standard output and error together."""
    code, out, err, recorder = invoke(handler, *args, input=input)
    return code, out + err, recorder


def _signed_in(token: str = "saved", url: str = BASE_URL) -> None:
    """A session saved as by an earlier version (one server, no profiles)."""
    path = credentials_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"url": url, "token": token, "user_name": "alice"}))


def _for_people(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_output, "for_people", lambda: True)


def test_login_saves_a_private_session_used_and_renewed_by_later_commands() -> None:
    """login writes the token with mode 0600; the next command sends it and saves the renewal."""
    code, out, _ = run(
        lambda r: reply(200, {"auth": "0"}, token="t1"), "login", "-u", "admin", input="pw\n"
    )
    assert code == 0 and "as admin (admin)" in out
    path = credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_profiles()["default"]["token"] == "t1"
    code, _, recorder = run(lambda r: reply(200, [], token="t2"), "admin", "users")
    assert code == 0 and recorder.requests[0].headers["token"] == "t1"
    assert load_profiles()["default"]["token"] == "t2"


def test_password_stdin_and_profiles_keep_several_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """--password-stdin reads one line; --profile and BASSA_PROFILE pick separate sessions."""
    login = lambda r: reply(200, {"auth": "1"}, token="work-token")  # noqa: E731
    code, out, recorder = run(
        login, "--profile", "work", "login", "-u", "bob", "--password-stdin", input="s3cret\n"
    )
    assert code == 0, out
    assert b"password=s3cret" in recorder.requests[0].content
    assert set(load_profiles()) == {"work"}
    code, out, _ = run(lambda r: reply(200, []), "ls")
    assert code == 3 and "--profile work" in out
    monkeypatch.setenv("BASSA_PROFILE", "work")
    code, _, recorder = run(lambda r: reply(200, []), "ls")
    assert code == 0 and recorder.requests[0].headers["token"] == "work-token"
    code, out, _ = run(lambda r: reply(200), "profiles", "--json")
    assert json.loads(out) == [
        {"profile": "work", "url": BASE_URL, "user_name": "bob", "current": True}
    ]


def test_ls_at_a_terminal_is_a_table_for_people(monkeypatch: pytest.MonkeyPatch) -> None:
    """At a terminal: human headers, sizes and status names, and the GID column."""
    _signed_in()
    _for_people(monkeypatch)
    row = download_row(1, download_name="report.pdf", size=1_500_000)

    def handler(request: httpx.Request) -> httpx.Response:
        return reply(200, [row] if request.url.path.endswith("/1") else [])

    code, out, _ = run(handler, "ls")
    assert code == 0, out
    assert "Name" in out and "Size" in out and "GID" in out and "download_name" not in out
    assert "1.5 MB" in out and "completed" in out and row["gid"] in out


def test_piped_rows_are_tab_separated_and_never_truncated() -> None:
    """Piped, each download is one tab-separated line of exact values, without a header."""
    _signed_in()
    name = "a-very-long-file-name-" * 8 + ".iso"
    row = download_row(7, download_name=name, size=123_456_789)

    def handler(request: httpx.Request) -> httpx.Response:
        return reply(200, [row] if request.url.path.endswith("/1") else [])

    code, out, _, _ = invoke(handler, "ls")
    assert code == 0
    assert out.splitlines() == [
        "\t".join(
            ["7", name, "completed", "123456789", "0", row["gid"], "2023-11-14T22:13:27+00:00"]
        )
    ]


def test_admin_users_show_roles_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """The auth level reads as admin or user, not 0 or 1."""
    _signed_in()
    _for_people(monkeypatch)
    users = [
        {"user_name": "root", "auth": 0, "email": "r@x.org"},
        {"user_name": "bob", "auth": 1, "email": "b@x.org"},
    ]
    code, out, _ = run(lambda r: reply(200, users), "admin", "users")
    assert code == 0
    assert "Role" in out and "admin" in out and " user" in out and "auth" not in out


@pytest.mark.parametrize(
    ("args", "body"),
    [
        (("add", "https://example.org/a.iso"), {"status": "success", "id": 4}),
        (("ls",), []),
        (
            ("status", "4"),
            {"id": 4, "status": 0, "completed_length": 0, "total_length": 0, "download_speed": 0},
        ),
        (("rm", "4"), {"status": "success"}),
        (("rate", "4", "5"), {"status": "success", "rating": 5}),
        (
            ("queue", "status"),
            {"state": "running", "queued": 0, "started": 0, "completed": 1, "failed": 0},
        ),
        (("admin", "users"), []),
        (("admin", "requests"), []),
        (("admin", "blocked"), []),
        (("admin", "heavy"), []),
        (("admin", "approve", "bob"), {"status": "success"}),
        (("admin", "unblock", "bob"), {"status": "success"}),
        (("admin", "block", "bob", "--yes"), {"status": "success"}),
        (("admin", "delete", "bob", "--yes"), {"status": "success"}),
        (("logout",), {}),
        (("profiles",), {}),
    ],
)
def test_every_command_prints_json(args: tuple[str, ...], body: object) -> None:
    """--json makes every command print one JSON document on standard output."""
    _signed_in()
    code, out, err, _ = invoke(lambda r: reply(200, body), *args, "--json")
    assert code == 0, err
    json.loads(out)


def test_brackets_in_arguments_and_answers_are_printed_as_they_are() -> None:
    """`[/]` in a user's argument or a server's message is text, never rich markup."""
    _signed_in()
    code, out, _ = run(lambda r: reply(200), "zip", "[/]")
    assert code == 2 and "'[/]'" in out and "Traceback" not in out
    refusal = reply(404, {"error": "no such user: [/]x [bold]"})
    code, out, _ = run(lambda r: refusal, "admin", "approve", "[/]x")
    assert code == 4 and "no such user: [/]x [bold]" in out


def _crash(request: httpx.Request) -> httpx.Response:
    raise RuntimeError("a bug [/]")


def test_a_crash_is_one_line_and_a_traceback_only_with_debug() -> None:
    """An unexpected exception exits 5 with one line; --debug adds the traceback."""
    _signed_in()
    code, out, err, _ = invoke(_crash, "ls")
    assert code == 5 and out == ""
    assert err.strip().splitlines() == [
        "error: unexpected RuntimeError: a bug [/] (run with --debug for the traceback)"
    ]
    code, _, err, _ = invoke(_crash, "--debug", "ls")
    assert code == 5 and "Traceback" in err


def test_get_never_replaces_a_file_unless_clobber(tmp_path: Path) -> None:
    """An existing file is kept (exit 1) unless --clobber, whose bytes then replace it."""
    _signed_in()
    (tmp_path / "notes.txt").write_bytes(b"mine")

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-disposition": 'attachment; filename="notes.txt"'}
        return httpx.Response(200, content=b"theirs", headers=headers)

    code, out, _ = run(handler, "get", "5")
    assert code == 1 and "--clobber" in out
    assert (tmp_path / "notes.txt").read_bytes() == b"mine"
    assert not (tmp_path / "notes.txt.part").exists()
    code, out, _ = run(handler, "get", "5", "-o", "notes.txt")
    assert code == 1 and (tmp_path / "notes.txt").read_bytes() == b"mine"
    code, out, _ = run(handler, "get", "5", "--clobber")
    assert code == 0, out
    assert (tmp_path / "notes.txt").read_bytes() == b"theirs"


def test_get_saves_under_the_servers_name_or_to_standard_output(tmp_path: Path) -> None:
    """get names the file from Content-Disposition; -o - writes the bytes to standard output."""
    _signed_in()

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-disposition": 'attachment; filename="notes.txt"'}
        return httpx.Response(200, content=b"hello", headers=headers)

    code, out, _ = run(handler, "get", "5")
    assert code == 0, out
    assert (tmp_path / "notes.txt").read_bytes() == b"hello"
    code, out, _, _ = invoke(handler, "get", "5", "-o", "-")
    assert code == 0 and out == "hello"


def test_get_continue_resumes_a_partial_file(tmp_path: Path) -> None:
    """--continue asks only for the missing bytes of FILE.part and completes FILE."""
    _signed_in()
    (tmp_path / "big.bin.part").write_bytes(b"0123")
    data = b"0123456789"

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
        headers = {"content-range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
        return httpx.Response(206, content=data[start:], headers=headers)

    code, out, recorder = run(handler, "get", "5", "-o", "big.bin", "--continue")
    assert code == 0, out
    assert recorder.requests[0].headers["range"] == "bytes=4-"
    assert (tmp_path / "big.bin").read_bytes() == data


def _refused(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def test_an_unreachable_server_is_said_plainly_and_at_once() -> None:
    """Connection refused: one attempt, one line naming the URL, no log lines."""
    _signed_in()
    code, out, recorder = run(_refused(httpx.ConnectError("refused")), "ls")
    assert code == 5
    assert out.strip() == f"error: cannot reach {BASE_URL} — is bassa-server running?"
    assert len(recorder.requests) == 1


def test_a_host_that_does_not_resolve_is_not_retried() -> None:
    """A name that does not resolve is said as such, even with --retries."""
    _signed_in()
    cause = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    failure = httpx.ConnectError("no such host")
    failure.__cause__ = cause
    code, out, recorder = run(_refused(failure), "--retries", "2", "ls")
    assert code == 5 and "cannot find the host" in out
    assert len(recorder.requests) == 1


def test_retries_are_logged_only_when_asked() -> None:
    """--retries retries a 503 silently; --verbose shows each retry on standard error."""
    _signed_in()
    answers = iter([reply(503, {"error": "busy"}), reply(200, [])] * 2)
    code, _, err, _ = invoke(lambda r: next(answers), "--retries", "1", "admin", "users")
    assert code == 0 and err == ""
    code, _, err, _ = invoke(lambda r: next(answers), "--retries", "1", "-v", "admin", "users")
    assert code == 0 and "attempt 1 of 2 failed" in err


def test_a_session_for_another_server_is_named() -> None:
    """Not signed in to this URL but to another: the message names both and sends nothing."""
    _signed_in(url="http://other.test")
    code, out, recorder = run(lambda r: reply(200, []), "ls")
    assert code == 3 and "http://other.test" in out and BASE_URL in out
    assert recorder.requests == []


def test_a_server_that_is_not_bassa_is_recognised() -> None:
    """An HTML 404 for Bassa's own paths says the URL is not a Bassa server (exit 5)."""
    _signed_in()
    page = httpx.Response(404, text="<html>Not Found</html>", headers={"content-type": "text/html"})
    code, out, _ = run(lambda r: page, "ls")
    assert code == 5 and "does not look like a Bassa server" in out


@pytest.mark.parametrize(
    ("link", "says"),
    [("not-a-url", "is not a URL"), ("gopher://example.org/x", "gopher: links are not allowed")],
)
def test_a_bad_link_says_what_is_wrong_and_what_is_allowed(link: str, says: str) -> None:
    """add refuses a link before sending it, naming the schemes allowed."""
    _signed_in()
    code, out, recorder = run(lambda r: reply(200), "add", link)
    assert code == 2 and says in out and "http://, https:// or ftp://" in out
    assert recorder.requests == []


def test_a_bad_server_url_names_the_schemes() -> None:
    """--url not-a-url is a usage error that says what a server URL looks like."""
    for url in ("not-a-url", "gopher://example.org"):
        code, _, err, _ = invoke(lambda r: reply(200), "ls", url=url)
        assert code == 2 and "--url" in err and "give http:// or https://" in err


def test_deleting_a_completed_download_says_it_is_completed() -> None:
    """A refused delete names the download's real status, not "has started"."""
    _signed_in()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return reply(409, {"error": "the download has started; it cannot be deleted"})
        body = {"id": 3, "status": 3, "completed_length": 1, "total_length": 1, "download_speed": 0}
        return reply(200, body)

    code, out, _ = run(handler, "rm", "3")
    assert code == 1 and "download 3 is completed" in out and "started" not in out


def test_get_wait_on_a_paused_queue_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """get --wait on a queued download of a paused queue says the queue is paused."""
    _signed_in()
    monkeypatch.setattr("bassa_sdk._sync._resources.downloads.sleep", lambda seconds: None)
    statuses = iter([0, 0, 3])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/queue":
            body = {"state": "paused", "queued": 1, "started": 0, "completed": 0, "failed": 0}
            return reply(200, body)
        if request.url.path.endswith("/status"):
            status = next(statuses)
            body = {
                "id": 5,
                "status": status,
                "completed_length": 0,
                "total_length": 0,
                "download_speed": 0,
            }
            return reply(200, body)
        return httpx.Response(
            200, content=b"x", headers={"content-disposition": "attachment; filename=x.bin"}
        )

    code, out, _ = run(handler, "get", "5", "--wait")
    assert code == 0, out
    assert "the queue is paused" in out


def test_exit_codes_still_tell_kinds_of_failure_apart() -> None:
    """Refusals, usage, auth, not-found and server failures exit 1, 2, 3, 4 and 5."""
    _signed_in()
    cases = [
        (reply(400, {"error": "bad"}), ("add", "https://example.org/x"), 1),
        (reply(200), ("rate", "3", "9"), 2),
        (reply(403, {"error": "token error"}), ("ls",), 3),
        (reply(403, {"error": "not authorized"}), ("admin", "users"), 3),
        (reply(404, {"error": "not found"}), ("status", "3"), 4),
        (reply(500, {"error": "boom"}), ("ls",), 5),
    ]
    for response, args, expected in cases:
        code, out, _ = run(lambda request, r=response: r, *args)  # type: ignore[misc]
        assert code == expected, (args, out)


def test_destructive_admin_commands_ask_first() -> None:
    """admin delete and block refuse without a terminal or --yes, and send nothing."""
    _signed_in()
    for command in ("delete", "block"):
        code, out, recorder = run(lambda r: reply(200), "admin", command, "bob")
        assert code == 2 and "--yes" in out and recorder.requests == []


def test_version_help_and_help_texts_are_clean() -> None:
    """--version and -V print the version; -h is --help; no type artefacts in any help."""
    from bassa_sdk import __version__

    for flag in ("--version", "-V"):
        code, out, _, _ = invoke(lambda r: reply(200), flag, url=None)
        assert code == 0 and out.strip() == f"bassa {__version__}"
    import typer

    def paths(group: Any, prefix: list[str]) -> list[list[str]]:
        found = [prefix]
        if hasattr(group, "commands"):  # a group (typer vendors its own click)
            for name, command in group.commands.items():
                found += paths(command, [*prefix, name])
        return found

    commands = paths(typer.main.get_command(app), [])
    assert ["admin", "delete"] in commands and len(commands) > 25
    for command in commands:
        code, out, _, _ = invoke(lambda r: reply(200), *command, "-h", url=None)
        assert code == 0 and "Usage: bassa" in out
        for artefact in ("<bool>", "<str>", "<int", "<float", "<list", "{", "}"):
            assert artefact not in out, (command, artefact)


def test_queue_start_takes_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """queue start sends BASSA_SERVER_KEY as the key header."""
    monkeypatch.setenv("BASSA_SERVER_KEY", "k3y")
    code, out, recorder = run(
        lambda r: reply(200, {"status": "success", "state": "running"}), "queue", "start"
    )
    assert code == 0 and "queue running" in out
    assert recorder.requests[0].headers["key"] == "k3y"


def test_zip_takes_download_ids_and_gids(tmp_path: Path) -> None:
    """zip looks up the GID of a download id among completed downloads and sends both."""
    _signed_in()
    gid = "00000000000000aa"

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/api/downloads/"):
            return reply(200, [download_row(7)] if path.endswith("/1") else [])
        if path == "/api/compress":
            sent = json.loads(request.content)["gid"]
            return reply(200, {"process_id": "".join(sorted(sent)), "progress": 1})
        if path == "/api/compression-progress":
            return reply(200, {"process_id": "x", "progress": 1})
        return httpx.Response(200, content=b"PK", headers={"content-type": "application/zip"})

    code, out, recorder = run(handler, "zip", "7", gid, "-o", "both.zip")
    assert code == 0, out
    compress = next(r for r in recorder.requests if r.url.path == "/api/compress")
    assert json.loads(compress.content)["gid"] == [download_row(7)["gid"], gid]
    assert (tmp_path / "both.zip").read_bytes() == b"PK"


def test_shell_completion_completes_commands() -> None:
    """The installed script completes command names for bash (and prints its completion code)."""
    import os
    import shutil
    import subprocess
    import sys

    script = Path(sys.executable).with_name("bassa")
    bassa = str(script) if script.exists() else shutil.which("bassa")
    assert bassa is not None
    env = {**os.environ, "_BASSA_COMPLETE": "complete_bash", "COMP_WORDS": "bassa ad"}
    env["COMP_CWORD"] = "1"
    done = subprocess.run([bassa], env=env, capture_output=True, text=True, check=False)
    assert done.stdout.split() == ["add", "admin"]
    shown = subprocess.run(
        [bassa, "--show-completion", "bash"], capture_output=True, text=True, check=False
    )
    assert "_bassa_completion" in shown.stdout


def test_timeout_option_applies_to_every_request() -> None:
    """--timeout SECONDS becomes the timeout of each request the command sends."""
    _signed_in()
    _, _, recorder = run(lambda r: reply(200, []), "--timeout", "2.5", "ls")
    assert recorder.requests[0].extensions["timeout"]["read"] == 2.5


def test_the_command_line_works_against_the_original_server(tmp_path: Path) -> None:
    """login, add (the id recovered), get --wait and ls work against the original Bassa."""
    from tests.unit.sdk.legacy import FILE_BYTES, LegacyBassa

    server = LegacyBassa()
    code, out, _ = run(server, "login", "-u", "alice", "--password-stdin", input="pw\n")
    assert code == 0, out
    code, out, _ = run(server, "add", "https://example.org/new.iso")
    assert code == 0 and out.strip() == "queued download 2"
    code, out, _ = run(server, "get", "1", "--wait")
    assert code == 0, out
    assert (tmp_path / "done.iso").read_bytes() == FILE_BYTES
    code, out, _, _ = invoke(server, "ls")
    assert code == 0 and [line.split("\t")[3] for line in out.splitlines()] == ["1800", "0"]


def test_a_refused_login_on_the_original_server_is_an_authentication_error() -> None:
    """The original's HTML 403 for a wrong password is exit 3, not "not a Bassa server"."""
    page = httpx.Response(
        403, text="<title>403 Forbidden</title>", headers={"content-type": "text/html"}
    )
    code, out, _ = run(lambda r: page, "login", "-u", "alice", "--password-stdin", input="bad\n")
    assert code == 3 and "not look like" not in out


def test_the_entry_point_turns_any_crash_into_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crash outside any command still exits 5 with one line (the traceback with --debug)."""
    import sys

    import bassa_sdk._cli as cli

    def boom() -> None:
        raise KeyError("[/] not a key")

    monkeypatch.setattr(cli, "app", boom)
    monkeypatch.setattr(sys, "argv", ["bassa", "ls"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 5
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "error: unexpected KeyError: '[/] not a key' (run with --debug for the traceback)"
    ]
    monkeypatch.setattr(sys, "argv", ["bassa", "--debug", "ls"])
    with pytest.raises(SystemExit):
        cli.main()
    assert "Traceback" in capsys.readouterr().err


def test_help_loads_neither_the_sdk_nor_rich() -> None:
    """`bassa --help` imports no HTTP stack, generated client, retry library or rich (start-up)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from bassa_sdk._cli import main\n"
        "sys.argv = ['bassa', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(done.stdout.splitlines()[-1].split())
    heavy = {"httpx", "httpcore", "bassa_sdk._generated", "stamina", "rich", "attrs", "anyio"}
    assert loaded & heavy == set()


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, json={"detail": "Not Found"}),
        httpx.Response(404, text="404 page not found"),
        httpx.Response(405, text=""),
    ],
)
def test_other_kinds_of_servers_are_not_taken_for_bassa(answer: httpx.Response) -> None:
    """JSON, plain-text and empty 404/405 answers without Bassa's error shape: not Bassa."""
    _signed_in()
    code, out, _ = run(lambda r: answer, "ls")
    assert code == 5 and "does not look like a Bassa server" in out


def test_a_bassa_404_is_not_found() -> None:
    """Bassa's own 404 (a JSON error) is exit 4 with the server's words."""
    _signed_in()
    code, out, _ = run(lambda r: reply(404, {"error": "no such download"}), "status", "9")
    assert code == 4 and "no such download" in out
