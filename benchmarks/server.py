"""Benchmark the reference server against a minimal ASGI app on the same machine, in one run.

For login, the caller's own page 1 and the first page of completed downloads (in a 100-row and a
100 000-row table), own page 1 of 32 users taking turns (each of wrk's threads speaks for its own
share of them, so the requests in flight are for different pages), what clients poll (one
download's status, the queue's) and add download, at 1, 4 and 32
connections, wrk measures requests/s and p50/p99 latency of the real server and of a bare ASGI app
(same uvicorn settings) that answers the same bytes. Then, on the same servers: a login storm (32
connections logging in) while 4 other connections read a list page, whose p99 must stay within
50 ms; and two more rounds of the c=32 list load, after which each server's resident memory must
be within 1.2x of what it held after the first round. Goals printed below the tables: page 1 at
100 000 rows within 1.5x of page 1 at 100 rows; the authenticated list at c=32 with p99 <= 50 ms
and time per request within 3x of the baseline.

`--database URL` (repeatable; `sqlite` for the default file) runs the same scenario on each
database in one run, with a fresh database per server (a given URL's database is used by the
100-row server and `<database>_large` by the 100 000-row one: both must exist and be empty),
and closes with a comparison (every database's servers run at once and each measurement runs on
each database in turn, so the ratios compare the same minutes of a shared machine): each shared
database's list pages at c=32 against SQLite's in the same run (goal >= 0.5x), p99 <= 50 ms,
throughput flat or rising from c=4 to c=32, c=1 p50 <= 3 ms.
`tests/databases.py` can start throwaway servers: `--database postgresql` or `--database mariadb`
does that (`--database mariadb+mysqldb`: the same server through mysqlclient). `--env NAME=VALUE`
passes a setting to every Bassa server (e.g. BASSA_DB_POOL_SIZE=8); `--quick` measures only the
list pages, without the baseline app.

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
from dataclasses import dataclass, replace
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
CONCURRENCY = (1, 4, 32)
COMPLETED_SMALL = f"completed p1 ({SMALL} rows)"
COMPLETED_LARGE = f"completed p1 ({LARGE} rows)"
OWN_LARGE = f"own p1 ({LARGE} rows)"
STATUS, QUEUE = "download status", "queue status"
USER, PASSWORD = "bench", "bench-password-1"
# the users taking turns, with OWN_ROWS downloads each
USERS, OWN_ROWS = 32, 100
OWN_USERS = f"own p1, {USERS} users"
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


ROTATE = """
local tokens = {TOKENS}
local threads = 0
function setup(thread)
  thread:set("first", threads)
  threads = threads + 1
end
local sent = 0
function request()
  local index = (first + THREADS * sent) % #tokens
  sent = sent + 1
  wrk.headers["token"] = tokens[index + 1]
  return wrk.format()
end
"""


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked request."""

    name: str
    method: str
    path: str
    body: str = ""
    content_type: str = ""
    token: bool = False
    # the token argument holds several users' tokens, separated by spaces, taken in turn
    rotate: bool = False


@dataclass(frozen=True)
class Result:
    """One wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def seed(server: LiveServer, rows: int, user: str = USER, first_gid: int = 0) -> str:
    """Add `user` and `rows` completed downloads of theirs (aria2 gids from `first_gid` on);
    return a session token."""
    admin = httpx.post(
        f"{server.url}/api/login",
        data={"user_name": server.admin_user, "password": server.admin_password},
    ).headers["token"]
    body = {"user_name": user, "password": PASSWORD, "auth": 1, "email": f"{user}@example.org"}
    httpx.post(f"{server.url}/api/user", json=body, headers={"token": admin}).raise_for_status()
    now = int(time.time())
    engine = make_engine(server.database)
    values = [
        {
            "link": f"https://example.org/{user}/f{i}.bin",
            "user_name": user,
            "download_name": f"f{i}.bin",
            "added_time": now - rows + i,
            "status": 3,
            "rating": 0,
            "gid": f"{first_gid + i:016x}",
            "completed_time": now - rows + i,
            "size": 1000 + i,
            "path": f"f{i}.bin",
            "completed_length": 1000 + i,
            "download_speed": 0,
        }
        for i in range(rows)
    ]
    try:
        # a transaction a thousand rows: on PostgreSQL many single-row inserts in one
        # transaction update the same kept counter rows over and over (revision 0009)
        for start in range(0, rows, 1000):
            with engine.begin() as connection:
                connection.execute(insert(Download), values[start : start + 1000])
    finally:
        engine.dispose()
    response = httpx.post(f"{server.url}/api/login", data={"user_name": user, "password": PASSWORD})
    return response.headers["token"]


def _wrk_command(
    url: str, endpoint: Endpoint, token: str, connections: int, seconds: int
) -> tuple[list[str], Path]:
    """The wrk command line for one run and the Lua script it reads (delete it afterwards)."""
    headers = {}
    if endpoint.token and not endpoint.rotate:
        headers["token"] = token
    if endpoint.content_type:
        headers["Content-Type"] = endpoint.content_type
    script = "\n".join(
        [f"wrk.method = {json.dumps(endpoint.method)}", f"wrk.body = {json.dumps(endpoint.body)}"]
        + [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    )
    threads = min(connections, 2)
    if endpoint.rotate:  # thread k of n takes tokens k, k + n, k + 2n...
        tokens = ", ".join(json.dumps(t) for t in token.split())
        script += ROTATE.replace("TOKENS", tokens).replace("THREADS", str(threads))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    return [*command, "-s", handle.name, url + endpoint.path], Path(handle.name)


def wrk(url: str, endpoint: Endpoint, token: str, connections: int, seconds: int) -> Result:
    """Run wrk against `url` + the endpoint's path and parse its summary."""
    command, script = _wrk_command(url, endpoint, token, connections, seconds)
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        script.unlink()
    return _parse(output)


def _parse(output: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"timeout (\d+)", output)
    return Result(
        rps=rps,
        p50_ms=_latency(output, "50%"),
        p99_ms=_latency(output, "99%"),
        errors=(int(non_2xx.group(1)) if non_2xx else 0)
        + (int(timeouts.group(1)) if timeouts else 0),
    )


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def rss_mib(server: LiveServer) -> float:
    """The server process's resident memory in MiB."""
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert found, status
    return int(found.group(1)) / 1024


@dataclass
class Outcome:
    """What one database's scenario measured."""

    rows: list[tuple[str, int, Result, Result | None]]
    login_c4: Result
    storm_list: Result
    storm_login: Result
    rss: dict[str, list[float]]  # server -> MiB after each of three rounds


def main() -> None:
    """Run every measurement and print the tables and the goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    parser.add_argument(
        "--database",
        action="append",
        help="sqlite, postgresql, mariadb[+driver] (throwaway servers) or a database URL; "
        "repeatable",
    )
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=VALUE for every Bassa server; repeatable"
    )
    parser.add_argument(
        "--quick", action="store_true", help="only the list pages, without the baseline app"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk, or scripts/setup)")
    databases = args.database or [SQLITE]
    extra_env = dict(item.split("=", 1) for item in args.env)
    started: dict[str, DatabaseServer] = {}
    scenarios: dict[str, Scenario] = {}
    outcomes: dict[str, Outcome] = {}
    try:
        for database in databases:
            urls = ("", "")
            kind, _, driver = database.partition("+")
            if kind in ALL_DATABASES and kind != SQLITE:
                if kind not in started:
                    started[kind] = start_database_server(kind)
                urls = (started[kind].new_database(), started[kind].new_database())
                if driver:  # e.g. mariadb+mysqldb: the same server through another driver
                    urls = (_with_driver(urls[0], driver), _with_driver(urls[1], driver))
            elif database != SQLITE:
                urls = (
                    database,
                    database.replace("?", "_large?", 1) if "?" in database else database + "_large",
                )
            scenarios[database] = Scenario(urls, extra_env, seconds=args.seconds, quick=args.quick)
            scenarios[database].start()
        steps = len(next(iter(scenarios.values())).plan)
        for connections in CONCURRENCY:
            for step in range(steps):
                for scenario in scenarios.values():
                    scenario.measure(connections, step)
        for database, scenario in scenarios.items():
            print(f"== {database}", flush=True)
            outcomes[database] = scenario.finish()
    finally:
        for scenario in scenarios.values():
            scenario.stop()
        for server in started.values():
            server.stop()
    if len(outcomes) > 1:
        compare(outcomes)


def _with_driver(url: str, driver: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+')[0]}+{driver}://{rest}"


class Scenario:
    """The servers and measurements of one database (`urls`: the small and the large server's;
    "" for SQLite). Every database's scenario starts first; then each measurement runs on every
    database in turn, so the ratios between databases compare the same minutes of a shared
    machine."""

    def __init__(
        self, urls: tuple[str, str], extra_env: dict[str, str], *, seconds: int, quick: bool
    ) -> None:
        self.seconds = seconds
        self.work = Path(tempfile.mkdtemp(prefix="bassa-bench-"))
        quiet = {
            "BASSA_ENGINE": "0",
            "BASSA_QUOTA_BYTES": str(10**18),
            # the login storm stands for many clients: one address is not to be throttled
            "BASSA_LOGIN_FREE_FAILURES": "1000000",
            "BASSA_LOGIN_CLIENT_FREE_FAILURES": "1000000",
            **extra_env,
        }
        self.servers = {
            name: LiveServer(data_dir=self.work / name, extra_env=quiet, database_url=url)
            for name, url in zip(("small", "large"), urls, strict=True)
        }
        self.tokens: dict[str, str] = {}
        self.login = Endpoint(
            "login",
            "POST",
            "/api/login",
            f"user_name={USER}&password={PASSWORD}",
            "application/x-www-form-urlencoded",
        )
        self.lists = [
            ("small", Endpoint(COMPLETED_SMALL, "GET", "/api/downloads/1", token=True)),
            ("large", Endpoint(COMPLETED_LARGE, "GET", "/api/downloads/1", token=True)),
            ("large", Endpoint(OWN_LARGE, "GET", "/api/user/downloads/1", token=True)),
            ("large", Endpoint(OWN_USERS, "GET", "/api/user/downloads/1", token=True, rotate=True)),
        ]
        add = Endpoint(
            "add download",
            "POST",
            "/api/download",
            json.dumps({"link": "https://example.org/b.bin"}),
            "application/json",
            token=True,
        )
        # what clients poll: one download's progress (its id known once seeded) and the queue
        self.polled = [
            ("small", Endpoint(STATUS, "GET", "/api/download/{id}/status", token=True)),
            ("small", Endpoint(QUEUE, "GET", "/api/queue", token=True)),
        ]
        self.plan = (
            self.lists
            if quick
            else [("small", self.login), *self.lists, *self.polled, ("small", add)]
        )
        self.quick = quick
        self.baseline: subprocess.Popen[bytes] | None = None
        self.baseline_url = ""
        self.rows: list[tuple[str, int, Result, Result | None]] = []

    def start(self) -> None:
        """Start and seed both servers, and the baseline app unless quick."""
        for server in self.servers.values():
            server.start()
        self.tokens = {
            "small": seed(self.servers["small"], SMALL),
            "large": seed(self.servers["large"], LARGE),
            OWN_USERS: " ".join(
                seed(self.servers["large"], OWN_ROWS, f"user{n}", LARGE + n * OWN_ROWS)
                for n in range(USERS)
            ),
        }
        small = self.servers["small"]
        first = httpx.get(
            f"{small.url}/api/user/downloads/1", headers={"token": self.tokens["small"]}
        ).json()[0]["id"]
        self.plan = [
            (kind, replace(endpoint, path=endpoint.path.format(id=first)))
            for kind, endpoint in self.plan
        ]
        if not self.quick:
            responses = _responses(self.plan, self.servers, self.tokens)
            self.baseline, self.baseline_url = start_baseline(responses, self.work)

    def measure(self, connections: int, step: int) -> None:
        """One planned request at `connections`, on the server and the baseline."""
        kind, endpoint = self.plan[step]
        url, seconds = self.servers[kind].url, self.seconds
        token = self.tokens[endpoint.name if endpoint.rotate else kind]
        wrk(url, endpoint, token, connections, 1)  # warm up
        ours = wrk(url, endpoint, token, connections, seconds)
        base = None
        if self.baseline is not None:
            wrk(self.baseline_url, endpoint, token, connections, 1)
            base = wrk(self.baseline_url, endpoint, token, connections, seconds)
        self.rows.append((endpoint.name, connections, ours, base))

    def finish(self) -> Outcome:
        """The table, then login at c=4, the login storm and the memory rounds."""
        report(self.rows)
        servers, tokens, seconds = self.servers, self.tokens, self.seconds
        small = servers["small"]
        rss = {name: [rss_mib(server)] for name, server in servers.items()}
        login_c4 = wrk(small.url, self.login, "", 4, seconds)
        storm_login, storm_list = login_storm(
            small, self.login, self.lists[0][1], tokens["small"], seconds
        )
        print(
            f"login c=4: {login_c4.rps:.0f} req/s, p50 {login_c4.p50_ms:.1f} ms, "
            f"p99 {login_c4.p99_ms:.1f} ms\n"
            f"login storm (32 connections logging in, {storm_login.rps:.0f} logins/s, "
            f"p99 {storm_login.p99_ms:.0f} ms): list c=4 beside it {storm_list.rps:.0f} req/s, "
            f"p50 {storm_list.p50_ms:.2f} ms, p99 {storm_list.p99_ms:.2f} ms "
            f"{'met' if storm_list.p99_ms <= 50 else 'MISSED'} (goal <= 50 ms)",
            flush=True,
        )
        for _ in range(2):  # rounds two and three of the list load at c=32
            for kind, endpoint in self.lists:
                token = tokens[endpoint.name if endpoint.rotate else kind]
                wrk(servers[kind].url, endpoint, token, 32, seconds)
            for name, server in servers.items():
                rss[name].append(rss_mib(server))
        for name, values in rss.items():
            growth = values[-1] / values[0]
            print(
                f"RSS {name} server after rounds 1/2/3: "
                + " / ".join(f"{value:.0f}" for value in values)
                + f" MiB: {growth:.2f}x {'met' if growth <= 1.2 else 'MISSED'} (goal <= 1.2x)",
                flush=True,
            )
        return Outcome(self.rows, login_c4, storm_list, storm_login, rss)

    def stop(self) -> None:
        """Stop the servers and the baseline; remove the work folder."""
        if self.baseline is not None:
            self.baseline.terminate()
            self.baseline.wait()
        for server in self.servers.values():
            server.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def _responses(
    plan: list[tuple[str, Endpoint]], servers: dict[str, LiveServer], tokens: dict[str, str]
) -> dict[str, tuple[int, str, dict[str, str]]]:
    """What the real servers answer to each planned request (the baseline answers the same)."""
    # one path, two table sizes: the baseline serves the large page's bytes for both
    responses: dict[str, tuple[int, str, dict[str, str]]] = {}
    for kind, endpoint in plan:
        if endpoint.rotate:  # the same path as another planned request
            continue
        headers = {"content-type": endpoint.content_type} if endpoint.content_type else {}
        if endpoint.token:
            headers["token"] = tokens[kind]
        real = httpx.request(
            endpoint.method,
            servers[kind].url + endpoint.path,
            content=endpoint.body or None,
            headers=headers,
        )
        real.raise_for_status()
        keep = {k: v for k, v in real.headers.items() if k in ("content-type", "token")}
        responses[f"{endpoint.method} {endpoint.path}"] = (real.status_code, real.text, keep)
    return responses


def login_storm(
    server: LiveServer, login: Endpoint, listing: Endpoint, token: str, seconds: int
) -> tuple[Result, Result]:
    """32 connections logging in while 4 others read `listing`: both wrk summaries."""
    command, script = _wrk_command(server.url, login, "", 32, seconds + 2)
    storm = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1)  # the storm is under way before the list is measured
        beside = wrk(server.url, listing, token, 4, seconds)
        output, _ = storm.communicate(timeout=seconds + 60)
    finally:
        if storm.poll() is None:
            storm.kill()
            storm.wait()
        script.unlink()
    return _parse(output), beside


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


def report(rows: list[tuple[str, int, Result, Result | None]]) -> None:
    """Print one database's table and the goals against the baseline app."""
    print(
        f"{'endpoint':<28} {'c':>3} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'base req/s':>10} {'base p99':>8} {'time/req vs base':>16} {'non-2xx':>7}"
    )
    for name, connections, ours, base in rows:
        against = (
            f"{base.rps:>10.0f} {base.p99_ms:>8.2f} {base.rps / ours.rps:>15.2f}x"
            if base is not None
            else f"{'-':>10} {'-':>8} {'-':>16}"
        )
        print(
            f"{name:<28} {connections:>3} {ours.rps:>9.0f} {ours.p50_ms:>8.2f} "
            f"{ours.p99_ms:>8.2f} {against} {ours.errors:>7}"
        )
    by = {(name, c): ours for name, c, ours, _ in rows}
    bases = {(name, c): base for name, c, _, base in rows}
    print()
    for c in (1, 32):
        ratio = by[(COMPLETED_SMALL, c)].rps / by[(COMPLETED_LARGE, c)].rps
        print(
            f"goal: page 1 at {LARGE} rows within 1.5x of {SMALL} rows (c={c}): {ratio:.2f}x "
            f"{'met' if ratio <= 1.5 else 'MISSED'}"
        )
    p99 = by[(COMPLETED_LARGE, 32)].p99_ms
    verdict = "met" if p99 <= 50 else "MISSED"
    print(f"goal: authenticated list c=32 p99 <= 50 ms: {p99:.1f} ms {verdict}")
    base = bases[(COMPLETED_LARGE, 32)]
    if base is not None:
        ratio = base.rps / by[(COMPLETED_LARGE, 32)].rps
        print(
            f"goal: authenticated list c=32 within 3x of the baseline: {ratio:.2f}x "
            f"{'met' if ratio <= 3 else 'MISSED'}"
        )
    print(flush=True)


def compare(outcomes: dict[str, Outcome]) -> None:
    """Each database's list pages against the first one's (SQLite) in this run, and the goals."""
    reference_name = next(iter(outcomes))
    reference = {(name, c): ours for name, c, ours, _ in outcomes[reference_name].rows}
    print(f"== every database against {reference_name}, same run")
    print(
        f"{'database':<12} {'endpoint':<28} {'c':>3} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'vs ' + reference_name:>10}"
    )
    for database, outcome in outcomes.items():
        by = {(name, c): ours for name, c, ours, _ in outcome.rows}
        for (name, c), ours in by.items():
            ratio = ours.rps / reference[(name, c)].rps
            print(
                f"{database:<12} {name:<28} {c:>3} {ours.rps:>8.0f} {ours.p50_ms:>7.2f} "
                f"{ours.p99_ms:>7.2f} {ratio:>9.2f}x"
            )
    print()
    for database, outcome in list(outcomes.items())[1:]:
        by = {(name, c): ours for name, c, ours, _ in outcome.rows}
        for page in (COMPLETED_LARGE, OWN_LARGE, OWN_USERS):
            at32, at4, at1 = by[(page, 32)], by[(page, 4)], by[(page, 1)]
            ratio = at32.rps / reference[(page, 32)].rps
            print(
                f"goal {database} {page}: c=32 {ratio:.2f}x {reference_name} "
                f"{_verdict(ratio >= 0.5)}; p99 {at32.p99_ms:.1f} ms "
                f"{_verdict(at32.p99_ms <= 50)}; "
                f"c=4 -> c=32 {at4.rps:.0f} -> {at32.rps:.0f} req/s "
                f"{_verdict(at32.rps >= 0.95 * at4.rps)}; c=1 p50 {at1.p50_ms:.2f} ms "
                f"{_verdict(at1.p50_ms <= 3)}"
            )
        growth = max(values[-1] / values[0] for values in outcome.rss.values())
        print(
            f"goal {database}: login storm list p99 {outcome.storm_list.p99_ms:.1f} ms "
            f"{_verdict(outcome.storm_list.p99_ms <= 50)}; login c=4 p99 "
            f"{outcome.login_c4.p99_ms:.0f} ms; RSS growth {growth:.2f}x {_verdict(growth <= 1.2)}"
        )


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    main()
