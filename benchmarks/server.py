"""Benchmark the reference server against a minimal ASGI app on the same machine, in one run.

For login, the first page of completed downloads (in a 100-row and a 100 000-row table) and add
download, at 1 and 32 connections, wrk measures requests/s and p50/p99 latency of the real server
and of a bare ASGI app (same uvicorn settings) that answers the same bytes. Goals printed below the
table: page 1 at 100 000 rows within 1.5x of page 1 at 100 rows; the authenticated list at c=32
with p99 <= 50 ms and time per request within 3x of the baseline.

`--database URL` (repeatable; `sqlite` for the default file) runs the same scenario on each
database in one run, with a fresh database per server (a given URL's database is used by the
100-row server and `<database>_large` by the 100 000-row one: both must exist and be empty),
and adds c=4 so a fall in throughput from 4 to 32 connections shows. `tests/databases.py` can
start throwaway servers: `--database postgresql` or `--database mariadb` does that.

Usage: .venv/bin/python benchmarks/server.py [--seconds 5] [--database sqlite --database postgresql]
Needs wrk (Debian package `wrk`, installed by scripts/setup). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bassa_server._db.engine import make_engine  # noqa: E402
from bassa_server._db.models import Download  # noqa: E402
from tests.databases import (  # noqa: E402
    ALL_DATABASES,
    SQLITE,
    DatabaseServer,
    start_database_server,
)
from tests.live_server import LiveServer, free_port  # noqa: E402

SMALL, LARGE = 100, 100_000
USER, PASSWORD = "bench", "bench-password-1"
BASELINE_APP = textwrap.dedent(
    """
    import json
    ROUTES = {tuple(k.split(" ", 1)): (s, v.encode(), h) for k, (s, v, h) in
              json.load(open(ROUTES_FILE)).items()}

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        status, body, headers = ROUTES[(scope["method"], scope["path"])]
        raw = [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
    """
)


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked request."""

    name: str
    method: str
    path: str
    body: str = ""
    content_type: str = ""
    token: bool = False


@dataclass(frozen=True)
class Result:
    """One wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def seed(server: LiveServer, rows: int) -> str:
    """Add the bench user and `rows` completed downloads; return a session token."""
    admin = httpx.post(
        f"{server.url}/api/login",
        data={"user_name": server.admin_user, "password": server.admin_password},
    ).headers["token"]
    body = {"user_name": USER, "password": PASSWORD, "auth": 1, "email": "bench@example.org"}
    httpx.post(f"{server.url}/api/user", json=body, headers={"token": admin}).raise_for_status()
    now = int(time.time())
    engine = make_engine(server.database)
    values = [
        {
            "link": f"https://example.org/f{i}.bin",
            "user_name": USER,
            "download_name": f"f{i}.bin",
            "added_time": now - rows + i,
            "status": 3,
            "rating": 0,
            "gid": f"{i:016x}",
            "completed_time": now - rows + i,
            "size": 1000 + i,
            "path": f"f{i}.bin",
            "completed_length": 1000 + i,
            "download_speed": 0,
        }
        for i in range(rows)
    ]
    try:
        with engine.begin() as connection:
            for start in range(0, rows, 5000):
                connection.execute(insert(Download), values[start : start + 5000])
    finally:
        engine.dispose()
    response = httpx.post(f"{server.url}/api/login", data={"user_name": USER, "password": PASSWORD})
    return response.headers["token"]


def wrk(url: str, endpoint: Endpoint, token: str, connections: int, seconds: int) -> Result:
    """Run wrk against `url` + the endpoint's path and parse its summary."""
    headers = {}
    if endpoint.token:
        headers["token"] = token
    if endpoint.content_type:
        headers["Content-Type"] = endpoint.content_type
    script = "\n".join(
        [f"wrk.method = {json.dumps(endpoint.method)}", f"wrk.body = {json.dumps(endpoint.body)}"]
        + [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
        + [
            "errors = 0",
            "response = function(status, headers, body)",
            "  if status >= 300 then errors = errors + 1 end",
            "end",
        ]
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    threads = min(connections, 2)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    output = subprocess.run(
        [*command, "-s", handle.name, url + endpoint.path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(handle.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Result(
        rps=rps,
        p50_ms=_latency(output, "50%"),
        p99_ms=_latency(output, "99%"),
        errors=int(non_2xx.group(1)) if non_2xx else 0,
    )


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> None:
    """Run every measurement and print the table and the goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    parser.add_argument(
        "--database",
        action="append",
        help="sqlite, postgresql, mariadb (throwaway servers) or a database URL; repeatable",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk, or scripts/setup)")
    databases = args.database or [SQLITE]
    concurrency = (1, 32) if databases == [SQLITE] else (1, 4, 32)
    started: dict[str, DatabaseServer] = {}
    try:
        for database in databases:
            urls = ("", "")
            if database in ALL_DATABASES and database != SQLITE:
                if database not in started:
                    started[database] = start_database_server(database)
                urls = (started[database].new_database(), started[database].new_database())
            elif database != SQLITE:
                urls = (
                    database,
                    database.replace("?", "_large?", 1) if "?" in database else database + "_large",
                )
            print(f"== {database}", flush=True)
            run_scenario(args.seconds, urls, concurrency)
    finally:
        for server in started.values():
            server.stop()


def run_scenario(seconds: int, urls: tuple[str, str], concurrency: tuple[int, ...]) -> None:
    """The measurements on one database (`urls`: the small and the large server's; "" SQLite)."""
    work = Path(tempfile.mkdtemp(prefix="bassa-bench-"))
    quiet = {"BASSA_ENGINE": "0", "BASSA_QUOTA_BYTES": str(10**18)}
    small = LiveServer(data_dir=work / "small", extra_env=quiet, database_url=urls[0])
    large = LiveServer(data_dir=work / "large", extra_env=quiet, database_url=urls[1])
    baseline: subprocess.Popen[bytes] | None = None
    try:
        small.start()
        large.start()
        tokens = {"small": seed(small, SMALL), "large": seed(large, LARGE)}
        login_body = f"user_name={USER}&password={PASSWORD}"
        plan = [
            (
                small,
                "small",
                Endpoint(
                    "login", "POST", "/api/login", login_body, "application/x-www-form-urlencoded"
                ),
            ),
            (
                small,
                "small",
                Endpoint(f"completed p1 ({SMALL} rows)", "GET", "/api/downloads/1", token=True),
            ),
            (
                large,
                "large",
                Endpoint(f"completed p1 ({LARGE} rows)", "GET", "/api/downloads/1", token=True),
            ),
            (
                small,
                "small",
                Endpoint(
                    "add download",
                    "POST",
                    "/api/download",
                    json.dumps({"link": "https://example.org/b.bin"}),
                    "application/json",
                    token=True,
                ),
            ),
        ]
        # the baseline answers each path with the exact bytes the server gives
        responses: dict[str, tuple[int, str, dict[str, str]]] = {}
        for server, kind, endpoint in plan:
            headers = {"content-type": endpoint.content_type} if endpoint.content_type else {}
            if endpoint.token:
                headers["token"] = tokens[kind]
            real = httpx.request(
                endpoint.method,
                server.url + endpoint.path,
                content=endpoint.body or None,
                headers=headers,
            )
            real.raise_for_status()
            keep = {k: v for k, v in real.headers.items() if k in ("content-type", "token")}
            responses[f"{endpoint.method} {endpoint.path}"] = (real.status_code, real.text, keep)
        # one path, two table sizes: the baseline serves the large page's bytes for both
        baseline, baseline_url = start_baseline(responses, work)
        rows = []
        for connections in concurrency:
            for server, kind, endpoint in plan:
                for url in (server.url, baseline_url):  # warm both up
                    wrk(url, endpoint, tokens[kind], connections, 1)
                ours = wrk(server.url, endpoint, tokens[kind], connections, seconds)
                base = wrk(baseline_url, endpoint, tokens[kind], connections, seconds)
                rows.append((endpoint.name, connections, ours, base))
        report(rows)
    finally:
        if baseline is not None:
            baseline.terminate()
            baseline.wait()
        small.stop()
        large.stop()
        shutil.rmtree(work, ignore_errors=True)


def start_baseline(
    responses: dict[str, tuple[int, str, dict[str, str]]], work: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the baseline app serving `responses` (keyed "METHOD /path")."""
    app_dir = work / "baseline"
    app_dir.mkdir()
    (app_dir / "routes.json").write_text(json.dumps(responses))
    (app_dir / "baseline_app.py").write_text(
        f"ROUTES_FILE = {str(app_dir / 'routes.json')!r}\n" + BASELINE_APP
    )
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "baseline_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=app_dir,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.post(url + "/api/login")
            return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the baseline app did not start")


def report(rows: list[tuple[str, int, Result, Result]]) -> None:
    """Print the table and the goals."""
    print(
        f"{'endpoint':<28} {'c':>3} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'base req/s':>10} {'base p99':>8} {'time/req vs base':>16} {'non-2xx':>7}"
    )
    for name, connections, ours, base in rows:
        print(
            f"{name:<28} {connections:>3} {ours.rps:>9.0f} {ours.p50_ms:>8.2f} "
            f"{ours.p99_ms:>8.2f} {base.rps:>10.0f} {base.p99_ms:>8.2f} "
            f"{base.rps / ours.rps:>15.2f}x {ours.errors:>7}"
        )
    by = {(name, c): ours for name, c, ours, _ in rows}
    bases = {(name, c): base for name, c, _, base in rows}
    small, large = f"completed p1 ({SMALL} rows)", f"completed p1 ({LARGE} rows)"
    print()
    for c in (1, 32):
        ratio = by[(small, c)].rps / by[(large, c)].rps
        print(
            f"goal: page 1 at {LARGE} rows within 1.5x of {SMALL} rows (c={c}): {ratio:.2f}x "
            f"{'met' if ratio <= 1.5 else 'MISSED'}"
        )
    p99 = by[(large, 32)].p99_ms
    verdict = "met" if p99 <= 50 else "MISSED"
    print(f"goal: authenticated list c=32 p99 <= 50 ms: {p99:.1f} ms {verdict}")
    ratio = bases[(large, 32)].rps / by[(large, 32)].rps
    print(
        f"goal: authenticated list c=32 within 3x of the baseline: {ratio:.2f}x "
        f"{'met' if ratio <= 3 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
