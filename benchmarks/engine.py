"""Benchmark: a 1 GiB download through Bassa's engine vs aria2c run directly, same source.

Both fetch one sparse 1 GiB file from nginx on a free loopback port (python's http.server when
nginx is missing). The baseline is `aria2c` on the command line with the engine's own transfer
options; "Bassa" is queue -> completed: the time from inserting the queued row (and waking the
engine, as the API does) until the row says completed, with the engine already running on its
defaults. Runs alternate; the ratio of medians is printed (goal: <= 1.10).

    .venv/bin/python benchmarks/engine.py [--size BYTES] [--runs N] [--tmp /dev/shm]
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
from sqlalchemy import update

from bassa_server._config import Settings
from bassa_server._db import migrate
from bassa_server._db.engine import make_engine, make_session_factory
from bassa_server._db.models import COMPLETED, QUEUE_RUNNING, Download, QueueState, User
from bassa_server._engine import Engine

GIB = 1024**3
NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def static_server(root: Path, prefix: Path) -> Iterator[tuple[str, str]]:
    """Serve `root` on loopback with nginx (or http.server); yield (base URL, server name)."""
    port = free_port()
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx:
        prefix.mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, root=root))
        command = [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        name = "nginx"
    else:
        command = [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "-b",
            "127.0.0.1",
            "-d",
            str(root),
        ]
        name = "python http.server"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", name
    finally:
        process.terminate()
        process.wait(10)


def aria2c_direct(url: str, target: Path) -> float:
    """Seconds for aria2c alone to fetch `url` into `target`."""
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [
            "aria2c",
            "--quiet=true",
            "--file-allocation=none",
            "--continue=true",
            "--follow-torrent=false",
            f"--dir={target}",
            "--out=direct.bin",
            url,
        ],
        check=True,
    )
    elapsed = time.perf_counter() - started
    shutil.rmtree(target, ignore_errors=True)
    return elapsed


class BassaRun:
    """A running engine on a fresh data folder, with its defaults."""

    def __init__(self, data_dir: Path) -> None:
        self.settings = Settings.load({"data_dir": data_dir, "min_free_bytes": 0}, environ={})
        database = make_engine(self.settings.database_url)
        migrate.upgrade(database)
        self.sessions = make_session_factory(database)
        with self.sessions() as session:
            session.add(User(user_name="bench", password_hash="-", email="b@example.org"))
            session.execute(update(QueueState).values(state=QUEUE_RUNNING))
            session.commit()
        self.engine = Engine(self.settings, self.sessions, CollectorRegistry())

    async def download(self, url: str) -> float:
        """Seconds from queueing `url` to its row saying completed."""
        started = time.perf_counter()
        with self.sessions() as session:
            row = Download(link=url, user_name="bench", added_time=int(time.time()))
            session.add(row)
            session.commit()
            download_id = row.id
        self.engine.wake()
        while True:
            with self.sessions() as session:
                found = session.get(Download, download_id)
                assert found is not None
                if found.status == COMPLETED:
                    elapsed = time.perf_counter() - started
                    (self.settings.downloads_dir / (found.path or "")).unlink()
                    return elapsed
                if found.status not in {0, 1}:
                    raise RuntimeError(f"download failed: {found.error}")
            await asyncio.sleep(0.005)


async def main() -> None:
    """Measure and print both medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=GIB, help="bytes (default 1 GiB)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--tmp", default=None, help="work folder (e.g. /dev/shm to leave the disk out of it)"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bassa-bench-", dir=options.tmp) as temp:
        root = Path(temp)
        (root / "www").mkdir()
        with (root / "www" / "file.bin").open("wb") as source:
            source.truncate(options.size)  # sparse: no disk space, same bytes for both
        with static_server(root / "www", root / "nginx") as (base, server_name):
            url = f"{base}/file.bin"
            bassa = BassaRun(root / "bassa")
            await bassa.engine.start()
            direct_times, bassa_times = [], []
            try:
                for _ in range(options.runs):
                    direct_times.append(await asyncio.to_thread(aria2c_direct, url, root / "d"))
                    bassa_times.append(await bassa.download(url))
            finally:
                await bassa.engine.stop()
    size_mib = options.size / 1024**2
    direct, through = statistics.median(direct_times), statistics.median(bassa_times)
    print(f"source: {size_mib:.0f} MiB sparse file from {server_name} on loopback")
    for label, median, runs in (
        ("aria2c direct", direct, direct_times),
        ("Bassa queue->completed", through, bassa_times),
    ):
        figures = ", ".join(f"{run:.2f}" for run in runs)
        print(f"{label}: median {median:.3f} s ({size_mib / median:.0f} MiB/s); runs {figures}")
    print(f"ratio Bassa / aria2c = {through / direct:.3f}  (goal <= 1.10)")


if __name__ == "__main__":
    asyncio.run(main())
