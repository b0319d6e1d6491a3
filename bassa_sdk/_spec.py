"""Facts about operations that the SDK takes from `openapi/bassa.yaml`, kept in one place.

The generated client ignores vendor extensions, so the facade restates the few it acts on; a unit
test compares each set with the spec, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bassa_sdk._retry import SAFE_METHODS

__all__ = ["EXTENSIONS", "METHODS", "SAFE_TO_RETRY", "is_safe"]

#: Operations marked `x-bassa-safe-to-retry: true`: repeating them does not change the outcome.
SAFE_TO_RETRY: Final = frozenset(
    {
        "approve_user",
        "block_user",
        "compress",
        "create_share_link",
        "fetch_download_file",
        "fetch_zip",
        "get_compression_progress",
        "get_download_status",
        "get_liveness",
        "get_queue_status",
        "get_readiness",
        "kill_queue",
        "list_blocked_users",
        "list_completed_downloads",
        "list_heavy_users",
        "list_own_downloads",
        "list_signup_requests",
        "list_users",
        "login",
        "rate_download",
        "start_queue",
        "update_user",
    }
)

#: Operations marked `x-bassa-extension: true`: a legacy server answers them with a plain 404.
EXTENSIONS: Final = frozenset(
    {
        "create_share_link",
        "end_own_sessions",
        "end_user_sessions",
        "get_download_status",
        "get_liveness",
        "get_queue_status",
        "get_readiness",
    }
)

#: The HTTP method of every operation.
METHODS: Final[Mapping[str, str]] = {
    "login": "POST",
    "sign_up": "POST",
    "end_own_sessions": "POST",
    "end_user_sessions": "POST",
    "list_users": "GET",
    "add_user": "POST",
    "update_user": "PUT",
    "delete_user": "DELETE",
    "list_signup_requests": "GET",
    "approve_user": "POST",
    "list_blocked_users": "GET",
    "block_user": "POST",
    "unblock_user": "DELETE",
    "list_heavy_users": "GET",
    "list_own_downloads": "GET",
    "list_completed_downloads": "GET",
    "add_download": "POST",
    "start_queue": "GET",
    "kill_queue": "GET",
    "get_queue_status": "GET",
    "fetch_download_file": "GET",
    "delete_download": "DELETE",
    "get_download_status": "GET",
    "rate_download": "POST",
    "compress": "POST",
    "get_compression_progress": "GET",
    "fetch_zip": "GET",
    "create_share_link": "POST",
    "get_liveness": "GET",
    "get_readiness": "GET",
}


def is_safe(operation: str) -> bool:
    """Whether a call of `operation` may be repeated after a timeout or a 5xx."""
    return METHODS[operation] in SAFE_METHODS or operation in SAFE_TO_RETRY
