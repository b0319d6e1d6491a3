"""Lists stay bounded at any size: legacy pages stop at a documented depth, cursors go further
at the same cost, and the user lists page by name with a capped legacy answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, insert

from bassa_server._db.models import COMPLETED, Download, User
from tests.integration.server.helpers import (
    admin_token,
    conforms,
    database,
    http,
    make_user,
)
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration
CURSOR = "bassa-next-cursor"
MAX_PAGE = 100  # the spec's `Page` maximum
LEGACY_USER_CAP = 100


def _seed_downloads(server: LiveServer, user: str, count: int, **values: Any) -> None:
    """`count` downloads of `user` with one added time (the id breaks the tie), written as bulk
    rows like a restored backup would be."""
    rows = [
        {
            "link": f"https://example.org/{user}/{i}.bin",
            "user_name": user,
            "download_name": f"{i}.bin",
            "added_time": 1_000,
            **values,
        }
        for i in range(count)
    ]
    with database(server).begin() as connection:
        connection.execute(insert(Download), rows)


def _walk(server: LiveServer, path: str, token: str, operation: str) -> list[dict[str, Any]]:
    """Every row of a list, by cursor from page 1; each answer must conform to the spec."""
    rows: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    for _ in range(1_000):
        response = http.get(f"{server.url}{path}", params=params, headers={"token": token})
        rows += conforms(response, operation)
        if (cursor := response.headers.get(CURSOR)) is None:
            return rows
        params = {"cursor": cursor}
    raise AssertionError("the cursor never ended")


def _legacy(server: LiveServer, path: str, token: str, operation: str) -> list[dict[str, Any]]:
    """Every row of a legacy page list, page after page until an empty one."""
    rows: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGE + 1):
        response = http.get(f"{server.url}{path}/{page}", headers={"token": token})
        found = conforms(response, operation)
        if not found:
            return rows
        rows += found
    raise AssertionError("more rows than the deepest legacy page")


def test_pages_deeper_than_the_documented_maximum_are_refused(server: LiveServer) -> None:
    """Page 101 of either download list is a 400 that names the limit; page 100 still answers."""
    _, token = make_user(server)
    for path, operation in (
        ("/api/user/downloads", "list_own_downloads"),
        ("/api/downloads", "list_completed_downloads"),
    ):
        deep = http.get(f"{server.url}{path}/{MAX_PAGE + 1}", headers={"token": token})
        assert deep.status_code == 400
        assert str(MAX_PAGE) in conforms(deep, operation)["error"]
        last = http.get(f"{server.url}{path}/{MAX_PAGE}", headers={"token": token})
        assert last.status_code == 200


def test_own_downloads_by_cursor_match_the_pages_and_go_past_them(server: LiveServer) -> None:
    """Following the cursor lists the same downloads in the same order as the legacy pages
    (ties on the added time broken by id), and one page deeper than page 100 reads on."""
    name, token = make_user(server)
    _seed_downloads(server, name, 47)
    by_cursor = _walk(server, "/api/user/downloads/1", token, "list_own_downloads")
    by_page = _legacy(server, "/api/user/downloads", token, "list_own_downloads")
    assert [row["id"] for row in by_cursor] == [row["id"] for row in by_page]
    assert [row["id"] for row in by_cursor] == sorted(row["id"] for row in by_cursor)
    assert len(by_cursor) == 47
    # with a cursor, `page` counts from it: page 2 after the first page is rows 31..45
    first = http.get(f"{server.url}/api/user/downloads/1", headers={"token": token})
    skipped = http.get(
        f"{server.url}/api/user/downloads/2",
        params={"cursor": first.headers[CURSOR]},
        headers={"token": token},
    )
    assert [row["id"] for row in conforms(skipped, "list_own_downloads")] == [
        row["id"] for row in by_page[30:45]
    ]


def test_completed_downloads_by_cursor_match_the_pages(server: LiveServer) -> None:
    """The shared library read by cursor is the legacy pages' list, newest first, and a short
    last page carries no cursor."""
    name, token = make_user(server)
    # long ago, so the other tests' newer rows keep their places on page 1
    _seed_downloads(server, name, 33, status=COMPLETED, completed_time=2_000)
    by_cursor = _walk(server, "/api/downloads/1", token, "list_completed_downloads")
    by_page = _legacy(server, "/api/downloads", token, "list_completed_downloads")
    assert [row["id"] for row in by_cursor] == [row["id"] for row in by_page]
    keys = [(row["completed_time"], row["id"]) for row in by_cursor]
    assert keys == sorted(keys, reverse=True)
    assert sum(row["user_name"] == name for row in by_cursor) == 33


@pytest.mark.parametrize(
    "cursor", ["not-base64!", "bm90IGpzb24", "WyJjb21wbGV0ZWQiLDEsMl0", "WyJvd24iLCJ4IiwyXQ"]
)
def test_a_cursor_that_is_not_one_of_the_list_is_a_400(server: LiveServer, cursor: str) -> None:
    """Garbage, non-JSON, another list's cursor and a cursor with a wrong key type are 400s."""
    _, token = make_user(server)
    response = http.get(
        f"{server.url}/api/user/downloads/1", params={"cursor": cursor}, headers={"token": token}
    )
    assert response.status_code == 400
    assert "cursor" in conforms(response, "list_own_downloads")["error"]


def test_user_lists_page_by_name_and_agree_with_the_legacy_answer(server: LiveServer) -> None:
    """Each user list read 3 at a time by cursor is its legacy answer, in name order."""
    make_user(server, approved=False)
    make_user(server, blocked=True)
    admin = admin_token(server)
    for path, operation in (
        ("/api/user", "list_users"),
        ("/api/user/blocked", "list_blocked_users"),
        ("/api/user/requests", "list_signup_requests"),
    ):
        legacy = conforms(http.get(f"{server.url}{path}", headers={"token": admin}), operation)
        paged: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 3}
        while True:
            response = http.get(f"{server.url}{path}", params=params, headers={"token": admin})
            page = conforms(response, operation)
            assert len(page) <= 3
            paged += page
            if (cursor := response.headers.get(CURSOR)) is None:
                break
            params = {"limit": 3, "cursor": cursor}
        assert paged == legacy
        names = [row["user_name"] for row in paged]
        assert names == sorted(names) and names


def test_the_legacy_user_list_is_capped_and_says_there_is_more(server: LiveServer) -> None:
    """With more than 100 users the legacy answer has the first 100 by name and a cursor that
    reads on to the rest."""
    extra = [f"zzcap{i:04d}" for i in range(LEGACY_USER_CAP + 1)]
    with database(server).begin() as connection:
        connection.execute(
            insert(User),
            [
                {"user_name": name, "password_hash": "x", "email": f"{name}@example.org"}
                | {"approved": True, "blocked": False}
                for name in extra
            ],
        )
    try:
        admin = {"token": admin_token(server)}
        response = http.get(f"{server.url}/api/user", headers=admin)
        first = conforms(response, "list_users")
        assert len(first) == LEGACY_USER_CAP
        rest: list[dict[str, Any]] = []
        while (cursor := response.headers.get(CURSOR)) is not None:
            response = http.get(f"{server.url}/api/user", params={"cursor": cursor}, headers=admin)
            rest += conforms(response, "list_users")
        names = [row["user_name"] for row in first + rest]
        assert names == sorted(names)
        assert set(extra) <= set(names)
    finally:  # the other tests' legacy lists stay under the cap
        with database(server).begin() as connection:
            connection.execute(delete(User).where(User.user_name.in_(extra)))
