"""Rules that must not depend on the database: NUL characters, user-name comparison, conflicts.

Each test runs on SQLite, PostgreSQL and MariaDB (the `server` fixture is per database).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text

from bassa_server._db.engine import retry_conflicts
from tests.integration.server.helpers import (
    PASSWORD,
    admin_token,
    conforms,
    database,
    http,
    make_user,
    unique,
)
from tests.live_server import LiveServer

NUL = "\x00"


def test_sign_up_with_a_nul_character_is_a_400(server: LiveServer) -> None:
    """Signing up with a NUL in the name, password or e-mail is refused with a 400, no login
    needed, and no account is created."""
    name = unique("nul")
    for field in ("user_name", "password", "email"):
        body = {"user_name": name, "password": PASSWORD, "email": f"{name}@example.org"}
        body[field] = body[field][:3] + NUL + body[field][3:]
        response = http.post(f"{server.url}/api/regularuser", json=body)
        assert response.status_code == 400, (field, response.text)
        assert "NUL" in conforms(response, "sign_up")["error"]
    requests = http.get(
        f"{server.url}/api/user/requests", headers={"token": admin_token(server)}
    ).json()
    assert name not in {entry["user_name"] for entry in requests}


def test_login_with_a_nul_character_is_a_400(server: LiveServer) -> None:
    """A login form whose name or password holds a NUL is a 400, not a server error."""
    for form in (
        {"user_name": f"admin{NUL}", "password": server.admin_password},
        {"user_name": server.admin_user, "password": f"{server.admin_password}{NUL}"},
    ):
        response = http.post(f"{server.url}/api/login", data=form)
        assert response.status_code == 400, response.text
        assert "NUL" in conforms(response, "login")["error"]


def test_nul_in_a_path_or_a_query_is_a_400(server: LiveServer) -> None:
    """A NUL in a path parameter or in the token header's place in a query is a 400."""
    admin = {"token": admin_token(server)}
    response = http.post(f"{server.url}/api/user/approve/bob%00", headers=admin)
    assert response.status_code == 400, response.text
    assert "NUL" in conforms(response, "approve_user")["error"]
    _, token = make_user(server)
    response = http.post(
        f"{server.url}/api/download",
        json={"link": "http://example.org/a\u0000b"},
        headers={"token": token},
    )
    assert response.status_code == 400, response.text
    assert "NUL" in conforms(response, "add_download")["error"]


def test_user_names_are_compared_exactly(server: LiveServer) -> None:
    """`ALICE` is not `alice`: it cannot sign in with alice's password, and it can sign up as an
    account of its own."""
    name, _ = make_user(server)
    upper = name.upper()
    refused = http.post(f"{server.url}/api/login", data={"user_name": upper, "password": PASSWORD})
    assert (refused.status_code, refused.json()) == (403, {"error": "invalid credentials"})
    body = {"user_name": upper, "password": PASSWORD, "email": f"{upper}-2@example.org"}
    signed_up = http.post(f"{server.url}/api/regularuser", json=body)
    assert conforms(signed_up, "sign_up") == {"status": "success"}
    padded = http.post(
        f"{server.url}/api/login", data={"user_name": f"{name} ", "password": PASSWORD}
    )
    assert (padded.status_code, padded.json()) == (403, {"error": "invalid credentials"})


@pytest.fixture(scope="module")
def conflict_table(server: LiveServer) -> Engine:
    """Two rows in a scratch table of the server's database, for transactions to fight over."""
    engine = database(server)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS conflict_probe"))
        connection.execute(text("CREATE TABLE conflict_probe (id INTEGER PRIMARY KEY, n INTEGER)"))
        connection.execute(text("INSERT INTO conflict_probe (id, n) VALUES (1, 0), (2, 0)"))
    return engine


def test_a_deadlock_is_run_again_until_both_transactions_commit(
    conflict_table: Engine, database: str
) -> None:
    """Two transactions that lock two rows in opposite orders both commit their work: the one
    the database aborts to break the deadlock is run again."""
    engine = conflict_table
    barrier = threading.Barrier(2, timeout=30)
    attempts = {"first": 0, "second": 0}
    errors: list[BaseException] = []

    def transfer(label: str, first: int, second: int) -> None:
        attempts[label] += 1
        with engine.begin() as connection:
            bump = text("UPDATE conflict_probe SET n = n + 1 WHERE id = :id")
            connection.execute(bump, {"id": first})
            if attempts[label] == 1:
                barrier.wait()  # both hold their first row: the second updates cross
            connection.execute(bump, {"id": second})

    def run(label: str, first: int, second: int) -> None:
        try:
            retry_conflicts(transfer)(label, first, second)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    if database == "sqlite":
        # one writer at a time: the second waits for the first instead of deadlocking
        barrier = threading.Barrier(1)
    threads = [
        threading.Thread(target=run, args=("first", 1, 2)),
        threading.Thread(target=run, args=("second", 2, 1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with engine.connect() as connection:
        counts = connection.execute(text("SELECT n FROM conflict_probe ORDER BY id")).scalars()
        assert list(counts) == [2, 2]
    if database != "sqlite":
        assert sorted(attempts.values()) == [1, 2]
