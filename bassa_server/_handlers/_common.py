"""Small helpers every handler module shares: the app's services, JSON replies, row shapes."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from bassa_server._db.models import Download
from bassa_server._openapi import Call
from bassa_server._services import Services

PAGE_SIZE = 15
SUCCESS = {"status": "success"}


def services(call: Call) -> Services:
    """The services of the app serving `call`."""
    found = call.request.app.state.services
    assert isinstance(found, Services)
    return found


def reply(body: Any, status: int = 200) -> JSONResponse:
    """A JSON reply."""
    return JSONResponse(body, status_code=status)


def page_offset(page: int) -> int:
    """The row offset of a 1-based page."""
    return (page - 1) * PAGE_SIZE


def download_json(row: Download) -> dict[str, Any]:
    """A download as the spec's `Download` object."""
    return {
        "id": row.id,
        "link": row.link,
        "user_name": row.user_name,
        "download_name": row.download_name,
        "added_time": row.added_time,
        "status": row.status,
        "rating": row.rating,
        "gid": row.gid,
        "completed_time": row.completed_time,
        "size": row.size,
        "path": row.path,
        "error": row.error,
    }
