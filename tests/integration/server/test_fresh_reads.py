"""A list page is never older than the database, whoever wrote to it: on a shared database
another replica's commit shows in this replica's very next read (only a page's rendering is kept,
for rows equal to the ones it was made from)."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import insert, update

from bassa_server._db.models import Download
from tests.integration.server.helpers import database, make_user
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration


def _own_names(server: LiveServer, token: str) -> list[str]:
    response = httpx.get(f"{server.url}/api/user/downloads/1", headers={"token": token})
    assert response.status_code == 200, response.text
    return [row["download_name"] for row in response.json()]


def test_a_commit_from_elsewhere_shows_in_the_next_page(server: LiveServer) -> None:
    """Rows another writer inserts or changes directly in the database appear in the very next
    list page, however often the page was read before."""
    user, token = make_user(server)
    assert _own_names(server, token) == []
    assert _own_names(server, token) == []
    now = int(time.time())
    with database(server).begin() as connection:
        download_id = connection.execute(
            insert(Download)
            .values(
                link="https://example.org/elsewhere.bin",
                user_name=user,
                download_name="elsewhere.bin",
                added_time=now,
                status=0,
                rating=0,
            )
            .returning(Download.id)
        ).scalar_one()
    assert _own_names(server, token) == ["elsewhere.bin"]
    assert _own_names(server, token) == ["elsewhere.bin"]
    with database(server).begin() as connection:
        connection.execute(
            update(Download).where(Download.id == download_id).values(download_name="renamed.bin")
        )
    assert _own_names(server, token) == ["renamed.bin"]
