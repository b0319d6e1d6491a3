"""The README's quickstart runs as printed against the live server.

The server, user and password come from BASSA_URL, BASSA_USER and BASSA_PASSWORD as the README
says; only the link is swapped for one on the test's loopback file server. The code is read from
README.md, so a quickstart that drifts from the SDK fails here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from bassa_sdk import Bassa
from tests.integration.sdk.conftest import Account, unique

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[3] / "README.md"


def _quickstart() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert found is not None, "README.md has no python block under ## Quickstart"
    return found.group(1)


def test_readme_quickstart_downloads_a_file(
    server: Any,
    files: Any,
    admin: Bassa,
    user: Account,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The quickstart signs in, queues a link, waits for it and writes the file it printed."""
    data = os.urandom(1024 * 1024 + 3)
    name = unique("readme") + ".pdf"
    files.add(name, data)
    admin.queue.start()

    code = _quickstart()
    printed_link = '"https://www.example.org/report.pdf"'
    assert printed_link in code, "the quickstart no longer queues the example link"
    code = code.replace(printed_link, repr(files.url_for(name)))
    monkeypatch.setenv("BASSA_URL", server.url)
    monkeypatch.setenv("BASSA_USER", user.name)
    monkeypatch.setenv("BASSA_PASSWORD", user.password)
    monkeypatch.delenv("BASSA_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)

    exec(compile(code, str(README), "exec"), {"__name__": "readme"})

    assert (tmp_path / "report.pdf").read_bytes() == data
    assert capsys.readouterr().out.startswith(f"{len(data)} bytes")
