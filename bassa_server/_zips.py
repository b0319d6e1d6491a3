"""Zip jobs: build a zip of several completed downloads in a worker thread, and clean up.

A job's zip is written under a temporary name in the zips folder and renamed when complete, so a
fetch never sees half a file. `progress` stays the legacy 0/1 flag; a failure sets status `error`
with a message. A periodic sweep removes finished zips (file and job) `zip_ttl_seconds` after they
finished. Jobs a previous process left running are marked failed at start, with that moment as
their completion time so the sweep removes them too; asking again rebuilds. The sweep also removes
partial files (`.<job>.part`) that no running job writes: what a killed build left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import anyio.to_thread
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bassa_server._db.models import JOB_DONE, JOB_ERROR, JOB_RUNNING, CompressionJob

logger = logging.getLogger("bassa_server.zips")
T = TypeVar("T")
RunDb = Callable[[Callable[[Session], T]], Awaitable[T]]
MAX_SWEEP_INTERVAL_SECONDS = 60.0
PART_SUFFIX = ".part"
PART_STALE_SECONDS = 60.0


def zip_path(zips_dir: Path, process_id: str) -> Path:
    """Where the finished zip of a job lives."""
    return zips_dir / f"{process_id}.zip"


def partial_path(zips_dir: Path, process_id: str) -> Path:
    """Where a job's zip is written until it is complete."""
    return zips_dir / f".{process_id}{PART_SUFFIX}"


class ZipJobs:
    """Runs zip jobs in worker threads and sweeps expired zips; a lifespan service."""

    def __init__(
        self,
        zips_dir: Path,
        ttl_seconds: int,
        run_db: RunDb[object],
        clock: Callable[[], float],
    ) -> None:
        self.zips_dir = zips_dir
        self.ttl_seconds = ttl_seconds
        self._run_db = run_db
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Fail jobs an earlier process left running, then sweep periodically."""
        now = int(self._clock())
        await self._run_db(
            lambda session: session.execute(
                update(CompressionJob)
                .where(CompressionJob.status == JOB_RUNNING)
                .values(
                    status=JOB_ERROR, error="interrupted by a server restart", completed_time=now
                )
            )
        )
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="zip-sweeper")

    async def stop(self) -> None:
        """Stop sweeping and wait for running jobs (each a bounded amount of file copying)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def health(self) -> dict[str, str]:
        """The zips folder must be writable."""
        ok = os.access(self.zips_dir, os.W_OK)
        return {"zips": "ok" if ok else f"{self.zips_dir} is not writable"}

    def submit(self, process_id: str, files: list[tuple[str, Path]]) -> None:
        """Build the zip of `files` (archive name, path) for job `process_id` in the background."""
        task = asyncio.create_task(self._build(process_id, files), name=f"zip-{process_id[:12]}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _build(self, process_id: str, files: list[tuple[str, Path]]) -> None:
        values: dict[str, object]
        try:
            size = await anyio.to_thread.run_sync(self._write_zip, process_id, files)
        except Exception as exc:
            logger.warning("zip job %s failed: %s", process_id, type(exc).__name__)
            values = {"status": JOB_ERROR, "error": f"could not build the zip: {exc}"[:500]}
        else:
            values = {"status": JOB_DONE, "progress": 1, "size": size}
        values["completed_time"] = int(self._clock())
        await self._run_db(
            lambda session: session.execute(
                update(CompressionJob)
                .where(CompressionJob.process_id == process_id)
                .values(**values)
            )
        )

    def _write_zip(self, process_id: str, files: list[tuple[str, Path]]) -> int:
        final = zip_path(self.zips_dir, process_id)
        partial = partial_path(self.zips_dir, process_id)
        try:
            # stored, not deflated: downloads are mostly already-compressed media and archives
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for name, path in files:
                    archive.write(path, arcname=name)
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        return final.stat().st_size

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

        ids = await self._run_db(expired)
        assert isinstance(ids, list)
        for process_id in ids:
            zip_path(self.zips_dir, process_id).unlink(missing_ok=True)
        await self._remove_orphan_parts()
        return len(ids)

    async def _remove_orphan_parts(self) -> None:
        """Remove partial zips that no running job is writing (left by a killed build).

        A file written in the last `PART_STALE_SECONDS` (or zip lifetime, when shorter) is
        kept whatever the database says: a replica sharing the zips folder may still be writing
        it.
        """
        stale_before = self._clock() - min(PART_STALE_SECONDS, self.ttl_seconds)
        found: dict[str, Path] = {}
        for path in self.zips_dir.glob(f".*{PART_SUFFIX}"):
            with contextlib.suppress(OSError):  # finished or removed meanwhile
                if path.stat().st_mtime < stale_before:
                    found[path.name[1 : -len(PART_SUFFIX)]] = path
        if not found:
            return

        def running(session: Session) -> set[str]:
            query = select(CompressionJob.process_id).where(
                CompressionJob.process_id.in_(list(found)), CompressionJob.status == JOB_RUNNING
            )
            return set(session.scalars(query))

        alive = await self._run_db(running)
        assert isinstance(alive, set)
        for process_id, path in found.items():
            if process_id not in alive:
                logger.info("removing the partial zip of interrupted job %s", process_id[:12])
                path.unlink(missing_ok=True)
