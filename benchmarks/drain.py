"""Benchmark how fast the engine drains a queue of tiny downloads, against aria2c alone.

N tiny files (1 KiB each, 1,000 by default) are served by nginx (or python's http.server when
nginx is missing) on 127.0.0.2, the stand-in for a public host. In the same run:

1. aria2c alone fetches them with `aria2c -j SLOTS -i list` (no proxy, no database);
2. a real engine (managed aria2c, the managed egress proxy every download goes through, the
   scheduler, a SQLite database in a temporary folder) drains the same N links queued as rows,
   with `max_concurrent_downloads = SLOTS`: the clock runs from starting the queue until every
   row is completed.

The two alternate `--runs` times (3 by default; a fresh database each engine run) and the
medians are compared: on a shared machine a single pair swings widely. Goal: engine / aria2c
<= 2.0 at 16 slots. The egress proxy stays on, as on a real server: the
benchmark only lets 127.0.0.2 through it (`allowed_private_networks`), as tests do for their
loopback file servers.

    .venv/bin/python benchmarks/drain.py [--count 1000] [--slots 16] [--runs 3] [--tmp /dev/shm]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry
from sqlalchemy import func, insert, select

from bassa_server._config import Settings
from bassa_server._db import migrate
from bassa_server._db.engine import make_engine, make_session_factory
from bassa_server._db.models import COMPLETED, ERROR, QUEUE_RUNNING, Download, User
from bassa_server._engine import DownloadEngine
from bassa_server._lifecycle._transfers import set_queue_state

HOST = "127.0.0.2"
FILE_BYTES = 1024
DRAIN_TIMEOUT_SECONDS = 1800.0
NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen {host}:{port};
        root {root};
    }}
}}
"""


def free_port(host: str) -> int:
    """A free TCP port on `host`."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def static_server(root: Path, prefix: Path) -> Iterator[tuple[str, str]]:
    """Serve `root` on 127.0.0.2 with nginx (or http.server); yield (base URL, server name)."""
    port = free_port(HOST)
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx:
        prefix.mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=prefix, host=HOST, port=port, root=root))
        command = [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        name = "nginx"
    else:
        command = [sys.executable, "-m", "http.server", "-b", HOST, "-d", str(root), str(port)]
        name = "python http.server"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.2):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{name} did not start on {HOST}:{port}")
        yield f"http://{HOST}:{port}", name
    finally:
        process.terminate()
        process.wait(10)


def aria2c_alone(links: list[str], slots: int, work: Path) -> float:
    """Seconds for `aria2c -j slots -i list` to fetch every link."""
    target = work / "aria2c"
    shutil.rmtree(target, ignore_errors=True)
    listing = work / "links.txt"
    listing.write_text("".join(f"{link}\n" for link in links))
    started = time.perf_counter()
    subprocess.run(
        [
            "aria2c",
            "--quiet=true",
            "--file-allocation=none",
            "--follow-torrent=false",
            f"--max-concurrent-downloads={slots}",
            f"--dir={target}",
            f"--input-file={listing}",
        ],
        check=True,
    )
    elapsed = time.perf_counter() - started
    fetched = sum(1 for _ in target.iterdir())
    if fetched != len(links):
        raise RuntimeError(f"aria2c fetched {fetched} of {len(links)} files")
    shutil.rmtree(target, ignore_errors=True)
    return elapsed


async def engine_drain(links: list[str], slots: int, data_dir: Path) -> float:
    """Seconds for a real engine to complete every link, from starting the queue."""
    settings = Settings.load(
        {
            "data_dir": data_dir,
            "max_concurrent_downloads": slots,
            "min_free_bytes": 0,
            "allowed_private_networks": (f"{HOST}/32",),
        },
        environ={},
    )
    database = make_engine(settings.database_url)
    migrate.upgrade(database)
    sessions = make_session_factory(database)
    now = int(time.time())
    with sessions() as session:
        session.add(User(user_name="bench", password_hash="-", email="bench@example.org"))
        session.flush()
        session.execute(
            insert(Download),
            [{"link": link, "user_name": "bench", "added_time": now} for link in links],
        )
        session.commit()
    engine = DownloadEngine(settings, sessions, CollectorRegistry())
    await engine.start()
    try:
        started = time.perf_counter()
        with sessions() as session:
            set_queue_state(session, QUEUE_RUNNING, now)
            session.commit()
        engine.wake()
        deadline = started + DRAIN_TIMEOUT_SECONDS
        while time.perf_counter() < deadline:
            with sessions() as session:
                done = session.scalar(
                    select(func.count()).where(Download.status.in_((COMPLETED, ERROR)))
                )
            if done == len(links):
                break
            await asyncio.sleep(0.02)
        else:
            raise RuntimeError(f"the engine did not drain {len(links)} downloads in time")
        elapsed = time.perf_counter() - started
        with sessions() as session:
            failed = session.scalar(select(func.count()).where(Download.status == ERROR))
        if failed:
            raise RuntimeError(f"{failed} download(s) failed")
        return elapsed
    finally:
        await engine.stop()
        database.dispose()


def main() -> None:
    """Parse options, run both drains, print the figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="tiny downloads (1000)")
    parser.add_argument("--slots", type=int, default=16, help="concurrent downloads (16)")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs of each (3)")
    parser.add_argument("--tmp", type=Path, default=None, help="where to put the files")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bassa-drain-", dir=options.tmp) as raw:
        work = Path(raw)
        files = work / "files"
        files.mkdir()
        payload = bytes(range(256)) * (FILE_BYTES // 256)
        for index in range(options.count):
            (files / f"f{index:05d}.bin").write_bytes(payload)
        with static_server(files, work / "nginx") as (base, server_name):
            links = [f"{base}/f{index:05d}.bin" for index in range(options.count)]
            print(f"{options.count} files of {FILE_BYTES} bytes from {server_name} on {HOST}")
            alone_runs: list[float] = []
            engine_runs: list[float] = []
            for run in range(options.runs):
                alone_runs.append(aria2c_alone(links, options.slots, work))
                engine_runs.append(
                    asyncio.run(engine_drain(links, options.slots, work / f"bassa{run}"))
                )
                print(
                    f"run {run + 1}: aria2c -j {options.slots} -i list {alone_runs[-1]:7.2f} s,"
                    f" engine at {options.slots} slots {engine_runs[-1]:7.2f} s"
                )
            alone = statistics.median(alone_runs)
            drained = statistics.median(engine_runs)
            print(f"medians: aria2c {alone:.2f} s, engine {drained:.2f} s")
            ratio = drained / alone
            verdict = "ok" if ratio <= 2.0 else "over the goal"
            print(f"engine / aria2c: {ratio:.2f}x (goal <= 2.0: {verdict})")


if __name__ == "__main__":
    main()
