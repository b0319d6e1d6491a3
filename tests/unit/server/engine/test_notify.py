"""aria2's notifications wake the scheduler only for transfers that stopped."""

from __future__ import annotations

import json

import pytest

from bassa_server._engine._notify import is_stop_notification, websocket_url


@pytest.mark.parametrize(
    ("method", "wakes"),
    [
        ("aria2.onDownloadComplete", True),
        ("aria2.onDownloadError", True),
        ("aria2.onDownloadStop", True),
        ("aria2.onBtDownloadComplete", True),
        ("aria2.onDownloadStart", False),
        ("aria2.onDownloadPause", False),
    ],
)
def test_only_stopped_transfers_wake_the_scheduler(method: str, wakes: bool) -> None:
    """Completion, error and stop notifications wake a pass; start and pause do not."""
    message = json.dumps({"jsonrpc": "2.0", "method": method, "params": [{"gid": "ab" * 8}]})
    assert is_stop_notification(message) is wakes


def test_answers_and_garbage_wake_nothing() -> None:
    """A JSON-RPC answer, a JSON list or text that is not JSON is not a notification."""
    assert not is_stop_notification('{"jsonrpc": "2.0", "id": 1, "result": "OK"}')
    assert not is_stop_notification("[1, 2]")
    assert not is_stop_notification(b"\xff not json")


def test_the_websocket_url_is_the_rpc_url_with_a_websocket_scheme() -> None:
    """http becomes ws and https becomes wss, on the same host, port and path."""
    assert websocket_url("http://127.0.0.1:6800/jsonrpc") == "ws://127.0.0.1:6800/jsonrpc"
    assert websocket_url("https://aria2:6801/jsonrpc") == "wss://aria2:6801/jsonrpc"
