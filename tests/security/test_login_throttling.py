"""Password guessing: failed logins slow down the client that makes them, and only that client.

300 wrong passwords at 37/s met no slowdown. Each test guesses from its own loopback address
(127.0.0.2 and up), so the clients are as distinct to the server as hosts on a network; the
server throttles with its defaults (5 free failures per account and client, 30 per client, then
a wait of 1 s that doubles with each further failure).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import MakeServer
from tests.integration.server.helpers import PASSWORD, conforms, make_user, unique
from tests.live_server import LiveServer
from tests.security._http_support import shared_server, wait_until

pytestmark = pytest.mark.integration
FREE_PER_ACCOUNT = 5
FREE_PER_CLIENT = 30
THROTTLED = {"error": "too many failed logins, try again later"}


@pytest.fixture(scope="module")
def server(make_server: MakeServer) -> LiveServer:
    """The security tests' shared server."""
    return shared_server(make_server)


@pytest.fixture
def client_at() -> Iterator[dict[str, httpx.Client]]:
    """HTTP clients by loopback source address, closed after the test."""
    clients: dict[str, httpx.Client] = {}
    yield clients
    for client in clients.values():
        client.close()


def login_from(
    clients: dict[str, httpx.Client], address: str, server: LiveServer, user: str, password: str
) -> httpx.Response:
    """A login attempt from the loopback address `address`; the answer is the documented one."""
    if address not in clients:
        transport = httpx.HTTPTransport(local_address=address)
        clients[address] = httpx.Client(transport=transport, timeout=30.0)
    response = clients[address].post(
        f"{server.url}/api/login", data={"user_name": user, "password": password}
    )
    conforms(response, "login")
    return response


def test_wrong_passwords_from_one_client_wait_longer_and_longer(
    server: LiveServer, client_at: dict[str, httpx.Client]
) -> None:
    """After the free failures a client must wait before its next try, even with the right
    password, and each further failure doubles the wait."""
    victim, _ = make_user(server)
    attacker = "127.0.0.2"
    for _ in range(FREE_PER_ACCOUNT + 1):
        assert login_from(client_at, attacker, server, victim, "wrong").status_code == 403
    for password in ("wrong", PASSWORD):
        refused = login_from(client_at, attacker, server, victim, password)
        assert (refused.status_code, refused.json()) == (429, THROTTLED)
        assert refused.headers["retry-after"] == "1"
    wait_until(
        lambda: login_from(client_at, attacker, server, victim, "wrong").status_code != 429,
        timeout=10.0,
    )
    refused = login_from(client_at, attacker, server, victim, "wrong")
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "2")


def test_the_owner_signs_in_from_another_client_during_an_attack(
    server: LiveServer, client_at: dict[str, httpx.Client]
) -> None:
    """While one client is throttled for an account, its owner signs in from elsewhere at once."""
    victim, _ = make_user(server)
    for _ in range(FREE_PER_ACCOUNT + 2):
        login_from(client_at, "127.0.0.3", server, victim, "wrong")
    assert login_from(client_at, "127.0.0.3", server, victim, PASSWORD).status_code == 429
    owner = login_from(client_at, "127.0.0.4", server, victim, PASSWORD)
    assert owner.status_code == 200
    assert owner.headers["token"]


def test_spraying_many_accounts_from_one_client_is_slowed(
    server: LiveServer, client_at: dict[str, httpx.Client]
) -> None:
    """One client guessing over many accounts is throttled for every account, while another
    client's failures are still answered normally."""
    sprayer = "127.0.0.5"
    for _ in range(FREE_PER_CLIENT + 1):
        assert login_from(client_at, sprayer, server, unique("ghost"), "guess").status_code == 403
    refused = login_from(client_at, sprayer, server, unique("ghost"), "guess")
    assert (refused.status_code, refused.json()) == (429, THROTTLED)
    assert login_from(client_at, "127.0.0.6", server, unique("ghost"), "guess").status_code == 403


def test_parallel_guesses_do_not_slip_past_the_count(
    server: LiveServer, client_at: dict[str, httpx.Client]
) -> None:
    """Forty guesses sent at once get about the free failures' worth of answers; the rest are
    refused unchecked."""
    victim, _ = make_user(server)
    address = "127.0.0.7"
    login_from(client_at, address, server, victim, PASSWORD)  # connect once, outside the burst

    def guess(_: int) -> int:
        return login_from(client_at, address, server, victim, "wrong").status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = Counter(pool.map(guess, range(40)))
    assert set(statuses) == {403, 429}
    assert statuses[403] <= FREE_PER_ACCOUNT + 3  # the lock may lapse once on a slow machine


def test_login_results_are_counted_in_metrics(
    server: LiveServer, client_at: dict[str, httpx.Client]
) -> None:
    """/metrics counts successful, failed and throttled logins."""
    victim, _ = make_user(server)
    for _ in range(FREE_PER_ACCOUNT + 2):
        login_from(client_at, "127.0.0.8", server, victim, "wrong")
    text = httpx.get(f"{server.url}/metrics").text
    results = {
        sample.labels["result"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "bassa_login_attempts"
        for sample in family.samples
        if sample.name == "bassa_login_attempts_total"
    }
    assert results["failure"] >= FREE_PER_ACCOUNT + 1
    assert results["throttled"] >= 1
    assert results["success"] >= 1
