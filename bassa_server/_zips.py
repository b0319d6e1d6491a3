"""Zip jobs: build a zip of several completed downloads in a worker thread, and clean up.

Replicas share the jobs table and the zips folder, so a job belongs to the server process that
builds it: the job row names its `owner` and a lease (`lease_expires`) that the owner renews every
`renew_seconds` while it builds. A replica starting up leaves other replicas' jobs alone; a job
whose lease has run out (its builder was killed, or lost the database) is taken over by whichever
replica sees it first, with a compare-and-set on the job's `attempt`, and built again from the
files the job recorded. A builder that finds its lease taken abandons its build.

Each attempt writes its own partial file (`.<job>.<attempt>-<random>.part`) and renames it over
the finished name only when complete, so a fetch never sees half a file and two builders never
write one file. A builder records its result only while it still owns the job, so a stale
builder's failure never overwrites a zip another attempt finished. `progress` stays the legacy
0/1 flag; a failure sets status `error` with a message. A periodic sweep removes finished zips
(file and job) `zip_ttl_seconds` after they finished, and partial files no running attempt
writes. Stopping abandons running builds and releases their leases, so another replica (or
this one, restarted) takes them over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
import threading
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import anyio.to_thread
from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from bassa_server._db.models import JOB_DONE, JOB_ERROR, JOB_RUNNING, CompressionJob

logger = logging.getLogger("bassa_server.zips")
T = TypeVar("T")
RunDb = Callable[[Callable[[Session], T]], Awaitable[T]]
MAX_SWEEP_INTERVAL_SECONDS = 60.0
PART_SUFFIX = ".part"
# a partial file named by an older server (no attempt in its name) may still be written to
PART_STALE_SECONDS = 60.0
# the builder renews its lease this often; a lease runs this long past the last renewal
RENEW_SECONDS = 3.0
LEASE_SECONDS = 15
# builds one replica takes over at once (a taken-over build is not counted against its user)
MAX_TAKEOVERS = 4
COPY_CHUNK_BYTES = 1024 * 1024
INTERRUPTED = "the build was interrupted and its files are unknown; ask again to rebuild"


def zip_path(zips_dir: Path, process_id: str) -> Path:
    """Where the finished zip of a job lives."""
    return zips_dir / f"{process_id}.zip"


def partial_path(zips_dir: Path, process_id: str, attempt: int) -> Path:
    """A new, unique file for attempt `attempt` of a job to write its zip into."""
    return zips_dir / f".{process_id}.{attempt}-{secrets.token_hex(4)}{PART_SUFFIX}"


def partial_attempt(path: Path) -> tuple[str, int | None] | None:
    """The job and attempt a partial file belongs to (attempt None: an older server's name)."""
    name = path.name
    if not (name.startswith(".") and name.endswith(PART_SUFFIX)):
        return None
    process_id, _, attempt = name[1 : -len(PART_SUFFIX)].partition(".")
    if not attempt:
        return process_id, None
    number = attempt.partition("-")[0]
    return (process_id, int(number)) if number.isdigit() else None


def new_owner_id() -> str:
    """An id for this server process: a restarted process is a new owner (its builds died)."""
    return f"{socket.gethostname()[:48]}-{os.getpid()}-{secrets.token_hex(6)}"


class BuildAbandonedError(Exception):
    """The build stopped because its job is no longer this process's to build."""


@dataclass
class _Build:
    attempt: int
    abandon: threading.Event = field(default_factory=threading.Event)


class ZipJobs:
    """Builds zip jobs in worker threads under a lease, takes over jobs whose builder died, and
    sweeps expired zips; a lifespan service."""

    def __init__(
        self,
        zips_dir: Path,
        ttl_seconds: int,
        run_db: RunDb[Any],
        clock: Callable[[], float],
        *,
        owner: str | None = None,
        lease_seconds: int = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
    ) -> None:
        self.zips_dir = zips_dir
        self.ttl_seconds = ttl_seconds
        self.owner = owner or new_owner_id()
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self._run_db = run_db
        self._clock = clock
        self._builds: dict[str, _Build] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Take over builds whose owner died, then renew leases and sweep periodically.

        Jobs other replicas are building are left alone: their leases are still running.
        """
        await self.take_over()
        self._loops = [
            asyncio.create_task(self._lease_forever(), name="zip-leases"),
            asyncio.create_task(self._sweep_forever(), name="zip-sweeper"),
        ]

    async def stop(self) -> None:
        """Stop the loops, abandon running builds and release their jobs for another replica."""
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        self._loops = []
        for build in self._builds.values():
            build.abandon.set()
        await self.finished()
        owner = self.owner

        def release(session: Session) -> int:
            return _changed(
                session,
                update(CompressionJob)
                .where(CompressionJob.owner == owner, CompressionJob.status == JOB_RUNNING)
                .values(lease_expires=0),
            )

        if released := await self._run_db(release):
            logger.info("released %d zip build(s) for another replica to finish", released)

    async def finished(self) -> None:
        """Wait until the builds running now have ended (built, failed or abandoned)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def health(self) -> dict[str, str]:
        """The zips folder must be writable."""
        ok = os.access(self.zips_dir, os.W_OK)
        return {"zips": "ok" if ok else f"{self.zips_dir} is not writable"}

    def claim(
        self,
        session: Session,
        job: CompressionJob | None,
        *,
        process_id: str,
        gids: list[str],
        user_name: str | None,
        files: list[tuple[str, Path]],
        now: int,
    ) -> int | None:
        """Make this process the builder of job `process_id` (new when `job` is None; `job` as
        read in this transaction otherwise); the attempt to `submit`, or None when another
        request claimed the job first. A new job that another request inserted first raises
        IntegrityError at commit (or here, at flush)."""
        values: dict[str, Any] = {
            "user_name": user_name,
            "status": JOB_RUNNING,
            "progress": 0,
            "error": None,
            "created_time": now,
            "completed_time": None,
            "size": 0,
            "owner": self.owner,
            "lease_expires": now + self.lease_seconds,
            "files": json.dumps([[name, str(path)] for name, path in files]),
        }
        if job is None:
            session.add(
                CompressionJob(process_id=process_id, gids=json.dumps(gids), attempt=1, **values)
            )
            session.flush()
            return 1
        attempt = job.attempt + 1
        changed = _changed(
            session,
            update(CompressionJob)
            .where(
                CompressionJob.process_id == process_id,
                CompressionJob.attempt == job.attempt,
                CompressionJob.status == job.status,
            )
            .values(attempt=attempt, **values)
            .execution_options(synchronize_session=False),
        )
        return attempt if changed == 1 else None

    def submit(self, process_id: str, attempt: int, files: list[tuple[str, Path]]) -> None:
        """Build attempt `attempt` of job `process_id` (claimed by `claim`) in the background."""
        build = _Build(attempt)
        if (earlier := self._builds.get(process_id)) is not None:
            earlier.abandon.set()  # this process took its own lapsed job over again
        self._builds[process_id] = build
        task = asyncio.create_task(
            self._build(process_id, build, files), name=f"zip-{process_id[:12]}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _build(self, process_id: str, build: _Build, files: list[tuple[str, Path]]) -> None:
        values: dict[str, object]
        try:
            size = await anyio.to_thread.run_sync(self._write_zip, process_id, build, files)
        except BuildAbandonedError:
            logger.info("zip job %s: attempt %d abandoned", process_id[:12], build.attempt)
            return
        except Exception as exc:
            logger.warning("zip job %s failed: %s", process_id[:12], type(exc).__name__)
            values = {"status": JOB_ERROR, "error": _failure(exc)}
        else:
            values = {"status": JOB_DONE, "progress": 1, "size": size}
        finally:
            if self._builds.get(process_id) is build:
                del self._builds[process_id]
        values["completed_time"] = int(self._clock())
        values["lease_expires"] = None
        if not await self._finish(process_id, build.attempt, values):
            logger.warning(
                "zip job %s: attempt %d finished after another replica took it over",
                process_id[:12],
                build.attempt,
            )

    async def _finish(self, process_id: str, attempt: int, values: dict[str, object]) -> bool:
        """Record a build's result if this process still owns that attempt."""
        owner = self.owner

        def record(session: Session) -> bool:
            changed = _changed(
                session,
                update(CompressionJob)
                .where(
                    CompressionJob.process_id == process_id,
                    CompressionJob.owner == owner,
                    CompressionJob.attempt == attempt,
                    CompressionJob.status == JOB_RUNNING,
                )
                .values(**values),
            )
            return bool(changed == 1)

        finished: bool = await self._run_db(record)
        return finished

    def _write_zip(self, process_id: str, build: _Build, files: list[tuple[str, Path]]) -> int:
        final = zip_path(self.zips_dir, process_id)
        partial = partial_path(self.zips_dir, process_id, build.attempt)
        try:
            # stored, not deflated: downloads are mostly already-compressed media and archives
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for name, path in files:
                    # as ZipFile.write does, with a check between chunks whether to go on
                    entry = zipfile.ZipInfo.from_file(path, arcname=name)
                    entry.compress_type = zipfile.ZIP_STORED
                    with path.open("rb") as source, archive.open(entry, "w") as target:
                        while chunk := source.read(COPY_CHUNK_BYTES):
                            if build.abandon.is_set():
                                raise BuildAbandonedError(process_id)
                            target.write(chunk)
            if build.abandon.is_set():
                raise BuildAbandonedError(process_id)
            os.replace(partial, final)
            return final.stat().st_size
        finally:
            partial.unlink(missing_ok=True)

    async def _lease_forever(self) -> None:
        while True:
            await asyncio.sleep(self.renew_seconds)
            try:
                await self.renew()
                await self.take_over()
            except Exception:
                logger.exception("zip lease renewal failed")

    async def renew(self) -> None:
        """Extend the leases of this process's builds; abandon those another replica took."""
        # only builds claimed before the query below: a later claim is not in its answer yet
        builds = dict(self._builds)
        if not builds:
            return
        owner, expires = self.owner, int(self._clock()) + self.lease_seconds

        def extend(session: Session) -> dict[str, int]:
            session.execute(
                update(CompressionJob)
                .where(CompressionJob.owner == owner, CompressionJob.status == JOB_RUNNING)
                .values(lease_expires=expires)
            )
            mine = select(CompressionJob.process_id, CompressionJob.attempt).where(
                CompressionJob.owner == owner, CompressionJob.status == JOB_RUNNING
            )
            return {process_id: attempt for process_id, attempt in session.execute(mine)}

        owned = await self._run_db(extend)
        for process_id, build in builds.items():
            if owned.get(process_id) != build.attempt:
                logger.warning("zip job %s was taken over: abandoning it", process_id[:12])
                build.abandon.set()

    async def take_over(self) -> int:
        """Claim and rebuild running jobs whose lease has run out; how many were taken."""
        room = MAX_TAKEOVERS - len(self._builds)
        if room <= 0:
            return 0
        owner, now = self.owner, int(self._clock())
        expires = now + self.lease_seconds
        lapsed = or_(CompressionJob.lease_expires.is_(None), CompressionJob.lease_expires < now)

        def claim_lapsed(session: Session) -> list[tuple[str, int, str | None, str | None]]:
            candidates = session.execute(
                select(
                    CompressionJob.process_id,
                    CompressionJob.attempt,
                    CompressionJob.owner,
                    CompressionJob.files,
                )
                .where(CompressionJob.status == JOB_RUNNING, lapsed)
                .order_by(CompressionJob.created_time)
                .limit(room)
            ).all()
            taken = []
            for process_id, attempt, previous, files in candidates:
                changed = _changed(
                    session,
                    update(CompressionJob)
                    .where(
                        CompressionJob.process_id == process_id,
                        CompressionJob.attempt == attempt,
                        CompressionJob.status == JOB_RUNNING,
                        lapsed,
                    )
                    .values(owner=owner, attempt=attempt + 1, lease_expires=expires),
                )
                if changed == 1:
                    taken.append((process_id, attempt + 1, previous, files))
            return taken

        taken = await self._run_db(claim_lapsed)
        for process_id, attempt, previous, recorded in taken:
            logger.warning(
                "zip job %s: its builder %s stopped renewing its lease; building it here",
                process_id[:12],
                previous or "(unknown)",
            )
            files = _recorded_files(recorded)
            if files is None:
                values: dict[str, object] = {
                    "status": JOB_ERROR,
                    "error": INTERRUPTED,
                    "completed_time": now,
                    "lease_expires": None,
                }
                await self._finish(process_id, attempt, values)
            else:
                self.submit(process_id, attempt, files)
        return len(taken)

    async def _sweep_forever(self) -> None:
        interval = max(1.0, min(MAX_SWEEP_INTERVAL_SECONDS, self.ttl_seconds / 2))
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:
                logger.exception("zip sweep failed")

    async def sweep(self) -> int:
        """Remove the zips (files and jobs) that finished more than `ttl_seconds` ago."""
        cutoff = int(self._clock()) - self.ttl_seconds

        def expired(session: Session) -> list[str]:
            query = select(CompressionJob.process_id).where(
                CompressionJob.status.in_((JOB_DONE, JOB_ERROR)),
                CompressionJob.completed_time <= cutoff,
            )
            ids = list(session.scalars(query))
            if ids:
                session.execute(delete(CompressionJob).where(CompressionJob.process_id.in_(ids)))
            return ids

        ids: list[str] = await self._run_db(expired)
        for process_id in ids:
            zip_path(self.zips_dir, process_id).unlink(missing_ok=True)
        await self._remove_orphan_parts()
        return len(ids)

    async def _remove_orphan_parts(self) -> None:
        """Remove partial zips that no running attempt writes (left by a killed or abandoned
        build). A partial file named by an older server is kept while it was written in the
        last `PART_STALE_SECONDS` (or zip lifetime, when shorter): it may still be written."""
        stale_before = self._clock() - min(PART_STALE_SECONDS, self.ttl_seconds)
        found: list[tuple[str, int | None, Path]] = []
        for path in self.zips_dir.glob(f".*{PART_SUFFIX}"):
            if (named := partial_attempt(path)) is None:
                continue
            process_id, attempt = named
            if attempt is None:
                with contextlib.suppress(OSError):  # finished or removed meanwhile
                    if path.stat().st_mtime >= stale_before:
                        continue
            found.append((process_id, attempt, path))
        if not found:
            return
        wanted = list({process_id for process_id, _, _ in found})

        def running(session: Session) -> dict[str, int]:
            query = select(CompressionJob.process_id, CompressionJob.attempt).where(
                CompressionJob.process_id.in_(wanted), CompressionJob.status == JOB_RUNNING
            )
            return {process_id: attempt for process_id, attempt in session.execute(query)}

        current: dict[str, int] = await self._run_db(running)
        for process_id, attempt, path in found:
            if attempt is None or current.get(process_id) != attempt:
                logger.info("removing the partial zip %s of an interrupted build", path.name)
                path.unlink(missing_ok=True)


def _failure(exc: Exception) -> str:
    """What a user is told about a failed build (never a path on the server)."""
    if isinstance(exc, FileNotFoundError):
        return "could not build the zip: a download's file is gone"
    if isinstance(exc, OSError) and exc.strerror:
        return f"could not build the zip: {exc.strerror}"
    return f"could not build the zip: {type(exc).__name__}"


def _changed(session: Session, statement: Any) -> int:
    """How many rows an UPDATE matched."""
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount)


def _recorded_files(recorded: str | None) -> list[tuple[str, Path]] | None:
    """The [[archive name, path], ...] a job recorded, or None when it recorded none."""
    if recorded is None:
        return None
    try:
        return [(str(name), Path(path)) for name, path in json.loads(recorded)]
    except (ValueError, TypeError):
        return None
