"""The Bassa SDK: typed, resilient clients for the Bassa download queue.

    from bassa_sdk import Bassa

    with Bassa() as bassa:                      # BASSA_URL names the server
        bassa.session.login("alice", "correct-horse-battery")
        created = bassa.downloads.add("https://example.org/report.pdf")
        done = bassa.downloads.wait(created.id)   # done.status == DownloadStatus.COMPLETED

Everything public is importable from here; modules starting with `_` are private.
"""

from __future__ import annotations

from bassa_sdk._async._client import AsyncBassa
from bassa_sdk._async._resources.downloads import AsyncDownloads
from bassa_sdk._async._resources.files import AsyncFiles
from bassa_sdk._async._resources.queue import AsyncQueue
from bassa_sdk._async._resources.session import AsyncSession
from bassa_sdk._async._resources.users import AsyncUsers
from bassa_sdk._base_client import DefaultAsyncHttpxClient, DefaultHttpxClient
from bassa_sdk._config import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONNECTION_LIMITS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_RETRY_DEADLINE,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_INITIAL,
    DEFAULT_WAIT_MAX,
    DEFAULT_WAIT_TIMEOUT,
    MAX_RETRY_AFTER,
    ClientOptions,
    RateLimit,
)
from bassa_sdk._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BassaError,
    ConflictError,
    DownloadFailedError,
    InsufficientStorageError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    TokenError,
    UnsupportedOperationError,
    WaitTimeoutError,
)
from bassa_sdk._files import FetchedFile, ProgressCallback
from bassa_sdk._generated.models import (
    CompressionJob,
    Download,
    DownloadCreated,
    DownloadProgress,
    HeavyUser,
    LoginResult,
    QueueChange,
    QueueStatus,
    RatingResult,
    ShareLink,
    SignupRequest,
    UserSummary,
)
from bassa_sdk._generated.spec_facts import DownloadStatus
from bassa_sdk._sync._client import Bassa
from bassa_sdk._sync._resources.downloads import Downloads
from bassa_sdk._sync._resources.files import Files
from bassa_sdk._sync._resources.queue import Queue
from bassa_sdk._sync._resources.session import Session
from bassa_sdk._sync._resources.users import Users

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_CONNECTION_LIMITS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_RETRY_DEADLINE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT_INITIAL",
    "DEFAULT_WAIT_MAX",
    "DEFAULT_WAIT_TIMEOUT",
    "MAX_RETRY_AFTER",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncBassa",
    "AsyncDownloads",
    "AsyncFiles",
    "AsyncQueue",
    "AsyncSession",
    "AsyncUsers",
    "AuthenticationError",
    "BadRequestError",
    "Bassa",
    "BassaError",
    "ClientOptions",
    "CompressionJob",
    "ConflictError",
    "DefaultAsyncHttpxClient",
    "DefaultHttpxClient",
    "Download",
    "DownloadCreated",
    "DownloadFailedError",
    "DownloadProgress",
    "DownloadStatus",
    "Downloads",
    "FetchedFile",
    "Files",
    "HeavyUser",
    "InsufficientStorageError",
    "LoginResult",
    "NotFoundError",
    "PermissionDeniedError",
    "ProgressCallback",
    "Queue",
    "QueueChange",
    "QueueStatus",
    "QuotaExceededError",
    "RateLimit",
    "RateLimitError",
    "RatingResult",
    "ResponseValidationError",
    "ServerError",
    "Session",
    "ShareLink",
    "SignupRequest",
    "TokenError",
    "UnsupportedOperationError",
    "UserSummary",
    "Users",
    "WaitTimeoutError",
]
