"""Which database URLs get their prepared reads on the event loop, and which keep them in worker
threads (where the URL's own driver honours options the asynchronous one would drop)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from bassa_server._async_reads import AsyncReads


@pytest.mark.parametrize(
    ("url", "on_the_event_loop"),
    [
        ("postgresql+psycopg://bassa@db/bassa", True),
        ("postgresql+psycopg://bassa@db/bassa?sslmode=verify-full", True),
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
    """PostgreSQL through psycopg (libpq reads every URL option) and plain-TCP MariaDB/MySQL read
    on the event loop; a MySQL URL with TLS or socket options, and SQLite, do not."""
    assert AsyncReads.supports(make_url(url)) is on_the_event_loop
