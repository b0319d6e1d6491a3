"""SDK benchmarks: overhead of the facade, async concurrency, limiter accuracy, streaming memory.

Starts a Bassa server and a file server on loopback (as scripts/demo does), then prints figures
and ratios measured in this one run against the same server:

1. per-call p50 of the same GET through raw httpx, the bare generated client and `Bassa`
   (goal: facade <= 1.15x raw httpx);
2. throughput with 64 calls in flight: raw `httpx.AsyncClient` vs `AsyncBassa` (goal >= 0.85x);
3. the limiter at 50 req/s for 10 s from 8 threads (goal: within +-2 %, never above the burst);
4. streaming a 1 GiB file: peak RSS growth of the fetching process (goal < 64 MiB).

Usage: .venv/bin/python benchmarks/sdk.py [--calls 2000] [--stream-mib 1024]  (0 skips streaming)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bassa_sdk import AsyncBassa, Bassa, RateLimit
from bassa_sdk._generated import AuthenticatedClient
from bassa_sdk._generated.api.downloads import list_own_downloads

PY = sys.executable


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def servers(work: Path) -> Iterator[tuple[str, str, str, str, str]]:
    """A Bassa server and a file server; yields (url, files_url, admin, password, key)."""
    port, files_port = free_port(), free_port()
    password, key = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    env = {**os.environ, "BASSA_ADMIN_USER": "admin", "BASSA_ADMIN_PASSWORD": password}
    env["BASSA_SERVER_KEY"] = key
    env["BASSA_BLOCK_PRIVATE_ADDRESSES"] = "0"  # the big file is served from loopback
    (work / "files").mkdir()
    (work / "data").mkdir()
    log = (work / "server.log").open("wb")
    procs = [
        subprocess.Popen(
            [
                PY,
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
                str(work / "files"),
                str(files_port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                PY,
                "-m",
                "bassa_server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(work / "data"),
            ],
            env=env,
            stdout=log,
            stderr=log,
        ),
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/api/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server not ready; see " + str(work / "server.log"))
            time.sleep(0.2)
        yield url, f"http://127.0.0.1:{files_port}", "admin", password, key
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        log.close()


def bench_overhead(url: str, token: str, calls: int) -> None:
    """Same GET three ways, interleaved in rounds so drift hits all alike."""
    raw = httpx.Client(base_url=url, headers={"token": token}, timeout=30)
    generated = AuthenticatedClient(
        base_url=url, token=token, prefix="", auth_header_name="token", timeout=httpx.Timeout(30)
    )
    facade = Bassa(url, token=token, env={})
    ways: dict[str, Callable[[], object]] = {
        "raw httpx": lambda: raw.get("/api/user/downloads/1").json(),
        "generated": lambda: list_own_downloads.sync_detailed(page=1, client=generated),
        "Bassa": lambda: facade.downloads.list(1),
    }
    samples: dict[str, list[float]] = {name: [] for name in ways}
    for fn in ways.values():
        for _ in range(50):
            fn()
    # one call of each way in turn, so load changes on a shared machine hit all three alike
    for _ in range(calls):
        for name, fn in ways.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    p50 = {name: statistics.median(values) * 1e6 for name, values in samples.items()}
    print("1. per-call p50, GET /api/user/downloads/1")
    for name, value in p50.items():
        print(f"   {name:10} {value:8.0f} us   {value / p50['raw httpx']:.3f}x raw httpx")
    raw.close()
    facade.close()


async def _throughput(send: Callable[[], object], total: int, in_flight: int) -> float:
    semaphore = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with semaphore:
            await send()  # type: ignore[misc]

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(total)))
    return total / (time.perf_counter() - start)


def bench_async(url: str, token: str, total: int) -> None:
    """64 calls in flight: raw httpx.AsyncClient vs AsyncBassa."""

    async def run() -> tuple[float, float]:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(
            base_url=url, headers={"token": token}, timeout=30, limits=limits
        ) as raw:
            http = httpx.AsyncClient(limits=limits)
            async with AsyncBassa(url, token=token, env={}, http_client=http) as facade:
                await _throughput(lambda: raw.get("/api/user/downloads/1"), 200, 64)
                await _throughput(lambda: facade.downloads.list(1), 200, 64)
                raw_rates, sdk_rates = [], []
                for _ in range(3):
                    raw_rates.append(
                        await _throughput(lambda: raw.get("/api/user/downloads/1"), total, 64)
                    )
                    sdk_rates.append(await _throughput(lambda: facade.downloads.list(1), total, 64))
            await http.aclose()
        return statistics.median(raw_rates), statistics.median(sdk_rates)

    raw_rate, sdk_rate = asyncio.run(run())
    print("2. 64 calls in flight")
    print(f"   raw httpx.AsyncClient {raw_rate:8.0f} req/s")
    print(f"   AsyncBassa            {sdk_rate:8.0f} req/s   {sdk_rate / raw_rate:.3f}x raw")


def bench_limiter(
    url: str, token: str, rate: float = 50, burst: int = 5, seconds: float = 10
) -> None:
    """8 threads share one Bassa limited to `rate`; count what reached the server."""
    sent: list[float] = []
    lock = threading.Lock()
    http = httpx.Client(event_hooks={"request": [lambda request: _stamp(sent, lock)]})
    client = Bassa(url, token=token, env={}, rate_limit=RateLimit(rate, burst), http_client=http)
    stop = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < stop:
            client.downloads.list(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent.sort()
    span = sent[-1] - sent[0]
    achieved = (len(sent) - burst) / span
    worst = 0
    start = 0
    for end, moment in enumerate(sent):
        while moment - sent[start] >= 1.0:
            start += 1
        worst = max(worst, end - start + 1)
    print(f"3. limiter {rate:.0f} req/s, burst {burst}, 8 threads, {seconds:.0f} s")
    error = (achieved / rate - 1) * 100
    print(f"   {len(sent)} requests, steady rate {achieved:.2f} req/s ({error:+.2f} %)")
    print(f"   busiest 1 s window: {worst} requests (bound: rate + burst = {rate + burst:.0f})")
    client.close()


def _stamp(sent: list[float], lock: threading.Lock) -> None:
    with lock:
        sent.append(time.monotonic())


def rss_kib() -> int:
    """The current resident set size, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def stream_child(url: str, token: str, download_id: int, out: str) -> None:
    """(In a fresh process) fetch one file and print the peak RSS growth in MiB."""
    import resource

    client = Bassa(url, token=token, env={})
    client.session.token  # noqa: B018 (import and build everything before the baseline)
    baseline = rss_kib()
    start = time.perf_counter()
    fetched = client.files.download(download_id, out)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{fetched.size} {elapsed:.3f} {(peak - baseline) / 1024:.1f}")


def bench_stream(url: str, files_url: str, work: Path, admin: Bassa, mib: int) -> None:
    """Queue a `mib` MiB file, let the engine fetch it, then stream it through the SDK."""
    with (work / "files" / "big.bin").open("wb") as big:
        big.truncate(mib * 1024 * 1024)
    created = admin.downloads.add(f"{files_url}/big.bin")
    assert isinstance(created.id, int)
    admin.downloads.wait(created.id, timeout=900, poll_interval=0.5)
    token = admin.session.token or ""
    out = work / "big.fetched"
    child = subprocess.run(
        [PY, __file__, "--stream-child", url, token, str(created.id), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    size, elapsed, growth = child.stdout.split()
    print(f"4. streaming a {mib} MiB file")
    mebibytes, seconds = int(size) / 2**20, float(elapsed)
    print(f"   {mebibytes:.0f} MiB in {seconds:.1f} s ({mebibytes / seconds:.0f} MiB/s)")
    print(f"   peak RSS growth {float(growth):.1f} MiB (goal < 64 MiB)")
    out.unlink()


def main() -> None:
    """Run the four benchmarks against one fresh server."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--stream-mib", type=int, default=1024)
    parser.add_argument("--stream-child", nargs=4)
    args = parser.parse_args()
    if args.stream_child:
        url, token, download_id, out = args.stream_child
        stream_child(url, token, int(download_id), out)
        return
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers(Path(tmp)) as (url, files_url, user, password, key),
        Bassa(url, server_key=key, env={}) as admin,
    ):
        admin.session.login(user, password)
        admin.queue.start()
        token = admin.session.token or ""
        bench_overhead(url, token, args.calls)
        bench_async(url, token, args.calls)
        bench_limiter(url, token)
        if args.stream_mib:
            bench_stream(url, files_url, Path(tmp), admin, args.stream_mib)


if __name__ == "__main__":
    main()
