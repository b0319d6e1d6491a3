"""Queued downloads: add, list (every page), rate, delete, and wait for one to finish."""

from __future__ import annotations

import builtins
import time
from collections.abc import AsyncIterator, Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bassa_sdk._base_client import Timeout
from bassa_sdk._call import Call
from bassa_sdk._config import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT
from bassa_sdk._errors import (
    DownloadFailedError,
    NotFoundError,
    ResponseValidationError,
    UnsupportedOperationError,
    WaitTimeoutError,
)
from bassa_sdk._generated.api.downloads import (
    add_download,
    delete_download,
    get_download_status,
    list_completed_downloads,
    list_own_downloads,
    rate_download,
)
from bassa_sdk._generated.models import (
    Download,
    DownloadCreated,
    DownloadProgress,
    NewDownload,
    Rating,
    RatingResult,
    Status,
)
from bassa_sdk._generated.spec_facts import DownloadStatus
from bassa_sdk._paging import Paged, with_next_cursor
from bassa_sdk._reading import byte_sizes, deleted_earlier, expect, expect_list, returns_none
from bassa_sdk._sleep import asleep
from bassa_sdk._validate import download_link, integer

if TYPE_CHECKING:
    from bassa_sdk._async._client import AsyncBassa

__all__ = ["AsyncDownloads"]

#: Called with each status seen while waiting.
WaitCallback = Callable[[DownloadProgress], None]
Page = Call[builtins.list[Download]]
PagedCall = Call[Paged[Download]]


def _page(page: int) -> int:
    return integer(page, "list_own_downloads.page", "page")


def _download_id(download_id: int) -> int:
    return integer(download_id, "get_download_status.id", "download_id")


def _own(page: int) -> Page:
    return Call(list_own_downloads, {"page": _page(page)}, byte_sizes(expect_list(Download)))


def _completed(page: int) -> Page:
    return Call(list_completed_downloads, {"page": _page(page)}, byte_sizes(expect_list(Download)))


def _paged(endpoint: ModuleType, page: int, cursor: str | None) -> PagedCall:
    """A page by number (not checked against the spec's deepest page: a legacy server has
    none) or, with `cursor`, the page after it."""
    kwargs: dict[str, Any] = {"page": page} if cursor is None else {"page": 1, "cursor": cursor}
    return Call(endpoint, kwargs, with_next_cursor(byte_sizes(expect_list(Download))))


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


class AsyncDownloads:
    """`client.downloads`: the signed-in user's downloads and the shared library."""

    def __init__(self, client: AsyncBassa) -> None:
        self._client = client

    async def add(self, link: str, *, timeout: Timeout = None) -> DownloadCreated:
        """Queue a link (http, https or ftp); `.id` is the new download's id.

        A legacy server answers without the id: it is then recovered as the id of the caller's
        newest download of this link (`ResponseValidationError` if there is none, which
        is how a legacy server that silently dropped the link shows).
        """
        body = NewDownload(link=download_link(link))
        call = Call(add_download, {"body": body}, expect(DownloadCreated))
        created = await self._client._execute(call, timeout)
        if isinstance(created.id, int):
            return created
        newest: int | None = None
        async for row in self.iter():
            if row.link == link:
                newest = row.id if newest is None else max(newest, row.id)
        if newest is None:
            raise ResponseValidationError(
                "the server said it queued the link but sent no id, and none of your "
                "downloads has this link (a legacy server drops links it cannot store)"
            )
        return DownloadCreated(status=created.status, id=newest)

    async def list(self, page: int = 1, *, timeout: Timeout = None) -> builtins.list[Download]:
        """One page (15, oldest first) of the caller's own downloads, in every status."""
        return await self._client._execute(_own(page), timeout)

    async def completed(self, page: int = 1, *, timeout: Timeout = None) -> builtins.list[Download]:
        """One page (15, newest first) of completed downloads of every user."""
        return await self._client._execute(_completed(page), timeout)

    def iter(self) -> AsyncIterator[Download]:
        """Every download of the caller, oldest first: by cursor when the server offers one
        (any depth, same cost a page), else page after page until an empty page."""
        return self._pages(list_own_downloads)

    def iter_completed(self) -> AsyncIterator[Download]:
        """Every completed download, newest first: by cursor when the server offers one, else
        page after page until an empty page."""
        return self._pages(list_completed_downloads)

    async def _pages(self, endpoint: ModuleType) -> AsyncIterator[Download]:
        page, cursor = 1, None
        while True:
            rows, next_cursor = await self._client._execute(_paged(endpoint, page, cursor))
            for row in rows:
                yield row
            if next_cursor is not None:
                cursor = next_cursor
            elif cursor is not None or not rows:
                return  # the cursor's list ended, or the page list did
            else:
                page += 1

    async def delete(self, download_id: int, *, timeout: Timeout = None) -> None:
        """Delete a queued or failed download of the caller (an admin: of anyone).

        A retry answered 404 after an attempt whose answer was lost counts as deleted.
        """
        call = Call(delete_download, {"id": _download_id(download_id)}, returns_none(Status))
        try:
            await self._client._execute(call, timeout)
        except NotFoundError as exc:
            if not deleted_earlier(exc, "delete_download"):
                raise

    async def rate(self, download_id: int, rate: int, *, timeout: Timeout = None) -> RatingResult:
        """Rate a download from 0 to 5; `.rating` is its new average."""
        rating = Rating(rate=integer(rate, "Rating.rate", "rate"))
        kwargs = {"id": _download_id(download_id), "body": rating}
        call = Call(rate_download, kwargs, expect(RatingResult))
        return await self._client._execute(call, timeout)

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

        Raises `DownloadFailedError` if it fails, `WaitTimeoutError` if time runs out. A legacy
        server has no status endpoint: the caller's own downloads are polled instead (so only
        the caller's downloads can be waited for there, and no byte progress is seen).
        """
        if not timeout >= 0 or not poll_interval >= 0:
            raise ValueError("timeout and poll_interval must be non-negative seconds")
        call = self._status(download_id)
        deadline = time.monotonic() + timeout
        legacy: UnsupportedOperationError | None = None
        while True:
            if legacy is None:
                try:
                    seen = await self._client._execute(call)
                except UnsupportedOperationError as exc:
                    legacy = exc
            if legacy is not None:
                seen = await self._listed_progress(download_id, legacy)
            if progress is not None:
                progress(seen)
            if _finished(seen):
                return seen
            if time.monotonic() + poll_interval > deadline:
                raise WaitTimeoutError(f"download {download_id} not finished after {timeout} s")
            await asleep(poll_interval)

    async def _listed_progress(
        self, download_id: int, missing: UnsupportedOperationError
    ) -> DownloadProgress:
        """The download's progress as the caller's own list shows it (on a legacy server)."""
        try:
            async for row in self.iter():
                if row.id == download_id:
                    size = row.size if isinstance(row.size, int) else 0
                    done = size if row.status == DownloadStatus.COMPLETED else 0
                    return DownloadProgress(
                        id=row.id,
                        status=row.status,
                        completed_length=done,
                        total_length=size,
                        download_speed=0,
                    )
        except NotFoundError as exc:  # not even the list: not a Bassa server
            raise missing from exc
        raise missing

    @staticmethod
    def _status(download_id: int) -> Call[DownloadProgress]:
        kwargs = {"id": _download_id(download_id)}
        return Call(get_download_status, kwargs, expect(DownloadProgress))
