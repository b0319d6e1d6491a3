"""The egress proxy every transfer goes through: a supervised smokescreen, or an external one.

A link is checked when it is queued, but aria2 resolves the host again when it connects and
follows redirects on its own, so neither a `302` to `http://127.0.0.1/…` nor a DNS answer that
changes after the check (rebinding) would be caught there. Stripe's smokescreen closes both: aria2
opens every connection (each redirect hop, each retry) as a `CONNECT` through it, and smokescreen
resolves the destination itself and refuses loopback, private, link-local and other non-public
addresses at the moment it connects, unless they are inside `allowed_private_networks`. With
`block_private_addresses` off it lets every address through (a lab, not the internet).

`ManagedEgress` runs smokescreen as a child on a free 127.0.0.1 port, restarts it (on the same
port when it can) when it dies, and counts the destinations it refused from its decision log.
`ExternalEgress` uses one someone else runs (`BASSA_EGRESS_PROXY=http://host:port`, e.g. a
Kubernetes sidecar) and probes it. Both expose `url`: the proxy to hand aria2 with each download,
or None while the proxy is down — and then the engine starts nothing, so no transfer ever runs
without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from bassa_server._config import Settings

log = logging.getLogger("bassa.engine.egress")

READY_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 1.0
PROBE_INTERVAL_SECONDS = 1.0
RESTART_BACKOFF_MAX_SECONDS = 10.0
HEALTHY_RUN_SECONDS = 30.0
CONNECT_TIMEOUT = "10s"
DENY_MESSAGE = "Bassa fetches only from public addresses and the networks its operator allows."
_PR_SET_PDEATHSIG = 1


def egress_for(
    settings: Settings, *, on_restart: Callable[[], None], on_denied: Callable[[], None]
) -> ManagedEgress | ExternalEgress:
    """The egress proxy the settings ask for."""
    if settings.egress_proxy == "managed":
        return ManagedEgress(
            executable=settings.smokescreen_path or default_smokescreen(),
            state_dir=settings.data_dir / "egress",
            arguments=smokescreen_policy(settings),
            on_restart=on_restart,
            on_denied=on_denied,
        )
    return ExternalEgress(settings.egress_proxy)


def default_smokescreen() -> str:
    """smokescreen beside this Python (scripts/setup installs it into the venv), else on PATH."""
    beside = Path(sys.executable).parent / "smokescreen"
    return str(beside) if beside.is_file() else shutil.which("smokescreen") or "smokescreen"


def smokescreen_policy(settings: Settings) -> list[str]:
    """The destination rules (and resolver) a smokescreen for these settings runs with."""
    arguments = [f"--additional-error-message-on-deny={DENY_MESSAGE}"]
    if settings.block_private_addresses:
        arguments += [f"--allow-range={network}" for network in settings.allowed_private_networks]
    else:
        arguments += [
            "--unsafe-allow-private-ranges",
            "--allow-range=0.0.0.0/0",
            "--allow-range=::/0",
        ]
    if settings.egress_resolver:
        arguments.append(f"--resolver-address={settings.egress_resolver}")
    return arguments


class ExternalEgress:
    """A proxy someone else runs (a sidecar), reached at a fixed URL and probed by TCP."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._address = (parts.hostname or "", parts.port or 80)
        self._url = f"http://{parts.netloc}"
        self._up = False
        self._probed = float("-inf")

    @property
    def url(self) -> str | None:
        """The proxy's URL while it answers, else None."""
        return self._url if self._up else None

    @property
    def planned_url(self) -> str:
        """The proxy's URL, up or not."""
        return self._url

    def health(self) -> str:
        """`ok`, or what is wrong."""
        return "ok" if self._up else f"{self._url} does not accept connections"

    async def probe(self) -> None:
        """Check that the proxy accepts connections (called every scheduler pass; it connects
        at most once every PROBE_INTERVAL_SECONDS)."""
        now = time.monotonic()
        if now - self._probed < PROBE_INTERVAL_SECONDS:
            return
        self._probed = now
        self._up = await _accepts(*self._address)

    async def start(self) -> None:
        """Nothing to start: probe it, so the first pass knows whether it may start downloads."""
        await self.probe()
        if not self._up:
            log.warning("egress proxy %s does not accept connections yet", self._url)

    async def stop(self) -> None:
        """Nothing to stop: the external proxy outlives this server."""


class ManagedEgress:
    """A smokescreen child process on loopback, restarted whenever it dies."""

    def __init__(
        self,
        *,
        executable: str,
        state_dir: Path,
        arguments: list[str],
        on_restart: Callable[[], None] = lambda: None,
        on_denied: Callable[[], None] = lambda: None,
    ) -> None:
        self._executable = executable
        self._state_dir = state_dir
        self._policy = arguments
        self._on_restart = on_restart
        self._on_denied = on_denied
        self._port = 0
        self._process: asyncio.subprocess.Process | None = None
        self._ready = False
        self._supervisor: asyncio.Task[None] | None = None
        self._forwarder: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def url(self) -> str | None:
        """The proxy's URL while smokescreen runs and listens, else None."""
        running = self._process is not None and self._process.returncode is None
        return f"http://127.0.0.1:{self._port}" if running and self._ready else None

    @property
    def planned_url(self) -> str:
        """Where the proxy listens, or will once it is (re)started."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        """The running smokescreen's process id."""
        return self._process.pid if self._process else None

    @property
    def _port_file(self) -> Path:
        return self._state_dir / "smokescreen.port"

    def health(self) -> str:
        """`ok`, or what is wrong."""
        return "ok" if self.url else "smokescreen is not running (restarting)"

    async def probe(self) -> None:
        """Nothing to probe: the supervisor sees the process exit."""

    async def start(self) -> None:
        """Start smokescreen and wait until it listens; then watch it.

        It listens on the port it had before when that is free, so the downloads aria2 restores
        from its session find their proxy where they left it.
        """
        self._stopping = False
        self._state_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError, ValueError):
            self._port = int(self._port_file.read_text(encoding="ascii"))
        await self._launch()
        self._supervisor = asyncio.create_task(self._supervise(), name="smokescreen-supervisor")

    async def stop(self) -> None:
        """Stop watching, then stop smokescreen (killed if it hangs)."""
        self._stopping = True
        if self._supervisor:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                async with asyncio.timeout(STOP_TIMEOUT_SECONDS):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._forwarder:
            await self._forwarder

    async def _launch(self) -> None:
        """Start smokescreen, on its previous port when free (downloads in aria2 keep working)."""
        ports = [self._port] if self._port else []
        for port in [*ports, _free_loopback_port(), _free_loopback_port()]:
            self._ready = False
            try:
                self._process = await asyncio.create_subprocess_exec(
                    self._executable,
                    "--listen-ip=127.0.0.1",
                    f"--listen-port={port}",
                    f"--timeout={CONNECT_TIMEOUT}",
                    "--statsd-address=",  # no metrics over UDP to a statsd nobody runs
                    *self._policy,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
            except FileNotFoundError:
                raise RuntimeError(
                    f"smokescreen not found ({self._executable!r}): scripts/setup installs it;"
                    " or set BASSA_SMOKESCREEN_PATH, or BASSA_EGRESS_PROXY=http://host:port"
                ) from None
            assert self._process.stdout is not None
            self._forwarder = asyncio.create_task(
                _forward_decisions(self._process.stdout, self._on_denied)
            )
            if await self._wait_ready(self._process, port):
                self._port, self._ready = port, True
                self._port_file.write_text(f"{port}\n", encoding="ascii")
                log.info("smokescreen %s listening on 127.0.0.1:%d", self._process.pid, port)
                return
        raise RuntimeError(f"smokescreen ({self._executable}) did not start; see the log above")

    async def _wait_ready(self, process: asyncio.subprocess.Process, port: int) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and process.returncode is None:
            # not just "something accepts": on a shared host another program may have taken the
            # port between choosing it and smokescreen binding it
            if await _answers_as_proxy("127.0.0.1", port):
                return process.returncode is None
            await asyncio.sleep(0.02)
        if process.returncode is None:
            process.kill()
            await process.wait()
        return False

    async def _supervise(self) -> None:
        backoff = 0.2
        while not self._stopping:
            assert self._process is not None
            started = time.monotonic()
            code = await self._process.wait()
            self._ready = False
            if self._stopping:
                return
            log.warning("smokescreen exited with %s; downloads wait until it is back", code)
            self._on_restart()
            if time.monotonic() - started > HEALTHY_RUN_SECONDS:
                backoff = 0.2
            else:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RESTART_BACKOFF_MAX_SECONDS)
            try:
                await self._launch()
            except (RuntimeError, OSError):
                log.exception("smokescreen restart failed; trying again")


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the server dies, even by `kill -9` (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def _accepts(host: str, port: int) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def _answers_as_proxy(host: str, port: int) -> bool:
    """Whether a proxy listens there: goproxy (smokescreen's core) answers a plain request
    with "This is a proxy server…", without a decision (so no refusal is logged or counted)."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: bassa-probe\r\nConnection: close\r\n\r\n")
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            answer = await reader.read(1024)
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return b"proxy server" in answer


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _forward_decisions(stream: asyncio.StreamReader, on_denied: Callable[[], None]) -> None:
    """Read smokescreen's JSON log until it exits: count and log refusals, drop the routine."""
    pending = b""
    while chunk := await stream.read(65536):
        *lines, pending = (pending + chunk).split(b"\n")
        pending = pending[-65536:]
        for line in lines:
            _one_decision(line.decode("utf-8", "replace").strip(), on_denied)


def _one_decision(text: str, on_denied: Callable[[], None]) -> None:
    if not text:
        return
    try:
        entry = json.loads(text)
    except ValueError:
        log.debug("smokescreen: %s", text)
        return
    if not isinstance(entry, dict):
        return
    if entry.get("msg") == "CANONICAL-PROXY-DECISION" and entry.get("allow") is False:
        on_denied()
        # the host and port only: never a path or query string, which may carry secrets
        log.warning(
            "egress refused %s: %s",
            entry.get("requested_host", "?"),
            entry.get("decision_reason", "denied"),
        )
    elif entry.get("level") in {"warning", "error", "fatal", "panic"}:
        log.warning("smokescreen: %s", entry.get("msg", text))
