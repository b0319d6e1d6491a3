"""Fetching finished files and zips, streamed to disk, and building and sharing zips."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, BinaryIO

from bassa_sdk._base_client import Timeout
from bassa_sdk._call import Call
from bassa_sdk._config import DEFAULT_CHUNK_SIZE, DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT
from bassa_sdk._errors import DownloadFailedError, WaitTimeoutError
from bassa_sdk._files import FetchedFile, ProgressCallback, Transfer
from bassa_sdk._generated.api.files import compress, create_share_link, get_compression_progress
from bassa_sdk._generated.models import CompressionJob, CompressRequest, ShareLink, ShareRequest
from bassa_sdk._generated.spec_facts import OPERATIONS, CompressionJobStatus
from bassa_sdk._generated.types import UNSET
from bassa_sdk._reading import expect
from bassa_sdk._sleep import asleep
from bassa_sdk._validate import distinct_items, integer, matching

if TYPE_CHECKING:
    from bassa_sdk._async._client import AsyncBassa

__all__ = ["AsyncFiles"]

Destination = str | os.PathLike[str] | BinaryIO
_FILE = OPERATIONS["fetch_download_file"]
_ZIP = OPERATIONS["fetch_zip"]


def _process_id(value: str) -> str:
    return matching(value, "ProcessId", "a zip job id")


def _chunk_size(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"chunk_size must be a positive int: {value!r}")
    return value


def _zip_ready(job: CompressionJob) -> bool:
    """True when the zip can be fetched; raises when the job failed."""
    if job.status == CompressionJobStatus.ERROR:
        reason = job.error if isinstance(job.error, str) else None
        raise DownloadFailedError(f"zip job {job.process_id}", reason)
    return job.progress == 1 or job.status == CompressionJobStatus.DONE


class AsyncFiles:
    """`client.files`: finished files and zips, streamed in chunks with resume."""

    def __init__(self, client: AsyncBassa) -> None:
        self._client = client

    async def download(
        self,
        download_id: int,
        dest: Destination,
        *,
        progress: ProgressCallback | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        overwrite: bool = True,
        resume: bool = False,
        timeout: Timeout = None,
    ) -> FetchedFile:
        """Stream a completed download's file to a path, a directory or a binary file object.

        A directory gets the file under the server's name. `overwrite=False` refuses an existing
        file with `FileExistsError` before writing; `resume=True` continues the `NAME.part` an
        interrupted call left (and keeps it if this call is interrupted too).
        """
        url = _FILE.path.format(id=integer(download_id, "fetch_download_file.id", "download_id"))
        size = _chunk_size(chunk_size)
        transfer = Transfer(
            dest,
            operation=_FILE.operation_id,
            progress=progress,
            chunk_size=size,
            overwrite=overwrite,
            resume=resume,
            fallback_name=f"download-{download_id}",
        )
        return await self._client._transfer(_FILE, url, {}, transfer, timeout)

    async def zip(self, gids: Sequence[str], *, timeout: Timeout = None) -> CompressionJob:
        """Start zipping completed downloads (by GID); asking twice returns the same job."""
        if isinstance(gids, str):
            raise TypeError("gids must be a list of GIDs, not one string")
        body = CompressRequest(gid=distinct_items(gids, "CompressRequest.gid", "gids", "a GID"))
        call = Call(compress, {"body": body}, expect(CompressionJob))
        return await self._client._execute(call, timeout)

    async def zip_status(self, process_id: str, *, timeout: Timeout = None) -> CompressionJob:
        """A zip job's state: `.progress == 1` once it can be fetched."""
        return await self._client._execute(self._zip_status(process_id), timeout)

    async def wait_zip(
        self,
        process_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> CompressionJob:
        """Poll until the zip is ready; `timeout` bounds the whole wait, in seconds."""
        call = self._zip_status(process_id)
        deadline = time.monotonic() + timeout
        while not _zip_ready(job := await self._client._execute(call)):
            if time.monotonic() + poll_interval > deadline:
                raise WaitTimeoutError(f"zip job {process_id} not ready after {timeout} s")
            await asleep(poll_interval)
        return job

    async def fetch_zip(
        self,
        process_id: str,
        dest: Destination,
        *,
        share: str | None = None,
        progress: ProgressCallback | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        overwrite: bool = True,
        timeout: Timeout = None,
    ) -> FetchedFile:
        """Stream a finished zip to a path or binary file object (`share`: a share-link token);
        `overwrite=False` refuses an existing file with `FileExistsError` before writing."""
        params = {"gid": _process_id(process_id)}
        if share is not None:
            params["share"] = share
        size = _chunk_size(chunk_size)
        transfer = Transfer(
            dest,
            operation=_ZIP.operation_id,
            progress=progress,
            chunk_size=size,
            overwrite=overwrite,
        )
        return await self._client._transfer(_ZIP, _ZIP.path, params, transfer, timeout)

    async def share(
        self, process_id: str, *, expires_in: int | None = None, timeout: Timeout = None
    ) -> ShareLink:
        """A signed link token that lets anyone fetch this zip until it expires (extension)."""
        if expires_in is not None:
            integer(expires_in, "ShareRequest.expires_in", "expires_in")
        body = ShareRequest(
            gid=_process_id(process_id), expires_in=UNSET if expires_in is None else expires_in
        )
        call = Call(create_share_link, {"body": body}, expect(ShareLink))
        return await self._client._execute(call, timeout)

    @staticmethod
    def _zip_status(process_id: str) -> Call[CompressionJob]:
        kwargs = {"gid": _process_id(process_id)}
        return Call(get_compression_progress, kwargs, expect(CompressionJob))
