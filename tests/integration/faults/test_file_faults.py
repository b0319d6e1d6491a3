"""Through a faulty network the SDK fetches files and zips intact, resuming broken transfers.

A completed download (fetched by the engine from the loopback file server) gives the tests a
real file; the proxy cuts, slows or breaks its transfer and the SDK must still end with the same
bytes, resuming with `Range` rather than starting over.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bassa_sdk import Bassa
from tests.faults import Fault, FaultProxy, Rule, truncate
from tests.faults.vectors import fault as fault_of
from tests.faults.vectors import faults
from tests.integration.faults._support import CURABLE, VECTORS, run_through_fault

pytestmark = pytest.mark.integration

FILE_SIZE: int = VECTORS["file_size"]
# the curable faults, with a drip sized for files rather than small JSON bodies
FILE_FAULTS = {**CURABLE, **faults(VECTORS["file_curable_overrides"])}


@dataclass(frozen=True)
class Completed:
    """A completed download on the live server and the bytes of its file."""

    id: int
    gid: str
    data: bytes


@pytest.fixture(scope="module")
def completed(admin: Bassa, files: Any) -> Completed:
    """A download the engine fetched from the loopback file server and completed."""
    data = secrets.token_bytes(FILE_SIZE)
    name = f"faults-{secrets.token_hex(4)}.bin"
    files.add(name, data)
    created = admin.downloads.add(files.url_for(name)).id
    assert isinstance(created, int)
    admin.queue.start()
    admin.downloads.wait(created, timeout=60, poll_interval=0.2)
    row = next(d for d in admin.downloads.iter_completed() if d.id == created)
    assert isinstance(row.gid, str)
    return Completed(created, row.gid, data)


@pytest.mark.parametrize("fault", FILE_FAULTS.values(), ids=FILE_FAULTS.keys())
def test_file_operations_complete_through_a_fault(
    fault: Fault,
    faulty: Bassa,
    fault_proxy: FaultProxy,
    direct: Bassa,
    completed: Completed,
    tmp_path: Path,
) -> None:
    """Rating, zipping, sharing and fetching hit by a curable fault succeed, with intact files."""
    job = direct.files.wait_zip(
        direct.files.zip([completed.gid]).process_id, timeout=30, poll_interval=0.1
    )
    calls: dict[str, Callable[[], object]] = {
        "rate_download": lambda: faulty.downloads.rate(completed.id, 4),
        "compress": lambda: faulty.files.zip([completed.gid]),
        "get_compression_progress": lambda: faulty.files.zip_status(job.process_id),
        "create_share_link": lambda: faulty.files.share(job.process_id),
        "fetch_download_file": lambda: faulty.files.download(completed.id, tmp_path / "f.bin"),
        "fetch_zip": lambda: faulty.files.fetch_zip(job.process_id, tmp_path / "f.zip"),
    }
    assert list(calls) == VECTORS["file_operations"]
    run_through_fault(fault_proxy, fault, calls)
    assert (tmp_path / "f.bin").read_bytes() == completed.data


@pytest.mark.parametrize("keep", VECTORS["broken_file_keep"])
def test_a_broken_file_download_resumes_to_identical_bytes(
    keep: int, faulty: Bassa, fault_proxy: FaultProxy, completed: Completed, tmp_path: Path
) -> None:
    """A file transfer cut after `keep` bytes, twice, resumes with Range and ends byte-identical."""
    path = f"^/api/download/{completed.id}$"
    fault_proxy.plan(Rule(truncate(keep), method="GET", path=path, times=1))
    fetched = faulty.files.download(completed.id, tmp_path / "resumed.bin")
    assert (tmp_path / "resumed.bin").read_bytes() == completed.data
    assert fetched.size == FILE_SIZE
    assert [e.range for e in fault_proxy.exchanges] == [None, f"bytes={keep}-"]


def test_a_slow_drip_delivers_the_same_file(
    faulty: Bassa, fault_proxy: FaultProxy, completed: Completed, tmp_path: Path
) -> None:
    """A file dripped in small slow chunks arrives whole and identical, in one attempt."""
    fault_proxy.plan(Rule(fault_of(VECTORS["drip_file"]), method="GET"))
    faulty.files.download(completed.id, tmp_path / "dripped.bin")
    assert (tmp_path / "dripped.bin").read_bytes() == completed.data
    assert fault_proxy.arrived == 1


def test_a_broken_zip_download_resumes_to_identical_bytes(
    faulty: Bassa, fault_proxy: FaultProxy, completed: Completed, direct: Bassa, tmp_path: Path
) -> None:
    """A zip transfer cut mid-way resumes and equals the zip fetched without faults."""
    process_id = direct.files.zip([completed.gid]).process_id
    direct.files.wait_zip(process_id, timeout=30, poll_interval=0.1)
    direct.files.fetch_zip(process_id, tmp_path / "clean.zip")
    clean = (tmp_path / "clean.zip").read_bytes()
    half = len(clean) // 2
    fault_proxy.plan(Rule(truncate(half), method="GET", path="^/api/file$", times=1))
    faulty.files.fetch_zip(process_id, tmp_path / "resumed.zip")
    assert (tmp_path / "resumed.zip").read_bytes() == clean
    assert [e.range for e in fault_proxy.exchanges] == [None, f"bytes={half}-"]
