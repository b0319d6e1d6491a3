"""Finished files: one download's file, zips of several, their progress and share links."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server._db.models import COMPLETED, JOB_DONE, JOB_RUNNING, CompressionJob, Download
from bassa_server._files import LenientFileResponse, guess_type, inside
from bassa_server._handlers._common import reply, services
from bassa_server._openapi import ApiError, Call, HandlerSet
from bassa_server._security import NOT_AUTHORIZED, SessionUser, ShareGrant
from bassa_server._zips import ZipJobs, zip_path

handlers = HandlerSet()
FILE_NOT_FOUND = "file not found"
JOB_NOT_FOUND = "zip job not found"


def job_json(job: CompressionJob) -> dict[str, Any]:
    """A zip job as the spec's `CompressionJob`."""
    return {
        "process_id": job.process_id,
        "progress": job.progress,
        "status": job.status,
        "error": job.error,
    }


def zip_jobs(call: Call) -> ZipJobs:
    """The app's zip job runner."""
    runner = services(call).extras["zips"]
    assert isinstance(runner, ZipJobs)
    return runner


@handlers.operation("fetch_download_file")
async def fetch_download_file(call: Call) -> Response:
    """Stream a completed download's file (with Range) from inside the downloads folder."""
    svc = services(call)
    query = select(Download.path).where(
        Download.id == call.params["id"], Download.status == COMPLETED
    )
    relative = await svc.run_db(lambda session: session.scalar(query))
    path = inside(svc.settings.downloads_dir, relative) if relative else None
    if path is None:
        raise ApiError(404, FILE_NOT_FOUND)
    return LenientFileResponse(path, media_type=guess_type(path), filename=path.name)


@handlers.operation("compress")
async def compress(call: Call) -> Response:
    """Start (or find) the zip job of a set of completed downloads."""
    svc = services(call)
    user = call.principal
    assert isinstance(user, SessionUser)
    gids: list[str] = call.body["gid"]
    process_id = hashlib.sha256(json.dumps(sorted(gids)).encode()).hexdigest()
    downloads_dir, zips_dir = svc.settings.downloads_dir, svc.settings.zips_dir

    def prepare(session: Session) -> tuple[CompressionJob, list[tuple[str, Path]] | None]:
        rows = session.execute(
            select(Download.gid, Download.path).where(
                Download.gid.in_(gids), Download.status == COMPLETED
            )
        ).all()
        paths = {gid: inside(downloads_dir, path) if path else None for gid, path in rows}
        for gid in gids:
            if paths.get(gid) is None:
                raise ApiError(404, f"no completed download with gid {gid}")
        job = session.get(CompressionJob, process_id)
        if job is not None and (
            job.status == JOB_RUNNING
            or (job.status == JOB_DONE and zip_path(zips_dir, process_id).is_file())
        ):
            return job, None
        if job is None:
            job = CompressionJob(process_id=process_id, gids=json.dumps(gids))
            session.add(job)
        job.user_name = user.user_name
        job.status, job.progress, job.error = JOB_RUNNING, 0, None
        job.created_time, job.completed_time, job.size = svc.now(), None, 0
        return job, _archive_names([(gid, paths[gid]) for gid in gids])

    try:
        job, files = await svc.run_db(prepare)
    except IntegrityError:  # the same set asked for twice at once: the other request won
        job = await svc.run_db(lambda session: _job(session, process_id))
        files = None
    if files is not None:
        zip_jobs(call).submit(process_id, files)
    return reply(job_json(job))


def _archive_names(found: list[tuple[str, Path | None]]) -> list[tuple[str, Path]]:
    names: set[str] = set()
    files = []
    for gid, path in found:
        assert path is not None
        name = path.name
        if name in names:  # two downloads with one file name: keep both
            name = f"{path.stem}-{gid}{path.suffix}"
        names.add(name)
        files.append((name, path))
    return files


@handlers.operation("get_compression_progress")
async def get_compression_progress(call: Call) -> Response:
    """A zip job's progress flag and status."""
    process_id = call.params["gid"]
    job = await services(call).run_db(lambda session: _job(session, process_id))
    return reply(job_json(job))


@handlers.operation("fetch_zip")
async def fetch_zip(call: Call) -> Response:
    """Stream a finished zip to a signed-in user or the holder of its share link."""
    svc = services(call)
    process_id = call.params["gid"]
    if isinstance(call.principal, ShareGrant) and call.principal.process_id != process_id:
        raise ApiError(403, NOT_AUTHORIZED)
    job = await svc.run_db(lambda session: session.get(CompressionJob, process_id))
    path = zip_path(svc.settings.zips_dir, process_id)
    if job is None or job.status != JOB_DONE or not path.is_file():
        raise ApiError(404, "zip not found (still being built, failed or cleaned up)")
    return LenientFileResponse(
        path, media_type="application/zip", filename=f"bassa-{process_id[:16]}.zip"
    )


@handlers.operation("create_share_link")
async def create_share_link(call: Call) -> Response:
    """A signed, expiring token that opens one zip to anyone."""
    svc = services(call)
    process_id = call.body["gid"]
    await svc.run_db(lambda session: _job(session, process_id))
    expires_at = svc.now() + call.body.get("expires_in", svc.settings.share_ttl_seconds)
    share = svc.shares.mint(process_id, expires_at)
    return reply({"gid": process_id, "share": share, "expires_at": expires_at})


def _job(session: Session, process_id: str) -> CompressionJob:
    job = session.get(CompressionJob, process_id)
    if job is None:
        raise ApiError(404, JOB_NOT_FOUND)
    return job
