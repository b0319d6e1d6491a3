"""Which database URLs get their prepared reads on the event loop, and which keep them in worker
threads (where the URL's own driver honours options the asynchronous one would not)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from bassa_server._async_reads import AsyncReads


@pytest.mark.parametrize(
    ("url", "on_the_event_loop"),
    [
        ("postgresql+psycopg://bassa@db/bassa", True),
        ("postgresql+psycopg://bassa@db/bassa?sslmode=verify-full", True),
        ("postgresql+psycopg://bassa@db/bassa?options=-csearch_path%3Dbassa", False),
        ("postgresql+psycopg2://bassa@db/bassa", False),
        ("mysql+pymysql://bassa:secret@db/bassa?charset=utf8mb4", True),
        ("mysql+mysqldb://bassa:secret@db/bassa", True),
        ("mysql+pymysql://bassa:secret@db/bassa?ssl_ca=/etc/ca.pem", False),
        ("mysql+pymysql://bassa@localhost/bassa?unix_socket=/run/mysqld.sock", False),
        ("sqlite:///bassa.db", False),
    ],
)
def test_only_urls_whose_options_the_async_drivers_honour_read_on_the_loop(
    url: str, on_the_event_loop: bool
) -> None:
    """PostgreSQL with at most the TLS options asyncpg reads as libpq does, and plain-TCP
    MariaDB/MySQL, read on the event loop; a URL with other options (asyncpg would send them as
    server settings, asyncmy would drop them), and SQLite, do not."""
    assert AsyncReads.supports(make_url(url)) is on_the_event_loop
