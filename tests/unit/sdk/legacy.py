"""A stand-in for the original Bassa server (scorelab/Bassa), for `httpx.MockTransport`.

It answers as the reference (`original-bassa-api.md`) describes, bugs included: JSON bodies sent
as `text/html`, `{"status": "success"}` without an id from `POST /api/download`, sizes as strings,
a rating that always fails, a kill that fails, Werkzeug HTML pages for unknown paths (so every
extension operation is a 404 page), and a file sent as `multipart/form-data` without Range support.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx

__all__ = ["LegacyBassa"]

FILE_BYTES = b"legacy file bytes\n" * 100
_NOT_FOUND = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>404 Not Found</title>\n'
    "<h1>Not Found</h1>\n<p>The requested URL was not found on the server.</p>\n"
)


def _html_json(status: int, body: Any, *, token: bool = True) -> httpx.Response:
    headers = {"content-type": "text/html; charset=utf-8"}
    if token:
        headers["token"] = "legacy-token"
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


class LegacyBassa:
    """The original server's answers, with a little state: the queued downloads."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = [self._row(1, "http://files.test/done.iso", status=3)]
        self.requests: list[httpx.Request] = []

    @staticmethod
    def _row(download_id: int, link: str, *, status: int = 0) -> dict[str, Any]:
        return {  # keys sorted, as Flask's JSON sends them; `size` is a string
            "added_time": int(time.time()),
            "completed_time": 0 if status != 3 else int(time.time()),
            "download_name": link.rsplit("/", 1)[-1],
            "gid": f"{download_id:016x}" if status == 3 else None,
            "id": download_id,
            "link": link,
            "path": f"/downloads/{link.rsplit('/', 1)[-1]}" if status == 3 else None,
            "rating": 0,
            "size": "1800" if status == 3 else "0",
            "status": status,
            "user_name": "alice",
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        method, path = request.method, request.url.path
        if method == "POST" and path == "/api/login":
            return _html_json(200, {"auth": "0"})
        if method == "POST" and path in ("/api/regularuser", "/api/user"):
            return _html_json(200, {"status": "success"}, token=path == "/api/user")
        if re.fullmatch(r"/api/user/[^/]+", path) and method == "DELETE":
            return _html_json(400, {"error": "tuple index out of range"})
        if re.fullmatch(r"/api/user/[^/]+", path) and method == "PUT":
            return _html_json(200, {"status": "success"})
        if method == "GET" and path == "/api/user":
            return _html_json(200, [{"auth": 0, "email": "a@x.org", "user_name": "alice"}])
        if method == "GET" and path == "/api/user/requests":
            return _html_json(200, [{"email": "t@x.org", "user_name": "tom"}])
        if method == "GET" and path == "/api/user/blocked":
            return _html_json(200, [])
        if re.fullmatch(r"/api/user/(approve|blocked)/[^/]+", path) and method in (
            "POST",
            "DELETE",
        ):
            return _html_json(200, {"status": "success"})
        if method == "GET" and path == "/api/user/heavy":
            return _html_json(200, [{"size": 1048576.0, "user_name": "alice"}])
        if method == "GET" and (page := re.fullmatch(r"/api/user/downloads/(\d+)", path)):
            return _html_json(200, self.rows if page[1] == "1" else [])
        if method == "GET" and (page := re.fullmatch(r"/api/downloads/(\d+)", path)):
            done = [row for row in self.rows if row["status"] == 3]
            return _html_json(200, done if page[1] == "1" else [])
        if method == "POST" and path == "/api/download":
            link = json.loads(request.content)["link"]
            self.rows.append(self._row(len(self.rows) + 1, link))
            return _html_json(200, {"status": "success"})
        if method == "DELETE" and re.fullmatch(r"/api/download/\d+", path):
            return _html_json(200, {"status": "success"})
        if method == "POST" and re.fullmatch(r"/api/download/rate/\d+", path):
            return _html_json(400, {"error": "'int' object is not iterable"})
        if method == "GET" and path == "/api/download/start":
            return _html_json(200, {"status": "4242"}, token=False)
        if method == "GET" and path == "/api/download/kill":
            body = {"error": "'NoneType' object has no attribute 'is_alive'"}
            return _html_json(400, body, token=False)
        if method == "GET" and re.fullmatch(r"/api/download/\d+", path):
            headers = {
                "content-type": "multipart/form-data",
                "content-disposition": "attachment; filename=done.iso",
            }
            return httpx.Response(200, content=FILE_BYTES, headers=headers)
        if method == "POST" and path == "/api/compress":
            gids = json.loads(request.content)["gid"]
            job: dict[str, Any] = {"process_id": "".join(sorted(gids)), "progress": 0}
            return httpx.Response(200, json=job)
        if method == "GET" and path == "/api/compression-progress":
            return httpx.Response(
                200, json={"process_id": request.url.params["gid"], "progress": 1}
            )
        if method == "GET" and path == "/api/file":
            headers = {"content-type": "application/zip"}
            return httpx.Response(200, content=b"PK\x05\x06" + bytes(18), headers=headers)
        return httpx.Response(404, text=_NOT_FOUND, headers={"content-type": "text/html"})
