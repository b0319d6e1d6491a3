"""Every Python snippet of README.md and docs/*.md runs, as printed, against the live server.

The snippets read the server, user and password from BASSA_URL, BASSA_USER and BASSA_PASSWORD
(and BASSA_TOKEN) as the docs say; the only change is that each `https://www.example.org/…`
link becomes a link to the test's loopback file server. A fragment says in the Markdown what it
needs, in an HTML comment on the line before its block, so what is provided stays explicit:

* `<!-- snippet: uses bassa, link -->`: names from the test (`bassa`: a signed-in client;
  `link`: a fresh file's link; `user`, `password`; `download_id`: a completed download);
* `<!-- snippet: pytest -->`: a test module, run by pytest;
* `<!-- snippet: skip (why) -->`: not run, with the reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bassa_sdk import Bassa
from tests.integration.sdk.conftest import unique

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLE_LINK = re.compile(r"https://www\.example\.org/([\w.-]+)")
_BLOCK = re.compile(
    r"(?:<!-- snippet: (?P<marker>[^\n]*?) -->\n)?```python\n(?P<code>.*?)```", re.S
)


@dataclass(frozen=True)
class Snippet:
    """One ```python block: where it is, what its marker says, and its code."""

    path: Path
    line: int
    marker: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"

    @property
    def uses(self) -> list[str]:
        if not self.marker.startswith("uses "):
            return []
        return [name.strip() for name in self.marker.removeprefix("uses ").split(",")]


def _snippets() -> list[Snippet]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start("code"))
            found.append(Snippet(path, line, match["marker"] or "", match["code"]))
    return found


SNIPPETS = _snippets()


@dataclass
class Setting:
    """What the snippets may use: an account, its session, and one completed download."""

    url: str
    user: str
    password: str
    token: str
    download_id: int
    data: bytes


@pytest.fixture(scope="module")
def setting(server: Any, files: Any) -> Iterator[Setting]:
    """A new user with one completed download, and the queue started."""
    user, password = unique("docs"), "correct-horse-battery"
    with Bassa(server.url, server_key=server.server_key, env={}) as admin:
        admin.session.login(server.admin_user, server.admin_password)
        admin.users.add(user, password, f"{user}@example.org")
        admin.queue.start()
    data = os.urandom(300_000)
    name = unique("docs") + ".bin"
    files.add(name, data)
    with Bassa(server.url, env={}) as client:
        client.session.login(user, password)
        created = client.downloads.add(files.url_for(name))
        assert isinstance(created.id, int)
        client.downloads.wait(created.id, timeout=120)
        token = client.session.token
        assert token is not None
        yield Setting(server.url, user, password, token, created.id, data)


def _with_loopback_links(code: str, files: Any, data: bytes) -> str:
    def swap(match: re.Match[str]) -> str:
        name = unique("doc") + "-" + match[1]
        files.add(name, data)
        return str(files.url_for(name))

    return EXAMPLE_LINK.sub(swap, code)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_snippet_runs_as_printed(
    snippet: Snippet,
    setting: Setting,
    files: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The snippet runs without an error against the live server (or says why it cannot)."""
    if snippet.marker.startswith("skip"):
        assert "(" in snippet.marker, f"{snippet.id}: a skipped snippet gives its reason"
        return
    code = _with_loopback_links(snippet.code, files, setting.data)
    env = {
        "BASSA_URL": setting.url,
        "BASSA_USER": setting.user,
        "BASSA_PASSWORD": setting.password,
        "BASSA_TOKEN": setting.token,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    if snippet.marker == "pytest":
        module = tmp_path / "test_snippet.py"
        module.write_text(code, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)]
        done = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return
    with Bassa(setting.url, env={}) as bassa:
        bassa.session.login(setting.user, setting.password)
        provided = {
            "bassa": bassa,
            "link": _with_loopback_links("https://www.example.org/any.bin", files, setting.data),
            "user": setting.user,
            "password": setting.password,
            "download_id": setting.download_id,
        }
        unknown = set(snippet.uses) - provided.keys()
        assert not unknown, f"{snippet.id}: no such name to provide: {unknown}"
        namespace = {"__name__": "snippet", **{k: provided[k] for k in snippet.uses}}
        exec(compile(code, f"{snippet.path}:{snippet.line}", "exec"), namespace)


def test_readme_quickstart_writes_the_file_it_queued(
    setting: Setting,
    files: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's quickstart queues a link, waits, and writes exactly that file's bytes."""
    quickstart = next(s for s in SNIPPETS if s.path.name == "README.md")
    assert '"https://www.example.org/report.pdf"' in quickstart.code
    for key, value in {
        "BASSA_URL": setting.url,
        "BASSA_USER": setting.user,
        "BASSA_PASSWORD": setting.password,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("BASSA_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    code = _with_loopback_links(quickstart.code, files, setting.data)
    exec(compile(code, str(quickstart.path), "exec"), {"__name__": "readme"})
    assert (tmp_path / "report.pdf").read_bytes() == setting.data
    assert capsys.readouterr().out.startswith(f"{len(setting.data)} bytes")


def test_every_document_with_python_has_its_snippets_found() -> None:
    """The collector sees the README's and the SDK guide's snippets (so none escape the run)."""
    names = {s.path.name for s in SNIPPETS}
    assert {"README.md", "sdk.md"} <= names
    text = (ROOT / "docs" / "sdk.md").read_text(encoding="utf-8")
    assert len([s for s in SNIPPETS if s.path.name == "sdk.md"]) == text.count("```python")
