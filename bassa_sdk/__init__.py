"""The Bassa SDK: typed, resilient clients for the Bassa download queue.

    from bassa_sdk import Bassa

    with Bassa() as bassa:                      # BASSA_URL names the server
        bassa.session.login("alice", "correct-horse-battery")
        created = bassa.downloads.add("https://example.org/report.pdf")
        done = bassa.downloads.wait(created.id)   # done.status == DownloadStatus.COMPLETED

Everything public is importable from here; modules starting with `_` are private.
"""

from __future__ import annotations

import typing as _typing

if _typing.TYPE_CHECKING:
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
    "__version__",
]

# Each public name and the module it lives in: a name is imported on first use (PEP 562), so
# `import bassa_sdk` (and the `bassa` command line, which lives inside the package) costs almost
# nothing until a client or model is needed.
_LAZY: dict[str, str] = {
    "APIConnectionError": "bassa_sdk._errors",
    "APIStatusError": "bassa_sdk._errors",
    "APITimeoutError": "bassa_sdk._errors",
    "AsyncBassa": "bassa_sdk._async._client",
    "AsyncDownloads": "bassa_sdk._async._resources.downloads",
    "AsyncFiles": "bassa_sdk._async._resources.files",
    "AsyncQueue": "bassa_sdk._async._resources.queue",
    "AsyncSession": "bassa_sdk._async._resources.session",
    "AsyncUsers": "bassa_sdk._async._resources.users",
    "AuthenticationError": "bassa_sdk._errors",
    "BadRequestError": "bassa_sdk._errors",
    "Bassa": "bassa_sdk._sync._client",
    "BassaError": "bassa_sdk._errors",
    "ClientOptions": "bassa_sdk._config",
    "CompressionJob": "bassa_sdk._generated.models",
    "ConflictError": "bassa_sdk._errors",
    "DEFAULT_CHUNK_SIZE": "bassa_sdk._config",
    "DEFAULT_CONNECTION_LIMITS": "bassa_sdk._config",
    "DEFAULT_MAX_ATTEMPTS": "bassa_sdk._config",
    "DEFAULT_POLL_INTERVAL": "bassa_sdk._config",
    "DEFAULT_RETRY_DEADLINE": "bassa_sdk._config",
    "DEFAULT_TIMEOUT": "bassa_sdk._config",
    "DEFAULT_WAIT_INITIAL": "bassa_sdk._config",
    "DEFAULT_WAIT_MAX": "bassa_sdk._config",
    "DEFAULT_WAIT_TIMEOUT": "bassa_sdk._config",
    "DefaultAsyncHttpxClient": "bassa_sdk._base_client",
    "DefaultHttpxClient": "bassa_sdk._base_client",
    "Download": "bassa_sdk._generated.models",
    "DownloadCreated": "bassa_sdk._generated.models",
    "DownloadFailedError": "bassa_sdk._errors",
    "DownloadProgress": "bassa_sdk._generated.models",
    "DownloadStatus": "bassa_sdk._generated.spec_facts",
    "Downloads": "bassa_sdk._sync._resources.downloads",
    "FetchedFile": "bassa_sdk._files",
    "Files": "bassa_sdk._sync._resources.files",
    "HeavyUser": "bassa_sdk._generated.models",
    "InsufficientStorageError": "bassa_sdk._errors",
    "LoginResult": "bassa_sdk._generated.models",
    "MAX_RETRY_AFTER": "bassa_sdk._config",
    "NotFoundError": "bassa_sdk._errors",
    "PermissionDeniedError": "bassa_sdk._errors",
    "ProgressCallback": "bassa_sdk._files",
    "Queue": "bassa_sdk._sync._resources.queue",
    "QueueChange": "bassa_sdk._generated.models",
    "QueueStatus": "bassa_sdk._generated.models",
    "QuotaExceededError": "bassa_sdk._errors",
    "RateLimit": "bassa_sdk._config",
    "RateLimitError": "bassa_sdk._errors",
    "RatingResult": "bassa_sdk._generated.models",
    "ResponseValidationError": "bassa_sdk._errors",
    "ServerError": "bassa_sdk._errors",
    "Session": "bassa_sdk._sync._resources.session",
    "ShareLink": "bassa_sdk._generated.models",
    "SignupRequest": "bassa_sdk._generated.models",
    "TokenError": "bassa_sdk._errors",
    "UnsupportedOperationError": "bassa_sdk._errors",
    "UserSummary": "bassa_sdk._generated.models",
    "Users": "bassa_sdk._sync._resources.users",
    "WaitTimeoutError": "bassa_sdk._errors",
}


def __getattr__(name: str) -> _typing.Any:
    """Import a public name on first use; `__version__` comes from the installed metadata."""
    if name == "__version__":
        from bassa_sdk._version import version

        return version()
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
