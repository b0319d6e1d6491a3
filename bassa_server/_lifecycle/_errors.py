"""Why the lifecycle refuses a change, in the domain's words; the HTTP layer picks the status.

DownloadRefused
├── LinkRefused        the link's scheme or address is not allowed
├── DownloadNotFound   no such download, or one the caller may not see
├── NotYourDownload    it exists, but belongs to someone else
├── AlreadyStarted     it has started: it can no longer be deleted
├── QuotaExceeded      the owner's downloads reached the quota
├── VolumeFull         the downloads (or zips) volume is too full
├── FileGone           a completed download's file is not on disk
└── TooManyZips        the caller has too many zips running or kept
"""

from __future__ import annotations


class DownloadRefused(Exception):  # noqa: N818 - a refusal by the rules, not a fault
    """A change to a download that the lifecycle's rules do not allow."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LinkRefused(DownloadRefused):
    """The link's scheme or address is not allowed."""


class DownloadNotFound(DownloadRefused):
    """No such download, or one the caller may not see."""


class NotYourDownload(DownloadRefused):
    """The download belongs to another user."""


class AlreadyStarted(DownloadRefused):
    """The download has started, so it can no longer be deleted."""


class QuotaExceeded(DownloadRefused):
    """The owner's downloads reached the quota."""


class VolumeFull(DownloadRefused):
    """The volume would be left with less than the configured free space."""


class FileGone(DownloadRefused):
    """A completed download's file is not (or no longer) on disk."""


class TooManyZips(DownloadRefused):
    """The caller has too many zips running or kept; one frees up in `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
