"""Fixtures of the monitoring tests: a real Alertmanager with the repository's routing tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.monitoring import _live
from tests.monitoring._tools import tool


@pytest.fixture
def alertmanager_stack(tmp_path: Path) -> Iterator[tuple[_live.Daemon, _live.WebhookSink]]:
    """A webhook sink and a loopback Alertmanager whose receivers all post to it."""
    sink = _live.WebhookSink()
    sink.start()
    config = _live.write_alertmanager_config(tmp_path, sink)
    alertmanager = _live.alertmanager(tool("prometheus-alertmanager"), config, tmp_path)
    try:
        alertmanager.start()
        yield alertmanager, sink
    finally:
        alertmanager.stop()
        sink.stop()
