"""The download lifecycle: the one owner of the `downloads` and `queue_state` tables.

A download is queued by a user (`DownloadLifecycle.queue`, after the link, free-space and quota
checks), claimed by one replica's engine (`claim`), reported on while it runs (`set_gid`,
`progress`, `heartbeat`), and ends completed (`complete`) or failed (`fail`, `fail_queued`); a
user may rate it or delete it while it is queued or failed, and retention (`apply_retention`)
removes old, poorly rated files. Nothing else writes these tables. Refusals are
`DownloadRefused` errors; the HTTP layer maps them to statuses.
"""

from __future__ import annotations

from ._errors import (
    AlreadyStarted,
    DownloadNotFound,
    DownloadRefused,
    FileGone,
    LinkRefused,
    NotYourDownload,
    QuotaExceeded,
    TooManyZips,
    VolumeFull,
)
from ._owner import Database, DownloadLifecycle, DownloadStatus
from ._paths import has_room, inside
from ._transfers import QueueSnapshot, QueueStatus

__all__ = [
    "AlreadyStarted",
    "Database",
    "DownloadLifecycle",
    "DownloadNotFound",
    "DownloadRefused",
    "DownloadStatus",
    "FileGone",
    "LinkRefused",
    "NotYourDownload",
    "QueueSnapshot",
    "QueueStatus",
    "QuotaExceeded",
    "TooManyZips",
    "VolumeFull",
    "has_room",
    "inside",
]
