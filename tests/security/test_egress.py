"""Server-side request forgery: a link must never make the server fetch from its own network.

The attacks: a link to an allowed ("public") host whose server answers `302` to a loopback
service or to the Bassa server's own `/metrics`, and a name whose DNS answer changes from a
public address at queue time to 127.0.0.1 when the file is fetched (DNS rebinding); then the
same while the egress proxy is killed, and with the proxy as an external sidecar that is down.
The server withstands them because aria2 opens every connection through the egress proxy, which
resolves and checks the destination when it connects, hop by hop; the forbidden service counts
its requests and must count none.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from bassa_server._db.models import Download
from tests.conftest import MakeServer
from tests.file_server import FileServer
from tests.integration.engine.harness import Harness, engine_settings
from tests.integration.server.helpers import make_user, queue_download
from tests.live_server import LiveServer, free_port
from tests.security._egress_support import (
    PUBLIC_HOST,
    RebindingDns,
    guarded_env,
    holds_for,
    http,
    metric,
    servers_on,
    smokescreen_binary,
    start_queue,
    status_of,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.integration

SECRET = b"the inside service's secret\n"


@pytest.fixture(scope="module")
def public_files() -> Iterator[FileServer]:
    """A file server on 127.0.0.2, the stand-in for a public host."""
    yield from servers_on(PUBLIC_HOST)


@pytest.fixture(scope="module")
def inside_files() -> Iterator[FileServer]:
    """A file server on 127.0.0.1 with a secret: the inside no link may reach."""
    for server in servers_on("127.0.0.1"):
        server.add("secret", SECRET)
        yield server


@pytest.fixture(scope="module")
def dns_server() -> Iterator[RebindingDns]:
    """A DNS server on loopback whose answers the tests choose."""
    server = RebindingDns()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def guarded(make_server: MakeServer, dns_server: RebindingDns) -> LiveServer:
    """A server that refuses private addresses but 127.0.0.2, with its queue started."""
    server = make_server(guarded_env(dns_server))
    start_queue(server)
    return server


def test_a_redirect_to_an_inside_service_is_refused_at_the_hop(
    guarded: LiveServer, public_files: FileServer, inside_files: FileServer
) -> None:
    """A public link that redirects to 127.0.0.1 fails (status 4) and 127.0.0.1 sees nothing."""
    before = inside_files.request_count
    link = public_files.redirect("to-inside", f"{inside_files.url}/secret")
    _name, token = make_user(guarded)
    download_id = queue_download(guarded, token, link)

    status = wait_finished(guarded, token, download_id)

    assert status["status"] == 4, status
    assert "egress proxy refused" in status["error"]
    assert inside_files.request_count == before
    fetched = http.get(f"{guarded.url}/api/download/{download_id}", headers={"token": token})
    assert fetched.status_code == 404
    assert SECRET not in fetched.content
    assert metric(guarded, "bassa_egress_denied_total") >= 1


def test_a_redirect_to_the_servers_own_metrics_is_refused(
    guarded: LiveServer, public_files: FileServer
) -> None:
    """A public link that redirects to the Bassa server's own /metrics fails with status 4."""
    link = public_files.redirect("to-metrics", f"{guarded.url}/metrics")
    _name, token = make_user(guarded)
    download_id = queue_download(guarded, token, link)

    status = wait_finished(guarded, token, download_id)

    assert status["status"] == 4, status
    fetched = http.get(f"{guarded.url}/api/download/{download_id}", headers={"token": token})
    assert b"bassa_http_requests_total" not in fetched.content


def test_a_redirect_between_public_hosts_is_followed(
    guarded: LiveServer, public_files: FileServer
) -> None:
    """The hop check is per destination: a redirect that stays on allowed hosts completes."""
    data = os.urandom(20_000)
    target = public_files.add("moved/here.bin", data)
    link = public_files.redirect("moved/from.bin", target)
    _name, token = make_user(guarded)
    download_id = queue_download(guarded, token, link)

    assert wait_finished(guarded, token, download_id)["status"] == 3
    fetched = http.get(f"{guarded.url}/api/download/{download_id}", headers={"token": token})
    assert fetched.content == data


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused(
    guarded: LiveServer, dns_server: RebindingDns, inside_files: FileServer
) -> None:
    """DNS rebinding: public (127.0.0.2) when queued, 127.0.0.1 when fetched → status 4."""
    before = inside_files.request_count
    dns_server.answer("rebind.bassa.test", [PUBLIC_HOST, "127.0.0.1"])
    _name, token = make_user(guarded)
    link = f"http://rebind.bassa.test:{inside_files.port}/secret"
    download_id = queue_download(guarded, token, link)  # the check saw 127.0.0.2

    status = wait_finished(guarded, token, download_id)

    assert status["status"] == 4, status
    assert dns_server.asked("rebind.bassa.test") >= 2  # the proxy asked again, and was lied to
    assert inside_files.request_count == before


def test_a_name_is_resolved_by_the_proxy_when_it_connects(
    guarded: LiveServer, dns_server: RebindingDns, public_files: FileServer
) -> None:
    """A name that keeps resolving to the allowed host is fetched through the proxy's resolver."""
    dns_server.answer("mirror.bassa.test", [PUBLIC_HOST])
    data = os.urandom(10_000)
    public_files.add("mirror/file.bin", data)
    _name, token = make_user(guarded)
    link = f"http://mirror.bassa.test:{public_files.port}/mirror/file.bin"
    download_id = queue_download(guarded, token, link)

    assert wait_finished(guarded, token, download_id)["status"] == 3
    assert dns_server.asked("mirror.bassa.test") >= 2


def test_a_link_to_loopback_is_refused_when_queued(guarded: LiveServer) -> None:
    """The queue-time check still answers 400 at once for a link that is plainly inside."""
    _name, token = make_user(guarded)
    response = http.post(
        f"{guarded.url}/api/download",
        json={"link": "http://127.0.0.1:9/secret"},
        headers={"token": token},
    )
    assert response.status_code == 400
    assert "not allowed" in response.json()["error"]


def test_a_killed_proxy_is_restarted_and_never_bypassed(
    guarded: LiveServer, public_files: FileServer, inside_files: FileServer
) -> None:
    """`kill -9` of smokescreen: it is back within seconds, and meanwhile nothing goes around it."""
    before = inside_files.request_count
    restarts = metric(guarded, "bassa_egress_proxy_restarts_total")
    (old_pid,) = guarded.child_pids("smokescreen")
    _name, token = make_user(guarded)
    data = os.urandom(30_000)
    after_link = public_files.add("after-kill.bin", data)

    os.kill(old_pid, signal.SIGKILL)
    sneaky = queue_download(
        guarded, token, public_files.redirect("during-kill", f"{inside_files.url}/secret")
    )
    (_successor,) = wait_until(
        lambda: [pid for pid in guarded.child_pids("smokescreen") if pid != old_pid],
        what="a new smokescreen",
    )
    wait_until(lambda: http.get(f"{guarded.url}/api/ready").status_code == 200, what="ready")
    honest = queue_download(guarded, token, after_link)

    assert wait_finished(guarded, token, sneaky)["status"] == 4
    assert wait_finished(guarded, token, honest)["status"] == 3
    assert inside_files.request_count == before
    assert http.get(f"{guarded.url}/api/ready").json()["checks"]["egress_proxy"] == "ok"
    assert metric(guarded, "bassa_egress_proxy_restarts_total") == restarts + 1


def test_with_the_external_proxy_down_no_download_starts(
    make_server: MakeServer, public_files: FileServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An external (sidecar) egress proxy that goes away fails closed: the server turns
    unready and fetches nothing; once the sidecar is back, the queued download completes."""
    port, logs = free_port(), tmp_path_factory.mktemp("sidecar")
    sidecar = _sidecar_smokescreen(port, logs)
    try:
        wait_until(lambda: _accepts(port), what="the sidecar to listen")
        server = make_server(
            guarded_env(
                BASSA_EGRESS_PROXY=f"http://127.0.0.1:{port}", BASSA_ENGINE_POLL_SECONDS="0.1"
            )
        )
        start_queue(server)
    finally:
        sidecar.kill()
        sidecar.wait(10)
    data = os.urandom(10_000)
    link = public_files.add("sidecar.bin", data)
    served_before = public_files.request_count
    _name, token = make_user(server)

    wait_until(lambda: http.get(f"{server.url}/api/ready").status_code == 503, what="unready")
    assert http.get(f"{server.url}/api/ready").json()["checks"]["egress_proxy"] != "ok"
    assert metric(server, "bassa_egress_proxy_up") == 0.0
    download_id = queue_download(server, token, link)
    holds_for(lambda: status_of(server, token, download_id)["status"] == 0, seconds=1.0)
    assert public_files.request_count == served_before

    sidecar = _sidecar_smokescreen(port, logs)
    try:
        assert wait_finished(server, token, download_id)["status"] == 3
        assert public_files.request_count > served_before
    finally:
        sidecar.kill()
        sidecar.wait(10)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _sidecar_smokescreen(port: int, log_dir: Path) -> subprocess.Popen[bytes]:
    """smokescreen as a sidecar would run it: on its own, refusing all but the public host."""
    with (log_dir / "smokescreen.log").open("ab") as log:
        return subprocess.Popen(
            [
                smokescreen_binary(),
                "--listen-ip=127.0.0.1",
                f"--listen-port={port}",
                f"--allow-range={PUBLIC_HOST}/32",
                "--statsd-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def test_a_download_aria2_holds_without_the_proxy_options_still_goes_through_it(
    tmp_path: Path,
    public_files: FileServer,
    inside_files: FileServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A transfer in aria2 without the per-download proxy (restored from an older session):
    the managed aria2c's default proxy still checks it, and the engine re-adds it through it."""
    caplog.set_level(logging.WARNING, logger="bassa.engine")
    before = inside_files.request_count
    harness = Harness(
        engine_settings(tmp_path / "data", allowed_private_networks=(f"{PUBLIC_HOST}/32",))
    )
    await harness.engine.start()
    try:
        link = public_files.redirect("from-old-session", f"{inside_files.url}/secret")
        download_id = harness.queue(link)
        gid = "00000000000abcde"
        with harness.sessions() as session:
            session.execute(
                update(Download)
                .where(Download.id == download_id)
                .values(status=1, claimed_by=harness.engine.engine_id, gid=gid, started_time=1)
            )
            session.commit()
        folder = harness.settings.downloads_dir / str(download_id)
        await harness.engine.aria2.rpc.add_uri(link, {"gid": gid, "dir": str(folder)})
        harness.set_queue(True)

        row = await harness.wait_row(download_id, lambda r: r.status == 4)

        assert row.error is not None
        assert "egress proxy refused" in row.error
        assert inside_files.request_count == before
        assert f"{gid} does not use the egress proxy" in caplog.text
    finally:
        await harness.engine.stop()
