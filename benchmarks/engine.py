"""Benchmark the engine and file serving against baselines measured in the same run.

1. Download: a sparse 1 GiB file from nginx on a free loopback port, fetched by `aria2c` run
   directly (with the engine's transfer options) vs queued through a real Bassa server
   (`POST /api/download` -> the status endpoint says completed; the queue already started, the
   server on its defaults). Goal: Bassa / aria2c <= 1.10.
2. Serving: that completed file fetched with curl through `GET /api/download/{id}` vs from nginx
   (same file, same client). Goal: Bassa / nginx throughput >= 0.8.

Runs alternate; medians are compared. nginx comes from `./scripts/setup server,dev bench` (the
Debian `nginx` package); without it python's http.server stands in, a far slower baseline that
makes the serving ratio meaningless (the output names the baseline it used).

    ./scripts/setup server,dev bench
    .venv/bin/python benchmarks/engine.py [--size BYTES] [--runs N] [--tmp /dev/shm]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

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


ADMIN_PASSWORD = "benchmark-admin-password"
SERVER_KEY = "benchmark-server-key"


@contextlib.contextmanager
def bassa_server(data_dir: Path) -> Iterator[str]:
    """A real Bassa server (with its managed aria2c) on a free loopback port; yield its URL."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BASSA_")},
        "BASSA_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BASSA_SERVER_KEY": SERVER_KEY,
        "BASSA_BLOCK_PRIVATE_ADDRESSES": "0",
        "BASSA_MIN_FREE_BYTES": "0",
        "BASSA_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "bassa_server", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/api/ready", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the Bassa server did not become ready")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(30)


class BassaClient:
    """The admin's session on the benchmark server."""

    def __init__(self, url: str) -> None:
        self.url = url
        login = httpx.post(
            f"{url}/api/login", data={"user_name": "admin", "password": ADMIN_PASSWORD}
        )
        login.raise_for_status()
        self.token = login.headers["token"]
        httpx.get(f"{url}/api/download/start", headers={"key": SERVER_KEY}).raise_for_status()

    def download(self, link: str) -> tuple[float, int]:
        """Seconds from queueing `link` to the status endpoint saying completed; and the id."""
        headers = {"token": self.token}
        with httpx.Client(base_url=self.url, headers=headers) as client:
            started = time.perf_counter()
            queued = client.post("/api/download", json={"link": link})
            queued.raise_for_status()
            download_id = int(queued.json()["id"])
            while True:
                status = client.get(f"/api/download/{download_id}/status").json()
                if status["status"] == 3:
                    return time.perf_counter() - started, download_id
                if status["status"] not in {0, 1}:
                    raise RuntimeError(f"download failed: {status}")
                time.sleep(0.02)  # faster polling would steal CPU from the transfer


def curl_seconds(url: str, headers: dict[str, str] | None = None) -> float:
    """Seconds curl takes to fetch `url` into /dev/null."""
    command = ["curl", "-sS", "-f", "-o", "/dev/null", "-w", "%{time_total}"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    answer = subprocess.run([*command, url], check=True, capture_output=True, text=True)
    return float(answer.stdout)


def alternate(
    runs: int, first: Callable[[], float], second: Callable[[], float]
) -> tuple[list[float], list[float]]:
    """Time `first` and `second` alternately `runs` times each."""
    a, b = [], []
    for _ in range(runs):
        a.append(first())
        b.append(second())
    return a, b


def report(label: str, size_mib: float, times: list[float]) -> float:
    """Print one series and return its median."""
    median = statistics.median(times)
    figures = ", ".join(f"{run:.2f}" for run in times)
    print(f"  {label}: median {median:.3f} s ({size_mib / median:.0f} MiB/s); runs {figures}")
    return median


def main() -> None:
    """Measure, print both comparisons and their ratios."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=GIB, help="bytes (default 1 GiB)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tmp", default=None, help="work folder (e.g. /dev/shm: no disk in it)")
    options = parser.parse_args()
    size_mib = options.size / 1024**2
    with tempfile.TemporaryDirectory(prefix="bassa-bench-", dir=options.tmp) as temp:
        root = Path(temp)
        (root / "www").mkdir()
        with (root / "www" / "file.bin").open("wb") as source:
            source.truncate(options.size)  # sparse: no disk space, same bytes for both
        with (
            static_server(root, root / "nginx") as (static, server_name),
            bassa_server(root / "bassa") as bassa_url,
        ):
            bassa = BassaClient(bassa_url)
            link = f"{static}/www/file.bin"
            completed: list[int] = []

            def through_bassa() -> float:
                for earlier in completed:  # keep the disk use to one copy
                    shutil.rmtree(root / "bassa" / "downloads" / str(earlier), ignore_errors=True)
                seconds, download_id = bassa.download(link)
                completed[:] = [download_id]
                return seconds

            direct, queued = alternate(
                options.runs, lambda: aria2c_direct(link, root / "direct"), through_bassa
            )
            print(f"download: {size_mib:.0f} MiB sparse file from {server_name} on loopback")
            direct_median = report("aria2c direct          ", size_mib, direct)
            bassa_median = report("Bassa queue->completed", size_mib, queued)
            print(f"  ratio Bassa / aria2c = {bassa_median / direct_median:.3f} (goal <= 1.10)")

            download_id = completed[0]
            api = f"{bassa_url}/api/download/{download_id}"
            static_file = f"{static}/bassa/downloads/{download_id}/file.bin"
            token = {"token": bassa.token}
            from_api, from_static = alternate(
                options.runs, lambda: curl_seconds(api, token), lambda: curl_seconds(static_file)
            )
            print(f"serving: the completed {size_mib:.0f} MiB file, fetched with curl")
            static_median = report(f"{server_name:<22}", size_mib, from_static)
            api_median = report("Bassa GET /api/download", size_mib, from_api)
            ratio = static_median / api_median
            print(f"  throughput Bassa / {server_name} = {ratio:.3f} (goal >= 0.8)")


if __name__ == "__main__":
    main()
