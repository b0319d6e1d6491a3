"""A metrics scrape, the queue status and the heavy users never scan `downloads` or `users`:
every statement they run is checked with SQLite's query planner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, update

from bassa_server._db import migrate
from bassa_server._db.engine import make_engine, make_session_factory
from bassa_server._db.models import Download, HeavyWindowState, User
from bassa_server._engine._metrics import QueueCollector
from bassa_server._lifecycle import _counters as counters
from bassa_server._lifecycle._transfers import snapshot
from bassa_server._metrics import DatabaseCollector

NOW = 1_800_000_000


def _seeded(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
    migrate.upgrade(engine)
    with engine.begin() as connection:
        # the window as a request at NOW finds it (the migration starts it at today's)
        first_day = counters.window_first_day(NOW)
        connection.execute(update(HeavyWindowState).values(first_day=first_day))
        connection.execute(
            insert(User),
            [
                {"user_name": f"u{i}", "password_hash": "x", "email": f"u{i}@x.org"}
                for i in range(5)
            ],
        )
        connection.execute(
            insert(Download),
            [
                {
                    "link": "https://example.org/f",
                    "user_name": f"u{i % 5}",
                    "added_time": NOW - i,
                    "status": i % 5,
                    "completed_time": NOW - i,
                    "size": i,
                }
                for i in range(200)
            ],
        )
    return engine


def _plans(engine: Engine, work: Any) -> list[str]:
    """The query plan of every statement `work` runs on `engine`."""
    statements: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, _many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            statements.append((sql, params))

    event.listen(engine, "before_cursor_execute", note)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    plans = []
    with engine.connect() as connection:
        for sql, params in statements:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            plans.append(" | ".join(str(row[-1]) for row in rows))
    return plans


def test_scrape_queue_and_heavy_users_read_no_whole_table(tmp_path: Path) -> None:
    """No plan of a scrape, a queue snapshot or the heavy users scans `downloads` or `users`,
    and the answers are the true counts."""
    engine = _seeded(tmp_path)
    sessions = make_session_factory(engine)

    def work() -> None:
        list(DatabaseCollector(sessions).collect())
        list(QueueCollector(sessions, tmp_path, lambda: NOW).collect())
        with sessions() as session:
            assert snapshot(session).counts == {status: 40 for status in range(5)}
            assert counters.account_counts(session).pending == 5
            heavy = counters.run_reads(counters.heavy_users(counters.statements_of(session), NOW))
            # statuses 2 and 3 count: the rows of u2 and u3
            assert heavy == [("u3", sum(range(3, 200, 5))), ("u2", sum(range(2, 200, 5)))]

    plans = _plans(engine, work)
    assert plans, "nothing was read"
    for plan in plans:
        assert "SCAN downloads" not in plan, plan
        assert "SCAN users" not in plan, plan
