"""Serving a file from disk safely: inside its folder, with Range, and never a text/plain error.

Starlette's FileResponse answers a malformed `Range` with `400 text/plain`, a range past the end
with an empty `416`, and several ranges with `multipart/byteranges`. This API ignores a malformed
or multiple range (a 200 with the whole file, as RFC 9110 allows), and answers 416 in the API's
JSON error shape.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import (
    FileResponse,
    JSONResponse,
    MalformedRangeHeader,
    RangeNotSatisfiable,
)
from starlette.types import Receive, Scope, Send

from bassa_server._openapi import error_response


def inside(folder: Path, relative: str) -> Path | None:
    """`folder / relative` when it is a regular file that stays inside `folder`, else None."""
    base = folder.resolve()
    try:
        candidate = (base / relative).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def guess_type(path: Path) -> str:
    """The file's MIME type from its name, or `application/octet-stream`."""
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class LenientFileResponse(FileResponse):
    """A file download that tolerates bad `Range` headers and reports 416 as JSON."""

    def __init__(self, path: Path, *, media_type: str, filename: str) -> None:
        self._stat = os.stat(path)
        super().__init__(path, media_type=media_type, filename=filename, stat_result=self._stat)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the file, first deciding what to do with a `Range` header."""
        http_range = Headers(scope=scope).get("range")
        if http_range is not None:
            size = self._stat.st_size
            try:
                ranges = self._parse_range_header(http_range, size)
            except MalformedRangeHeader:
                ranges = []
            except RangeNotSatisfiable:
                refusal: JSONResponse = error_response(
                    416, "range not satisfiable", headers={"content-range": f"bytes */{size}"}
                )
                for name in ("token", "access-control-expose-headers"):
                    if name in self.headers:
                        refusal.headers[name] = self.headers[name]
                await refusal(scope, receive, send)
                return
            if len(ranges) != 1:
                scope = _without_range(scope)
        await super().__call__(scope, receive, send)


def _without_range(scope: Scope) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"range", b"if-range")]
    return {**scope, "headers": headers}
