"""Queued downloads: add, list (every page), rate, delete, and wait for one to finish."""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING

from bassa_api_client.api.downloads import (
    add_download,
    delete_download,
    get_download_status,
    list_completed_downloads,
    list_own_downloads,
    rate_download,
)
from bassa_api_client.models import (
    Download,
    DownloadCreated,
    DownloadProgress,
    NewDownload,
    Rating,
    RatingResult,
    Status,
)
from bassa_api_client.spec_facts import DownloadStatus
from bassa_sdk._config import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT
from bassa_sdk._errors import DownloadFailedError, NotFoundError, WaitTimeoutError
from bassa_sdk._resources._base import deleted_earlier, expect, expect_list, returns_none
from bassa_sdk._transport import Call
from bassa_sdk._validate import integer, non_empty

if TYPE_CHECKING:
    from bassa_sdk._async_client import AsyncBassa
    from bassa_sdk._base_client import Timeout
    from bassa_sdk._client import Bassa

__all__ = ["AsyncDownloads", "Downloads"]

#: Called with each status seen while waiting.
WaitCallback = Callable[[DownloadProgress], None]


def _page(page: int) -> int:
    return integer(page, "list_own_downloads.page", "page")


def _download_id(download_id: int) -> int:
    return integer(download_id, "get_download_status.id", "download_id")


def _wait_limits(timeout: float, poll_interval: float) -> None:
    if not timeout >= 0 or not poll_interval >= 0:
        raise ValueError("timeout and poll_interval must be non-negative seconds")


def _finished(progress: DownloadProgress) -> bool:
    """True when the download completed; raises when it failed or its file was removed (a status
    the spec does not document yet counts as still running)."""
    if progress.status == DownloadStatus.COMPLETED:
        return True
    if progress.status == DownloadStatus.ERROR:
        reason = progress.error if isinstance(progress.error, str) else None
        raise DownloadFailedError(f"download {progress.id}", reason)
    if progress.status == DownloadStatus.DELETED:
        raise DownloadFailedError(f"download {progress.id}", "its file was removed from the server")
    return False


class _Calls:
    def _add(self, link: str) -> Call[DownloadCreated]:
        body = NewDownload(link=non_empty(link, "link"))
        return Call(add_download, {"body": body}, expect(DownloadCreated))

    def _own(self, page: int) -> Call[builtins.list[Download]]:
        return Call(list_own_downloads, {"page": _page(page)}, expect_list(Download))

    def _completed(self, page: int) -> Call[builtins.list[Download]]:
        return Call(list_completed_downloads, {"page": _page(page)}, expect_list(Download))

    def _delete(self, download_id: int) -> Call[None]:
        return Call(delete_download, {"id": _download_id(download_id)}, returns_none(Status))

    def _rate(self, download_id: int, rate: int) -> Call[RatingResult]:
        rating = Rating(rate=integer(rate, "Rating.rate", "rate"))
        kwargs = {"id": _download_id(download_id), "body": rating}
        return Call(rate_download, kwargs, expect(RatingResult))

    def _status(self, download_id: int) -> Call[DownloadProgress]:
        kwargs = {"id": _download_id(download_id)}
        return Call(get_download_status, kwargs, expect(DownloadProgress))


class Downloads(_Calls):
    """`client.downloads`: the signed-in user's downloads and the shared library."""

    def __init__(self, client: Bassa) -> None:
        self._client = client

    def add(self, link: str, *, timeout: Timeout = None) -> DownloadCreated:
        """Queue a link (http, https or ftp); `.id` is the new download's id."""
        return self._client._execute(self._add(link), timeout)

    def list(self, page: int = 1, *, timeout: Timeout = None) -> builtins.list[Download]:
        """One page (15, oldest first) of the caller's own downloads, in every status."""
        return self._client._execute(self._own(page), timeout)

    def completed(self, page: int = 1, *, timeout: Timeout = None) -> builtins.list[Download]:
        """One page (15, newest first) of completed downloads of every user."""
        return self._client._execute(self._completed(page), timeout)

    def iter(self) -> Iterator[Download]:
        """Every download of the caller, page after page, until an empty page."""
        return self._pages(self._own)

    def iter_completed(self) -> Iterator[Download]:
        """Every completed download, page after page, until an empty page."""
        return self._pages(self._completed)

    def _pages(self, call: Callable[[int], Call[builtins.list[Download]]]) -> Iterator[Download]:
        page = 1
        while rows := self._client._execute(call(page)):
            yield from rows
            page += 1

    def delete(self, download_id: int, *, timeout: Timeout = None) -> None:
        """Delete a queued or failed download of the caller (an admin: of anyone).

        A retry answered 404 after an attempt whose answer was lost counts as deleted.
        """
        try:
            self._client._execute(self._delete(download_id), timeout)
        except NotFoundError as exc:
            if not deleted_earlier(exc, "delete_download"):
                raise

    def rate(self, download_id: int, rate: int, *, timeout: Timeout = None) -> RatingResult:
        """Rate a download from 0 to 5; `.rating` is its new average."""
        return self._client._execute(self._rate(download_id, rate), timeout)

    def status(self, download_id: int, *, timeout: Timeout = None) -> DownloadProgress:
        """One download's status and progress (extension: `UnsupportedOperationError` on legacy)."""
        return self._client._execute(self._status(download_id), timeout)

    def wait(
        self,
        download_id: int,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        progress: WaitCallback | None = None,
    ) -> DownloadProgress:
        """Poll until the download completes; `timeout` bounds the whole wait, in seconds.

        Raises `DownloadFailedError` if it fails, `WaitTimeoutError` if time runs out.
        """
        _wait_limits(timeout, poll_interval)
        call = self._status(download_id)
        deadline = time.monotonic() + timeout
        while True:
            seen = self._client._execute(call)
            if progress is not None:
                progress(seen)
            if _finished(seen):
                return seen
            if time.monotonic() + poll_interval > deadline:
                raise WaitTimeoutError(f"download {download_id} not finished after {timeout} s")
            time.sleep(poll_interval)


class AsyncDownloads(_Calls):
    """`client.downloads` of an `AsyncBassa`."""

    def __init__(self, client: AsyncBassa) -> None:
        self._client = client

    async def add(self, link: str, *, timeout: Timeout = None) -> DownloadCreated:
        """Queue a link (http, https or ftp); `.id` is the new download's id."""
        return await self._client._execute(self._add(link), timeout)

    async def list(self, page: int = 1, *, timeout: Timeout = None) -> builtins.list[Download]:
        """One page (15, oldest first) of the caller's own downloads, in every status."""
        return await self._client._execute(self._own(page), timeout)

    async def completed(self, page: int = 1, *, timeout: Timeout = None) -> builtins.list[Download]:
        """One page (15, newest first) of completed downloads of every user."""
        return await self._client._execute(self._completed(page), timeout)

    def iter(self) -> AsyncIterator[Download]:
        """Every download of the caller, page after page, until an empty page."""
        return self._pages(self._own)

    def iter_completed(self) -> AsyncIterator[Download]:
        """Every completed download, page after page, until an empty page."""
        return self._pages(self._completed)

    async def _pages(
        self, call: Callable[[int], Call[builtins.list[Download]]]
    ) -> AsyncIterator[Download]:
        page = 1
        while rows := await self._client._execute(call(page)):
            for row in rows:
                yield row
            page += 1

    async def delete(self, download_id: int, *, timeout: Timeout = None) -> None:
        """Delete a queued or failed download of the caller (an admin: of anyone).

        A retry answered 404 after an attempt whose answer was lost counts as deleted.
        """
        try:
            await self._client._execute(self._delete(download_id), timeout)
        except NotFoundError as exc:
            if not deleted_earlier(exc, "delete_download"):
                raise

    async def rate(self, download_id: int, rate: int, *, timeout: Timeout = None) -> RatingResult:
        """Rate a download from 0 to 5; `.rating` is its new average."""
        return await self._client._execute(self._rate(download_id, rate), timeout)

    async def status(self, download_id: int, *, timeout: Timeout = None) -> DownloadProgress:
        """One download's status and progress (extension: `UnsupportedOperationError` on legacy)."""
        return await self._client._execute(self._status(download_id), timeout)

    async def wait(
        self,
        download_id: int,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        progress: WaitCallback | None = None,
    ) -> DownloadProgress:
        """Poll until the download completes; `timeout` bounds the whole wait, in seconds.

        Raises `DownloadFailedError` if it fails, `WaitTimeoutError` if time runs out.
        """
        _wait_limits(timeout, poll_interval)
        call = self._status(download_id)
        deadline = time.monotonic() + timeout
        while True:
            seen = await self._client._execute(call)
            if progress is not None:
                progress(seen)
            if _finished(seen):
                return seen
            if time.monotonic() + poll_interval > deadline:
                raise WaitTimeoutError(f"download {download_id} not finished after {timeout} s")
            await asyncio.sleep(poll_interval)
