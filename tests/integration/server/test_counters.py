"""The counts the database keeps stay exact through every change a download or an account goes
through, and `/api/queue`, `/metrics` and the heavy users answer from them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, delete, func, insert, select, update

from bassa_server._db import migrate
from bassa_server._db.engine import make_engine
from bassa_server._db.models import (
    COMPLETED,
    DELETED,
    ERROR,
    QUEUED,
    STARTED,
    Download,
    HeavyWindow,
    HeavyWindowState,
    User,
)
from bassa_server._lifecycle import _counters as counters
from bassa_server._lifecycle import _transfers as transfers
from bassa_server._lifecycle._retention import apply_retention
from tests.conftest import DatabaseServers
from tests.integration.server.helpers import (
    TEST_ENGINE,
    admin_token,
    complete_download,
    conforms,
    database,
    fail_download,
    http,
    lifecycle,
    make_user,
    queue_download,
    start_download,
    unique,
)
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration
DAY = 24 * 60 * 60
QUEUE_KEYS = {QUEUED: "queued", STARTED: "started", COMPLETED: "completed", ERROR: "failed"}


def _true_counts(engine: Engine) -> dict[int, int]:
    with engine.connect() as connection:
        rows = connection.execute(select(Download.status, func.count()).group_by(Download.status))
        return {int(status): int(count) for status, count in rows}


def _true_window(engine: Engine, now: int) -> dict[str, int]:
    since = counters.window_first_day(now) * DAY
    with engine.connect() as connection:
        rows = connection.execute(
            select(Download.user_name, func.sum(Download.size))
            .where(Download.status.in_((COMPLETED, DELETED)), Download.completed_time >= since)
            .group_by(Download.user_name)
        )
        return {str(name): int(size) for name, size in rows if size}


def _assert_exact(server: LiveServer) -> None:
    """The kept counts equal COUNT(*) and SUM() over the tables, and so does `/api/queue`."""
    engine = database(server)
    true = _true_counts(engine)
    with engine.connect() as connection:
        assert counters.download_counts(connection) == true
        kept_window = {
            name: size
            for name, size in connection.execute(select(HeavyWindow.user_name, HeavyWindow.bytes))
            if size
        }
        states = connection.execute(select(User.approved, User.blocked)).all()
        accounts = counters.account_counts(connection)
    assert kept_window == _true_window(engine, int(time.time()))
    assert accounts.blocked == sum(1 for _, blocked in states if blocked)
    assert accounts.pending == sum(
        1 for approved, blocked in states if not approved and not blocked
    )
    assert accounts.approved == sum(1 for approved, blocked in states if approved and not blocked)
    queue = conforms(
        http.get(f"{server.url}/api/queue", headers={"token": admin_token(server)}),
        "get_queue_status",
    )
    assert {key: queue[key] for key in QUEUE_KEYS.values()} == {
        key: true.get(status, 0) for status, key in QUEUE_KEYS.items()
    }


def test_counts_stay_exact_through_the_whole_lifecycle(server: LiveServer, tmp_path: Path) -> None:
    """Add, start, complete, fail, delete, take-over, quota failure, retention and deleting a
    user each leave the kept counts equal to a COUNT(*) of the table."""
    sessions, now = lifecycle(server), int(time.time())
    name, token = make_user(server)
    ids = [queue_download(server, token, f"https://example.org/c{i}.bin") for i in range(6)]
    _assert_exact(server)
    start_download(server, ids[0], size=10)
    complete_download(server, ids[1], f"{name}-c1.bin", b"x" * 1234)
    fail_download(server, ids[2], "broken")
    _assert_exact(server)
    response = http.delete(f"{server.url}/api/download/{ids[2]}", headers={"token": token})
    assert response.status_code == 200
    # retention turns an old, unrated completed download into status 2
    complete_download(server, ids[5], f"{name}-c5.bin", b"y" * 99, completed_time=now - 40 * DAY)
    removed = apply_retention(
        sessions, server.data_dir / "downloads", days=30, min_rating=0, now=now
    )
    assert ids[5] in removed
    _assert_exact(server)
    # another replica's claim gone stale is queued again; a quota refusal fails what waits
    assert transfers.claim_download(sessions, "gone-replica", ids[3], now - 10_000) is not None
    assert transfers.take_over_stale(sessions, TEST_ENGINE, now - 1000) >= 1
    assert transfers.fail_queued(sessions, [name], "over quota") == 2
    _assert_exact(server)
    # the admin deletes the user: their downloads go too, on every database
    admin = {"token": admin_token(server)}
    assert http.delete(f"{server.url}/api/user/{name}", headers=admin).status_code == 200
    _assert_exact(server)


def test_counts_stay_exact_through_statements_of_many_rows(server: LiveServer) -> None:
    """A multi-row INSERT, many single-row INSERTs in one transaction and DELETEs of many rows
    (an operator's bulk load and clean-up, deleting a user) are counted row for row, inside
    and outside the heavy users' window."""
    engine, now = database(server), int(time.time())
    names = [unique("bulk") for _ in range(3)]
    users = [
        {"user_name": name, "password_hash": "x", "email": f"{name}@example.org"}
        | {"approved": i != 1, "blocked": i == 2}
        for i, name in enumerate(names)
    ]
    rows = [
        {
            "link": f"https://example.org/bulk{i}.bin",
            "user_name": names[i % 3],
            "added_time": now,
            "status": i % 5,
            "completed_time": now - (i % 40) * DAY if i % 5 in (COMPLETED, DELETED) else 0,
            "size": 1000 + i,
        }
        for i in range(240)
    ]
    with engine.begin() as connection:
        connection.execute(insert(User).values(users))  # one statement, three accounts
        connection.execute(insert(Download).values(rows[:120]))  # one statement
        connection.execute(insert(Download), rows[120:])  # the driver's executemany
    _assert_exact(server)
    with engine.begin() as connection:
        connection.execute(delete(Download).where(Download.user_name == names[0]))
        connection.execute(
            delete(Download).where(Download.user_name == names[1], Download.status == COMPLETED)
        )
    _assert_exact(server)
    admin = {"token": admin_token(server)}
    for name in names:  # the rest go with their accounts
        assert http.delete(f"{server.url}/api/user/{name}", headers=admin).status_code == 200
    _assert_exact(server)


def test_account_gauges_follow_sign_up_approval_and_blocking(server: LiveServer) -> None:
    """`bassa_users` on /metrics moves with sign-ups, approvals and blocks, from kept counts."""

    def gauges() -> dict[str, float]:
        body = http.get(f"{server.url}/metrics").text
        found = {}
        for line in body.splitlines():
            if line.startswith("bassa_users{"):
                state = line.split('state="', 1)[1].split('"', 1)[0]
                found[state] = float(line.rsplit(" ", 1)[1])
        return found

    before = gauges()
    pending, _ = make_user(server, approved=False)
    make_user(server, blocked=True)
    after = gauges()
    assert after["pending"] == before["pending"] + 1
    assert after["blocked"] == before["blocked"] + 1
    admin = {"token": admin_token(server)}
    assert http.post(f"{server.url}/api/user/approve/{pending}", headers=admin).status_code == 200
    approved = gauges()
    assert approved["pending"] == before["pending"]
    assert approved["approved"] == after["approved"] + 1
    _assert_exact(server)


def test_heavy_users_window_moves_with_the_days(server: LiveServer) -> None:
    """Bytes completed 33 days ago count while the window still starts before them and drop
    out once a request finds the window a day behind and moves it."""
    engine, now = database(server), int(time.time())
    name, token = make_user(server)
    old = queue_download(server, token, "https://example.org/old.bin")
    with engine.begin() as connection:  # as if the window last moved five days ago
        connection.execute(
            update(HeavyWindowState).values(first_day=counters.window_first_day(now) - 5)
        )
    heavy_size = 10**15  # more than any other test's user, so it is in the ten
    complete_download(server, old, f"{name}-old.bin", b"z", completed_time=now - 33 * DAY)
    with engine.begin() as connection:
        # the file is one byte; the record says a petabyte (sizes are what aria2 reported)
        connection.execute(update(Download).where(Download.id == old).values(size=heavy_size))
        window = connection.scalar(select(HeavyWindow.bytes).where(HeavyWindow.user_name == name))
    assert window == heavy_size
    heavy = conforms(
        http.get(f"{server.url}/api/user/heavy", headers={"token": admin_token(server)}),
        "list_heavy_users",
    )
    assert name not in [row["user_name"] for row in heavy]
    with engine.connect() as connection:
        first_day = connection.scalar(select(HeavyWindowState.first_day))
    assert first_day == counters.window_first_day(now)
    _assert_exact(server)


def test_the_upgrade_counts_the_rows_already_there(
    database_servers: DatabaseServers, database: str, tmp_path: Path
) -> None:
    """Migrating a database with downloads and accounts from revision 0006 fills the counters
    with exactly what is there, and the heavy window with the last 30 days' bytes."""
    url = database_servers.new_database(database) or f"sqlite:///{tmp_path / 'bassa.db'}"
    engine = make_engine(url)
    now = int(time.time())
    try:
        with engine.connect() as connection:
            command.upgrade(migrate.alembic_config(engine, connection), "0006")
            connection.commit()
        with engine.begin() as connection:
            connection.execute(
                insert(User),
                [
                    {
                        "user_name": f"m{i}",
                        "password_hash": "x",
                        "email": f"m{i}@example.org",
                        "approved": i % 3 != 0,
                        "blocked": i % 4 == 0,
                    }
                    for i in range(12)
                ],
            )
            connection.execute(
                insert(Download),
                [
                    {
                        "link": "https://example.org/m.bin",
                        "user_name": f"m{i % 12}",
                        "added_time": now,
                        "status": i % 5,
                        "completed_time": now - (i % 40) * DAY if i % 5 in (2, 3) else 0,
                        "size": 1000 + i,
                    }
                    for i in range(300)
                ],
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert counters.download_counts(connection) == _true_counts(engine)
            window = dict(
                connection.execute(select(HeavyWindow.user_name, HeavyWindow.bytes)).all()
            )
            accounts = counters.account_counts(connection)
            blocked = connection.scalar(select(func.count()).where(User.blocked.is_(True)))
        assert window == _true_window(engine, now)
        assert accounts.blocked == blocked
        assert accounts.approved + accounts.pending + accounts.blocked == 12
    finally:
        engine.dispose()
