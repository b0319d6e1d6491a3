"""The Go client (go/bassa) against the live reference server: journeys, faults and contract.

The Go tests behind the `integration` build tag need a live server, the loopback file server,
a fault proxy and a recording proxy; these fixtures start them and run `go test` with their URLs
in the environment, failing with Go's output. Plain `go test ./...` (in scripts/test) runs the Go
unit tests only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import jsonschema_rs
import pytest

from bassa_sdk import Bassa
from tests.contract._traffic import assert_conforms, operation_id
from tests.faults import FaultProxy
from tests.faults._control import ProxyControl
from tests.faults.vectors import VECTORS_PATH, vectors
from tests.file_server import FileServer
from tests.integration.go._recording_proxy import RecordingProxy, SentRequest
from tests.live_server import LiveServer
from tests.spec import ROOT, load_spec

pytestmark = pytest.mark.integration

GO_DIR = ROOT / "go"
GO_TIMEOUT_SECONDS = 600


def _go() -> str:
    found = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(found).exists():
        pytest.fail("Go 1.26 is needed for the Go client's tests (scripts/setup checks for it)")
    return found


def run_go(args: list[str], env: dict[str, str], cwd: Path = GO_DIR) -> str:
    """Run a go command; fail the test with its output unless it succeeds."""
    result = subprocess.run(
        [_go(), *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=GO_TIMEOUT_SECONDS,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"go {' '.join(args)} failed:\n{output}"
    return output


def go_test(pattern: str, env: dict[str, str]) -> str:
    """Run the Go integration tests matching `pattern`; at least one must run and pass."""
    output = run_go(
        ["test", "-tags", "integration", "-race", "-count=1", "-v", "-run", pattern, "./bassa/"],
        env,
    )
    assert re.search(r"^--- PASS: ", output, re.MULTILINE), f"no Go test ran:\n{output}"
    assert "--- SKIP" not in output, f"a Go integration test skipped:\n{output}"
    return output


@pytest.fixture(scope="module")
def served_file(file_server: FileServer) -> tuple[str, bytes]:
    """A file on the loopback file server for downloads to fetch: (link, bytes)."""
    data = secrets.token_bytes(vectors()["file_size"])
    name = f"go-{secrets.token_hex(4)}.bin"
    file_server.add(name, data)
    return file_server.url_for(name), data


@pytest.fixture(scope="module")
def go_env(live_server: LiveServer, served_file: tuple[str, bytes]) -> dict[str, str]:
    """What every Go integration test reads: the server, its admin and key, a file to fetch."""
    link, data = served_file
    return {
        "BASSA_TEST_URL": live_server.url,
        "BASSA_TEST_ADMIN_USER": live_server.admin_user,
        "BASSA_TEST_ADMIN_PASSWORD": live_server.admin_password,
        "BASSA_TEST_SERVER_KEY": live_server.server_key,
        "BASSA_TEST_FILE_URL": link,
        "BASSA_TEST_FILE_SHA256": hashlib.sha256(data).hexdigest(),
        "BASSA_TEST_VECTORS": str(VECTORS_PATH),
    }


@pytest.fixture
def recording(live_server: LiveServer) -> Iterator[RecordingProxy]:
    """A recording proxy in front of the live server."""
    with RecordingProxy(live_server.url) as proxy:
        yield proxy


def _request_schema_validator(
    method: str, path: str, operation: dict[str, Any], content_type: str
) -> jsonschema_rs.Validator:
    media = content_type.split(";")[0].strip()
    content = operation["requestBody"]["content"]
    assert media in content, f"{operation['operationId']}: the spec takes no {media} body"
    # the spec itself is the root, so its "#/components/..." references resolve
    pointer = "/".join(
        quote(part.replace("~", "~0").replace("/", "~1"), safe="~#")
        for part in ("#", "paths", path, method, "requestBody", "content", media, "schema")
    )
    spec = load_spec()
    return jsonschema_rs.Draft202012Validator(
        {"$ref": pointer, "paths": spec["paths"], "components": spec["components"]}
    )


def assert_request_conforms(sent: SentRequest) -> str:
    """Check a request's operation exists and its body matches the spec; its operationId."""
    request = httpx.Request(sent.method, "http://bassa.test" + sent.path)
    op_id = operation_id(request)
    method = sent.method.lower()
    path, operation = next(
        (path, item[method])
        for path, item in load_spec()["paths"].items()
        if item.get(method, {}).get("operationId") == op_id
    )
    if sent.body:
        content_type = sent.headers.get("Content-Type", sent.headers.get("content-type", ""))
        validator = _request_schema_validator(method, path, operation, content_type)
        if content_type.startswith("application/x-www-form-urlencoded"):
            body: object = dict(parse_qsl(sent.body.decode()))
        else:
            body = json.loads(sent.body)
        errors = [error.message for error in validator.iter_errors(body)]
        assert not errors, f"{op_id} request body breaks the spec: {errors}"
    return op_id


# every operation the Go journeys must exercise (and so hold to the spec)
JOURNEY_OPERATIONS = {
    "login",
    "sign_up",
    "list_users",
    "add_user",
    "update_user",
    "delete_user",
    "list_signup_requests",
    "approve_user",
    "list_blocked_users",
    "block_user",
    "unblock_user",
    "list_heavy_users",
    "list_own_downloads",
    "list_completed_downloads",
    "add_download",
    "start_queue",
    "kill_queue",
    "get_queue_status",
    "fetch_download_file",
    "delete_download",
    "get_download_status",
    "rate_download",
    "compress",
    "get_compression_progress",
    "fetch_zip",
    "create_share_link",
}


def test_go_journeys_conform_to_the_spec(go_env: dict[str, str], recording: RecordingProxy) -> None:
    """The Go client's README and admin journeys pass, and every request and response conforms."""
    go_test("^TestIntegrationJourney", {**go_env, "BASSA_TEST_URL": recording.url})
    seen_requests = {assert_request_conforms(sent) for sent in recording.requests}
    seen = set()
    for received in recording.recorder.received:
        seen.add(operation_id(received.response.request))
        assert received.complete, received.response.request.url
        assert_conforms(received)
    assert seen >= JOURNEY_OPERATIONS, f"not exercised: {sorted(JOURNEY_OPERATIONS - seen)}"
    assert seen_requests == seen


def test_go_client_meets_the_fault_vectors(live_server: LiveServer, go_env: dict[str, str]) -> None:
    """Through the fault proxy, the Go client meets every vector the Python SDK meets."""
    with FaultProxy(live_server.url) as proxy, ProxyControl(proxy) as control:
        go_test(
            "^TestIntegrationFaults",
            {**go_env, "BASSA_TEST_PROXY_URL": proxy.url, "BASSA_TEST_CONTROL_URL": control.url},
        )


def _readme_quickstart() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```go\n(.*?)```", readme, re.DOTALL)
    programs = [b for b in blocks if b.startswith("package main")]
    assert len(programs) == 1, "the README has one complete Go program, the quickstart"
    return str(programs[0])


def test_go_readme_quickstart_runs_as_printed(
    live_server: LiveServer, served_file: tuple[str, bytes], tmp_path: Path
) -> None:
    """The README's Go quickstart, only its link swapped for a loopback one, saves the file."""
    link, data = served_file
    program = _readme_quickstart()
    assert "https://www.example.org/report.pdf" in program
    program = program.replace("https://www.example.org/report.pdf", link)
    with Bassa(live_server.url, server_key=live_server.server_key, env={}) as admin:
        admin.session.login(live_server.admin_user, live_server.admin_password)
        admin.queue.start()
    # a package directory inside the module (the _ prefix keeps it out of ./...)
    workdir = GO_DIR / f"_quickstart_{secrets.token_hex(4)}"
    workdir.mkdir()
    try:
        (workdir / "main.go").write_text(program, encoding="utf-8")
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        binary = tmp_path / "quickstart"
        run_go(["build", "-o", str(binary), "./" + workdir.name], {})
        result = subprocess.run(
            [str(binary)],
            cwd=run_dir,
            env={
                **os.environ,
                "BASSA_URL": live_server.url,
                "BASSA_USER": live_server.admin_user,
                "BASSA_PASSWORD": live_server.admin_password,
            },
            capture_output=True,
            text=True,
            timeout=GO_TIMEOUT_SECONDS,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        shutil.rmtree(workdir)
    assert (run_dir / "report.pdf").read_bytes() == data
