"""Run and supervise the server's own aria2c, or connect to an external aria2.

The managed aria2c listens on a free 127.0.0.1 port with a random RPC secret (in a 0600 config
file, so it never shows in the process list), downloads into the downloads folder, and keeps a
session file and control files in the data folder so that a `kill -9` of aria2c loses at most a
second of bookkeeping: the next aria2c reloads the session (paused, until the engine has checked
which of those downloads are still its own) and resumes partial files. If aria2c
dies it is restarted (counted, with backoff when it keeps dying). `--stop-with-process` and a pid
file make sure an aria2c orphaned by a killed server never runs beside its successor.

For containers, `ExternalAria2` uses an aria2 reached by URL and secret (a sidecar) instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

from ._rpc import Aria2Rpc, Aria2Unavailable

log = logging.getLogger("bassa.engine.aria2")

READY_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0
RESTART_BACKOFF_MAX_SECONDS = 10.0
# A process that ran this long was healthy: its death does not grow the backoff.
HEALTHY_RUN_SECONDS = 30.0


class ExternalAria2:
    """An aria2 someone else runs (e.g. a Kubernetes sidecar), reached by URL and secret."""

    def __init__(self, url: str, secret: str) -> None:
        self.rpc = Aria2Rpc(url, secret)

    async def start(self) -> None:
        """Nothing to start; the scheduler reports aria2 down until it answers."""

    async def stop(self) -> None:
        """Nothing to stop: the external aria2 outlives this server."""


class ManagedAria2:
    """An aria2c child process on loopback, restarted whenever it dies."""

    def __init__(
        self,
        *,
        executable: str,
        downloads_dir: Path,
        state_dir: Path,
        max_concurrent_downloads: int,
        proxy: Callable[[], str] | None = None,
        on_restart: Callable[[], None] = lambda: None,
    ) -> None:
        self._executable = executable
        self._proxy = proxy
        self._downloads_dir = downloads_dir
        self._state_dir = state_dir
        self._max_concurrent = max_concurrent_downloads
        self._on_restart = on_restart
        self._secret = secrets.token_hex(24)
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._forwarder: asyncio.Task[None] | None = None
        self.rpc = Aria2Rpc("http://127.0.0.1:1/jsonrpc", self._secret)

    @property
    def session_file(self) -> Path:
        """Where aria2c saves unfinished downloads (and reloads them from on start)."""
        return self._state_dir / "aria2.session"

    @property
    def pid(self) -> int | None:
        """The running aria2c's process id (tests kill it to prove recovery)."""
        return self._process.pid if self._process else None

    async def start(self) -> None:
        """Start aria2c and wait until it answers RPC; then watch it."""
        self._state_dir.mkdir(parents=True, exist_ok=True)
        self._downloads_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self._stop_orphan)
        self._stopping = False
        await self._launch()
        self._supervisor = asyncio.create_task(self._supervise(), name="aria2c-supervisor")

    async def stop(self) -> None:
        """Stop watching, then let aria2c save its session and exit (killed if it hangs)."""
        self._stopping = True
        if self._supervisor:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        process = self._process
        if process is None or process.returncode is not None:
            return
        # SIGTERM: aria2c saves its session and control files and exits within about a second
        # (faster than the forceShutdown RPC, which takes about four)
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            async with asyncio.timeout(STOP_TIMEOUT_SECONDS):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._forwarder:
            await self._forwarder  # ends at EOF, now that aria2c has exited
        self._pid_file.unlink(missing_ok=True)

    @property
    def _pid_file(self) -> Path:
        return self._state_dir / "aria2c.pid"

    @property
    def _conf_file(self) -> Path:
        return self._state_dir / "aria2c.conf"

    async def _launch(self) -> None:
        """Start one aria2c on a free port; retry on another port if it dies at once."""
        for _attempt in range(3):
            port = _free_loopback_port()
            self._write_conf(port)
            self.rpc = Aria2Rpc(f"http://127.0.0.1:{port}/jsonrpc", self._secret)
            try:
                self._process = await self._spawn()
            except FileNotFoundError:
                raise RuntimeError(
                    f"aria2c not found ({self._executable!r}): install Debian's aria2 package"
                    " (scripts/setup does), set BASSA_ARIA2C_PATH, or use BASSA_ARIA2_URL"
                ) from None
            assert self._process.stdout is not None
            # aria2c's warnings go to the server's log (no file of its own to grow forever)
            self._forwarder = asyncio.create_task(_forward_output(self._process.stdout))
            self._pid_file.write_text(f"{self._process.pid}\n", encoding="ascii")
            if await self._wait_ready(self._process):
                log.info("aria2c %s listening on 127.0.0.1:%d", self._process.pid, port)
                return
        raise RuntimeError(f"aria2c ({self._executable}) did not start; see the log above")

    async def _spawn(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            self._executable,
            *self._arguments(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the server only; it stops aria2c in order
        )

    def _write_conf(self, port: int) -> None:
        # the secret goes in a 0600 file, not on the command line other local users can read
        fd = os.open(self._conf_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as conf:
            conf.write(f"rpc-secret={self._secret}\nrpc-listen-port={port}\n")

    def _arguments(self) -> list[str]:
        arguments = [
            f"--conf-path={self._conf_file}",
            "--enable-rpc=true",
            "--rpc-listen-all=false",
            f"--dir={self._downloads_dir}",
            "--continue=true",
            "--allow-overwrite=false",
            "--auto-file-renaming=false",
            "--file-allocation=none",
            # a fetched .torrent or .metalink stays a file: the engine tracks one GID per download
            "--follow-torrent=false",
            "--follow-metalink=false",
            f"--max-concurrent-downloads={self._max_concurrent}",
            # what the session restores waits, paused, until the engine has checked it still
            # owns it (another replica may have taken it over meanwhile); every download the
            # engine adds says itself whether it runs
            "--pause=true",
            f"--save-session={self.session_file}",
            "--save-session-interval=1",
            "--auto-save-interval=1",
            f"--stop-with-process={os.getpid()}",
            "--console-log-level=warn",
            "--enable-color=false",
            "--summary-interval=0",
            "--show-console-readout=false",
            "--download-result=hide",
        ]
        if self._proxy is not None:
            # each download names the egress proxy too; this also covers a download restored
            # from a session written before it did
            arguments += [f"--all-proxy={self._proxy()}", "--proxy-method=tunnel"]
        if self.session_file.exists():
            arguments.append(f"--input-file={self.session_file}")
        return arguments

    async def _wait_ready(self, process: asyncio.subprocess.Process) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and process.returncode is None:
            with contextlib.suppress(Aria2Unavailable):
                await self.rpc.version()
                return True
            await asyncio.sleep(0.02)
        if process.returncode is None:
            process.kill()
            await process.wait()
        return False

    async def _supervise(self) -> None:
        backoff = 0.5
        while not self._stopping:
            assert self._process is not None
            started = time.monotonic()
            code = await self._process.wait()
            if self._stopping:
                return
            log.warning("aria2c exited with %s; restarting", code)
            self._on_restart()
            if time.monotonic() - started > HEALTHY_RUN_SECONDS:
                backoff = 0.5
            else:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RESTART_BACKOFF_MAX_SECONDS)
            try:
                await self._launch()
            except (RuntimeError, OSError):
                log.exception("aria2c restart failed; trying again")

    def _stop_orphan(self) -> None:
        """Stop an aria2c left by a server that was killed before it could stop it."""
        try:
            pid = int(self._pid_file.read_text(encoding="ascii"))
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if str(self._conf_file).encode() not in cmdline:
            return  # the pid was reused by an unrelated process
        log.warning("stopping aria2c %d left by a previous server", pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _forward_output(stream: asyncio.StreamReader) -> None:
    """Log aria2c's console lines until it exits (reading also keeps its pipe from filling)."""
    pending = b""
    while chunk := await stream.read(65536):
        *lines, pending = (pending + chunk).split(b"\n")
        pending = pending[-65536:]  # a line that never ends must not grow without bound
        for line in lines:
            if text := line.decode("utf-8", "replace").strip():
                log.warning("aria2c: %s", text)
