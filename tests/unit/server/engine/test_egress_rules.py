"""The egress rules the engine hands smokescreen, and the quota book that decides who starts."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._config import Settings
from bassa_server._db.models import QUEUED, STARTED, Download
from bassa_server._engine._egress import _one_decision, smokescreen_policy
from bassa_server._engine._scheduler import proxy_options
from bassa_server._lifecycle import _transfers as transfers

from .conftest import OWNER, add_download


def test_the_allowed_networks_and_resolver_reach_smokescreen(tmp_path: Path) -> None:
    """Each allowed CIDR becomes an --allow-range; the resolver setting its --resolver-address."""
    settings = Settings.load(
        {"data_dir": tmp_path},
        environ={
            "BASSA_ALLOWED_PRIVATE_NETWORKS": "10.20.0.0/16, 127.0.0.2/32",
            "BASSA_EGRESS_RESOLVER": "127.0.0.1:5353",
        },
    )
    policy = smokescreen_policy(settings)
    assert "--allow-range=10.20.0.0/16" in policy
    assert "--allow-range=127.0.0.2/32" in policy
    assert "--resolver-address=127.0.0.1:5353" in policy
    assert "--unsafe-allow-private-ranges" not in policy


def test_turning_the_refusal_off_lets_every_address_through_the_proxy(tmp_path: Path) -> None:
    """BASSA_BLOCK_PRIVATE_ADDRESSES=false allows every range, loopback included."""
    settings = Settings.load({"data_dir": tmp_path, "block_private_addresses": False}, environ={})
    assert {"--allow-range=0.0.0.0/0", "--allow-range=::/0"} <= set(smokescreen_policy(settings))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BASSA_ALLOWED_PRIVATE_NETWORKS", "10.0.0.0/33"),
        ("BASSA_EGRESS_PROXY", "socks5://127.0.0.1:1080"),
        ("BASSA_EGRESS_RESOLVER", "dns.example.org:53"),
    ],
)
def test_a_bad_egress_setting_stops_the_server_at_start(
    tmp_path: Path, variable: str, value: str
) -> None:
    """An egress setting that cannot work fails when the settings load, naming the variable."""
    with pytest.raises(ValueError, match=variable):
        Settings.load({"data_dir": tmp_path}, environ={variable: value})


def test_every_protocol_of_a_download_goes_through_the_proxy() -> None:
    """The per-download options name the proxy for every protocol and exempt no host."""
    options = proxy_options("http://127.0.0.1:4750")
    assert options["all-proxy"] == options["http-proxy"] == "http://127.0.0.1:4750"
    assert options["https-proxy"] == options["ftp-proxy"] == "http://127.0.0.1:4750"
    assert (options["no-proxy"], options["proxy-method"]) == ("", "tunnel")


def test_a_refusal_in_smokescreens_log_is_counted_and_logged_without_the_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A denied decision counts once and logs host:port only; routine lines are dropped."""
    denied: list[int] = []
    caplog.set_level(logging.INFO, logger="bassa.engine.egress")
    _one_decision(
        '{"msg":"CANONICAL-PROXY-DECISION","allow":false,"requested_host":"10.0.0.1:80",'
        '"decision_reason":"Deny: Private Range","level":"warning"}',
        lambda: denied.append(1),
    )
    _one_decision(
        '{"msg":"CANONICAL-PROXY-DECISION","allow":true,"requested_host":"example.org:443",'
        '"level":"info"}',
        lambda: denied.append(1),
    )
    assert denied == [1]
    assert [r.getMessage() for r in caplog.records] == [
        "egress refused 10.0.0.1:80: Deny: Private Range"
    ]


def test_an_owner_near_the_quota_starts_one_download_of_unknown_size_at_a_time(
    sessions: sessionmaker[Session],
) -> None:
    """Unknown sizes are reserved at the size limit: under a small quota, one at a time."""
    now = int(time.time())
    add_download(sessions, status=QUEUED, added_time=now)
    add_download(sessions, status=QUEUED, added_time=now)
    book = transfers.quota_book(sessions, quota=1_000_000, reserve=10**9, since=now - 60)
    assert book.admits(OWNER)
    book.started(OWNER)
    assert not book.admits(OWNER)
    assert book.over() == []


def test_an_owner_over_the_quota_has_queued_downloads_failed(
    sessions: sessionmaker[Session],
) -> None:
    """Bytes written count when no size is known; at the quota the queued ones fail."""
    now = int(time.time())
    add_download(sessions, status=STARTED, added_time=now, size=0, completed_length=600)
    waiting = add_download(sessions, status=QUEUED, added_time=now)
    book = transfers.quota_book(sessions, quota=500, reserve=10**9, since=now - 60)
    assert book.over() == [OWNER]
    assert transfers.fail_queued(sessions, book.over(), "quota exceeded") == 1
    with sessions() as session:
        row = session.get(Download, waiting)
        assert row is not None
        assert (row.status, row.error) == (4, "quota exceeded")
