"""aria2's answers are parsed into numbers, and RPC URLs are checked before any call."""

from __future__ import annotations

import pytest

from bassa_server._engine._rpc import Aria2Rpc, Aria2RpcError, TransferStatus


def test_tell_status_strings_become_numbers_and_the_first_file_path() -> None:
    """aria2 sends numbers as strings; the status keeps them as ints and the first file's path."""
    status = TransferStatus.from_rpc(
        {
            "gid": "00000000000000bb",
            "status": "error",
            "totalLength": "20000000",
            "completedLength": "5242880",
            "downloadSpeed": "1543900",
            "errorCode": "3",
            "errorMessage": "Resource not found",
            "files": [{"path": "/data/downloads/7/big.bin", "length": "20000000"}],
        }
    )
    assert (status.total_length, status.completed_length, status.download_speed) == (
        20_000_000,
        5_242_880,
        1_543_900,
    )
    assert (status.error_code, status.path) == ("3", "/data/downloads/7/big.bin")


def test_an_answer_without_files_has_an_empty_path() -> None:
    """A download aria2 has not resolved yet reports no file; the path is empty, not an error."""
    assert TransferStatus.from_rpc({"gid": "1", "status": "waiting"}).path == ""


@pytest.mark.parametrize(
    "url", ["ws://127.0.0.1:6800/jsonrpc", "http://127.0.0.1:6800/rpc", "127.0.0.1:6800"]
)
def test_rpc_urls_other_than_http_jsonrpc_are_refused(url: str) -> None:
    """The external aria2 URL must be http(s)://host:port/jsonrpc; anything else is a ValueError."""
    with pytest.raises(ValueError, match="aria2 RPC URL"):
        Aria2Rpc(url, "secret")


def test_rpc_url_is_normalised_with_its_port() -> None:
    """A URL without a path or port gets /jsonrpc and the scheme's port."""
    assert Aria2Rpc("http://aria2", "s").url == "http://aria2:80/jsonrpc"
    assert Aria2Rpc("http://127.0.0.1:6800/jsonrpc", "s").url == "http://127.0.0.1:6800/jsonrpc"


def test_unknown_gid_errors_are_recognised() -> None:
    """aria2's 'GID … is not found' is the error the scheduler answers by re-adding."""
    assert Aria2RpcError(1, "GID 0000000000000001 is not found").gid_not_found
    assert not Aria2RpcError(1, "No URI to download.").gid_not_found
