"""Counters kept by triggers: downloads by status, accounts by state, completed bytes per day.

The queue status, the `/metrics` gauges and the heavy users counted or summed the whole `downloads`
table on every request (over 100 ms at a million rows). The database now keeps the answers, in
the same transaction as the change, whoever writes (the API, any replica's engine, retention,
an operator's SQL):

- `download_counts` (status, slot, n): +1/-1 on insert, delete and status change, in slot
  `id % 16`, so replicas writing at once rarely wait on one row; readers sum the slots;
- `user_counts` (kind = 2 x blocked + approved, n), from the `users` table the same way;
- `completed_bytes_daily` (user, UTC day, bytes) and `heavy_window` (user, bytes since the
  window's first day, kept in `heavy_window_state`): bytes of downloads in status 3 or 2.

MariaDB/MySQL fire no trigger for a foreign-key cascade: the server deletes a user's downloads
itself before the user. Triggers are created before the backfill in one transaction on
PostgreSQL and SQLite (concurrent writers wait, so nothing is counted twice or missed); on
MariaDB DDL commits at once, so upgrade with the old replicas stopped (as every migration).
A later revision that rebuilds `downloads` or `users` on SQLite (batch mode) must create these
triggers again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import time
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOTS = 16
DAY = 86400
WINDOW_DAYS = 30
# bytes count for these statuses: 3 completed, 2 completed and later removed by retention (the
# trigger texts below spell out these constants: 16 slots, 86400 s a day, statuses (2, 3))
COUNTED = (2, 3)

_POSTGRESQL = [
    """
    CREATE FUNCTION bassa_count_downloads() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      first_day integer;
    BEGIN
      IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.status <> NEW.status) THEN
        UPDATE download_counts SET n = n - 1
          WHERE status = OLD.status AND slot = OLD.id % 16;
      END IF;
      IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND OLD.status <> NEW.status) THEN
        INSERT INTO download_counts (status, slot, n) VALUES (NEW.status, NEW.id % 16, 1)
          ON CONFLICT (status, slot) DO UPDATE SET n = download_counts.n + 1;
      END IF;
      SELECT s.first_day INTO first_day FROM heavy_window_state s WHERE s.id = 1;
      IF TG_OP <> 'INSERT' THEN
        IF OLD.status IN (2, 3) THEN
          UPDATE completed_bytes_daily SET bytes = bytes - OLD.size
            WHERE user_name = OLD.user_name AND day = OLD.completed_time / 86400;
          IF OLD.completed_time / 86400 >= first_day THEN
            UPDATE heavy_window SET bytes = bytes - OLD.size WHERE user_name = OLD.user_name;
          END IF;
        END IF;
      END IF;
      IF TG_OP <> 'DELETE' THEN
        IF NEW.status IN (2, 3) AND NEW.completed_time / 86400 >= first_day THEN
          INSERT INTO completed_bytes_daily (user_name, day, bytes)
            VALUES (NEW.user_name, NEW.completed_time / 86400, NEW.size)
            ON CONFLICT (user_name, day)
            DO UPDATE SET bytes = completed_bytes_daily.bytes + EXCLUDED.bytes;
          INSERT INTO heavy_window (user_name, bytes) VALUES (NEW.user_name, NEW.size)
            ON CONFLICT (user_name) DO UPDATE SET bytes = heavy_window.bytes + EXCLUDED.bytes;
        END IF;
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER bassa_downloads_counted_write AFTER INSERT OR DELETE ON downloads
      FOR EACH ROW EXECUTE FUNCTION bassa_count_downloads()
    """,
    """
    CREATE TRIGGER bassa_downloads_counted_update
      AFTER UPDATE OF status, size, completed_time ON downloads FOR EACH ROW
      WHEN (OLD.status <> NEW.status OR OLD.status IN (2, 3) OR NEW.status IN (2, 3))
      EXECUTE FUNCTION bassa_count_downloads()
    """,
    """
    CREATE FUNCTION bassa_count_users() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        UPDATE user_counts SET n = n - 1
          WHERE kind = OLD.blocked::integer * 2 + OLD.approved::integer;
      END IF;
      IF TG_OP <> 'DELETE' THEN
        INSERT INTO user_counts (kind, n)
          VALUES (NEW.blocked::integer * 2 + NEW.approved::integer, 1)
          ON CONFLICT (kind) DO UPDATE SET n = user_counts.n + 1;
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER bassa_users_counted_write AFTER INSERT OR DELETE ON users
      FOR EACH ROW EXECUTE FUNCTION bassa_count_users()
    """,
    """
    CREATE TRIGGER bassa_users_counted_update AFTER UPDATE OF approved, blocked ON users
      FOR EACH ROW
      WHEN (OLD.approved <> NEW.approved OR OLD.blocked <> NEW.blocked)
      EXECUTE FUNCTION bassa_count_users()
    """,
]

# MariaDB/MySQL: one trigger per event, IF in the body, DIV for whole days
_MYSQL_OLD = """
      UPDATE download_counts SET n = n - 1 WHERE status = OLD.status AND slot = OLD.id % 16;
"""
_MYSQL_NEW = """
      INSERT INTO download_counts (status, slot, n) VALUES (NEW.status, NEW.id % 16, 1)
        ON DUPLICATE KEY UPDATE n = n + 1;
"""
_MYSQL_OLD_BYTES = """
      IF OLD.status IN (2, 3) THEN
        UPDATE completed_bytes_daily SET bytes = bytes - OLD.size
          WHERE user_name = OLD.user_name AND day = OLD.completed_time DIV 86400;
        IF OLD.completed_time DIV 86400 >= (SELECT first_day FROM heavy_window_state WHERE id = 1)
        THEN
          UPDATE heavy_window SET bytes = bytes - OLD.size WHERE user_name = OLD.user_name;
        END IF;
      END IF;
"""
_MYSQL_NEW_BYTES = """
      IF NEW.status IN (2, 3)
         AND NEW.completed_time DIV 86400 >= (SELECT first_day FROM heavy_window_state WHERE id = 1)
      THEN
        INSERT INTO completed_bytes_daily (user_name, day, bytes)
          VALUES (NEW.user_name, NEW.completed_time DIV 86400, NEW.size)
          ON DUPLICATE KEY UPDATE bytes = bytes + VALUES(bytes);
        INSERT INTO heavy_window (user_name, bytes) VALUES (NEW.user_name, NEW.size)
          ON DUPLICATE KEY UPDATE bytes = bytes + VALUES(bytes);
      END IF;
"""
_MYSQL_USER_OLD = """
      UPDATE user_counts SET n = n - 1 WHERE kind = OLD.blocked * 2 + OLD.approved;
"""
_MYSQL_USER_NEW = """
      INSERT INTO user_counts (kind, n) VALUES (NEW.blocked * 2 + NEW.approved, 1)
        ON DUPLICATE KEY UPDATE n = n + 1;
"""
_MYSQL = [
    "CREATE TRIGGER bassa_downloads_counted_insert AFTER INSERT ON downloads FOR EACH ROW BEGIN"
    + _MYSQL_NEW
    + _MYSQL_NEW_BYTES
    + "END",
    "CREATE TRIGGER bassa_downloads_counted_delete AFTER DELETE ON downloads FOR EACH ROW BEGIN"
    + _MYSQL_OLD
    + _MYSQL_OLD_BYTES
    + "END",
    "CREATE TRIGGER bassa_downloads_counted_update AFTER UPDATE ON downloads FOR EACH ROW BEGIN"
    + "\n  IF OLD.status <> NEW.status THEN"
    + _MYSQL_OLD
    + _MYSQL_NEW
    + "  END IF;\n"
    + "  IF (OLD.status IN (2, 3) OR NEW.status IN (2, 3)) AND (OLD.status <> NEW.status"
    + " OR OLD.size <> NEW.size OR OLD.completed_time <> NEW.completed_time) THEN"
    + _MYSQL_OLD_BYTES
    + _MYSQL_NEW_BYTES
    + "  END IF;\nEND",
    "CREATE TRIGGER bassa_users_counted_insert AFTER INSERT ON users FOR EACH ROW BEGIN"
    + _MYSQL_USER_NEW
    + "END",
    "CREATE TRIGGER bassa_users_counted_delete AFTER DELETE ON users FOR EACH ROW BEGIN"
    + _MYSQL_USER_OLD
    + "END",
    "CREATE TRIGGER bassa_users_counted_update AFTER UPDATE ON users FOR EACH ROW BEGIN"
    + "\n  IF OLD.approved <> NEW.approved OR OLD.blocked <> NEW.blocked THEN"
    + _MYSQL_USER_OLD
    + _MYSQL_USER_NEW
    + "  END IF;\nEND",
]

# SQLite: WHERE clauses instead of IF (an UPSERT from a SELECT needs its WHERE anyway)
_SQLITE_OLD = """
  UPDATE download_counts SET n = n - 1 WHERE status = OLD.status AND slot = OLD.id % 16;
"""
_SQLITE_NEW = """
  INSERT INTO download_counts (status, slot, n) SELECT NEW.status, NEW.id % 16, 1 WHERE 1
    ON CONFLICT (status, slot) DO UPDATE SET n = n + 1;
"""
_SQLITE_OLD_BYTES = """
  UPDATE completed_bytes_daily SET bytes = bytes - OLD.size
    WHERE OLD.status IN (2, 3) AND user_name = OLD.user_name
      AND day = OLD.completed_time / 86400;
  UPDATE heavy_window SET bytes = bytes - OLD.size
    WHERE OLD.status IN (2, 3) AND user_name = OLD.user_name
      AND OLD.completed_time / 86400 >= (SELECT first_day FROM heavy_window_state WHERE id = 1);
"""
_SQLITE_NEW_BYTES = """
  INSERT INTO completed_bytes_daily (user_name, day, bytes)
    SELECT NEW.user_name, NEW.completed_time / 86400, NEW.size
    WHERE NEW.status IN (2, 3)
      AND NEW.completed_time / 86400 >= (SELECT first_day FROM heavy_window_state WHERE id = 1)
    ON CONFLICT (user_name, day) DO UPDATE SET bytes = bytes + excluded.bytes;
  INSERT INTO heavy_window (user_name, bytes) SELECT NEW.user_name, NEW.size
    WHERE NEW.status IN (2, 3)
      AND NEW.completed_time / 86400 >= (SELECT first_day FROM heavy_window_state WHERE id = 1)
    ON CONFLICT (user_name) DO UPDATE SET bytes = bytes + excluded.bytes;
"""
_SQLITE_USER_OLD = """
  UPDATE user_counts SET n = n - 1 WHERE kind = OLD.blocked * 2 + OLD.approved;
"""
_SQLITE_USER_NEW = """
  INSERT INTO user_counts (kind, n) SELECT NEW.blocked * 2 + NEW.approved, 1 WHERE 1
    ON CONFLICT (kind) DO UPDATE SET n = n + 1;
"""
_SQLITE = [
    "CREATE TRIGGER bassa_downloads_counted_insert AFTER INSERT ON downloads BEGIN"
    + _SQLITE_NEW
    + _SQLITE_NEW_BYTES
    + "END",
    "CREATE TRIGGER bassa_downloads_counted_delete AFTER DELETE ON downloads BEGIN"
    + _SQLITE_OLD
    + _SQLITE_OLD_BYTES
    + "END",
    "CREATE TRIGGER bassa_downloads_counted_status AFTER UPDATE OF status ON downloads"
    + " WHEN OLD.status <> NEW.status BEGIN"
    + _SQLITE_OLD
    + _SQLITE_NEW
    + "END",
    "CREATE TRIGGER bassa_downloads_counted_bytes AFTER UPDATE OF status, size, completed_time"
    + " ON downloads WHEN (OLD.status IN (2, 3) OR NEW.status IN (2, 3))"
    + " AND (OLD.status <> NEW.status OR OLD.size <> NEW.size"
    + " OR OLD.completed_time <> NEW.completed_time) BEGIN"
    + _SQLITE_OLD_BYTES
    + _SQLITE_NEW_BYTES
    + "END",
    "CREATE TRIGGER bassa_users_counted_insert AFTER INSERT ON users BEGIN"
    + _SQLITE_USER_NEW
    + "END",
    "CREATE TRIGGER bassa_users_counted_delete AFTER DELETE ON users BEGIN"
    + _SQLITE_USER_OLD
    + "END",
    "CREATE TRIGGER bassa_users_counted_update AFTER UPDATE OF approved, blocked ON users"
    + " WHEN OLD.approved <> NEW.approved OR OLD.blocked <> NEW.blocked BEGIN"
    + _SQLITE_USER_OLD
    + _SQLITE_USER_NEW
    + "END",
]
_TRIGGERS = {"postgresql": _POSTGRESQL, "mysql": _MYSQL, "mariadb": _MYSQL, "sqlite": _SQLITE}
_DROP_POSTGRESQL = [
    "DROP TRIGGER bassa_downloads_counted_write ON downloads",
    "DROP TRIGGER bassa_downloads_counted_update ON downloads",
    "DROP TRIGGER bassa_users_counted_write ON users",
    "DROP TRIGGER bassa_users_counted_update ON users",
    "DROP FUNCTION bassa_count_downloads()",
    "DROP FUNCTION bassa_count_users()",
]
_DROP_MYSQL = [
    f"DROP TRIGGER bassa_{table}_counted_{event}"
    for table in ("downloads", "users")
    for event in ("insert", "delete", "update")
]
_DROP_SQLITE = [
    *(f"DROP TRIGGER bassa_downloads_counted_{event}" for event in ("insert", "delete")),
    "DROP TRIGGER bassa_downloads_counted_status",
    "DROP TRIGGER bassa_downloads_counted_bytes",
    *(f"DROP TRIGGER bassa_users_counted_{event}" for event in ("insert", "delete", "update")),
]
_DROPS = {
    "postgresql": _DROP_POSTGRESQL,
    "mysql": _DROP_MYSQL,
    "mariadb": _DROP_MYSQL,
    "sqlite": _DROP_SQLITE,
}


def _user_key() -> sa.ForeignKey:
    return sa.ForeignKey("users.user_name", ondelete="CASCADE", onupdate="CASCADE")


def _user_name_type(bind: sa.Connection) -> sa.String:
    """A user-name column's type: on MariaDB/MySQL with the collation of `users.user_name`
    (revision 0005), which a foreign key to it must share."""
    if bind.dialect.name not in ("mysql", "mariadb"):
        return sa.String(64)
    collation = bind.execute(
        sa.text(
            "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
            " AND TABLE_NAME = 'users' AND COLUMN_NAME = 'user_name'"
        )
    ).scalar_one()
    return sa.String(64, collation=collation)


def upgrade() -> None:
    """Create the counter tables and their triggers, then count what is already there."""
    op.create_index("ix_users_blocked_name", "users", ["blocked", "user_name"])
    op.create_index("ix_users_approved_name", "users", ["approved", "user_name"])
    op.create_table(
        "download_counts",
        sa.Column("status", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("slot", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "user_counts",
        sa.Column("kind", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "completed_bytes_daily",
        sa.Column("user_name", _user_name_type(op.get_bind()), _user_key(), primary_key=True),
        sa.Column("day", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "heavy_window",
        sa.Column("user_name", _user_name_type(op.get_bind()), _user_key(), primary_key=True),
        sa.Column("bytes", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_heavy_window_bytes", "heavy_window", ["bytes"])
    state = op.create_table(
        "heavy_window_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("first_day", sa.Integer, nullable=False),
    )
    first_day = int(time.time()) // DAY - WINDOW_DAYS
    op.bulk_insert(state, [{"id": 1, "first_day": first_day}])
    bind = op.get_bind()
    for statement in _TRIGGERS[bind.dialect.name]:
        op.execute(statement)
    _backfill(bind, first_day)


def _backfill(bind: sa.Connection, first_day: int) -> None:
    downloads = sa.table(
        "downloads",
        sa.column("id", sa.BigInteger),
        sa.column("user_name", sa.String),
        sa.column("status", sa.SmallInteger),
        sa.column("size", sa.BigInteger),
        sa.column("completed_time", sa.BigInteger),
    )
    users = sa.table("users", sa.column("approved", sa.Boolean), sa.column("blocked", sa.Boolean))
    slot = (downloads.c.id % SLOTS).label("slot")
    counts = sa.table("download_counts", sa.column("status"), sa.column("slot"), sa.column("n"))
    bind.execute(
        sa.insert(counts).from_select(
            ["status", "slot", "n"],
            sa.select(downloads.c.status, slot, sa.func.count()).group_by(downloads.c.status, slot),
        )
    )
    kind = (sa.case((users.c.blocked, 2), else_=0) + sa.case((users.c.approved, 1), else_=0)).label(
        "kind"
    )
    bind.execute(
        sa.insert(sa.table("user_counts", sa.column("kind"), sa.column("n"))).from_select(
            ["kind", "n"], sa.select(kind, sa.func.count()).group_by(kind)
        )
    )
    day = (downloads.c.completed_time // DAY).label("day")
    counted = sa.and_(
        downloads.c.status.in_(COUNTED), downloads.c.completed_time >= first_day * DAY
    )
    bind.execute(
        sa.insert(
            sa.table(
                "completed_bytes_daily",
                sa.column("user_name"),
                sa.column("day"),
                sa.column("bytes"),
            )
        ).from_select(
            ["user_name", "day", "bytes"],
            sa.select(downloads.c.user_name, day, sa.func.sum(downloads.c.size))
            .where(counted)
            .group_by(downloads.c.user_name, day),
        )
    )
    bind.execute(
        sa.insert(sa.table("heavy_window", sa.column("user_name"), sa.column("bytes"))).from_select(
            ["user_name", "bytes"],
            sa.select(downloads.c.user_name, sa.func.sum(downloads.c.size))
            .where(counted)
            .group_by(downloads.c.user_name),
        )
    )


def downgrade() -> None:
    """Drop the triggers and the counter tables."""
    for statement in _DROPS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("heavy_window_state")
    op.drop_index("ix_heavy_window_bytes", table_name="heavy_window")
    op.drop_table("heavy_window")
    op.drop_table("completed_bytes_daily")
    op.drop_table("user_counts")
    op.drop_table("download_counts")
    op.drop_index("ix_users_approved_name", table_name="users")
    op.drop_index("ix_users_blocked_name", table_name="users")
