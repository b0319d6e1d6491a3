"""Finished files: one download's file, zips of several, their progress and share links."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server._config import Settings
from bassa_server._db.models import JOB_DONE, JOB_RUNNING, CompressionJob
from bassa_server._files import LenientFileResponse, guess_type
from bassa_server._handlers._common import reply, services
from bassa_server._lifecycle import FileGone, TooManyZips, VolumeFull, has_room
from bassa_server._openapi import ApiError, HandlerSet, OperationCall
from bassa_server._security import NOT_AUTHORIZED, SessionUser, ShareGrant
from bassa_server._services import Services
from bassa_server._zips import zip_path

handlers = HandlerSet()
FILE_NOT_FOUND = "file not found"
JOB_NOT_FOUND = "zip job not found"
ZIP_RUNNING_RETRY_SECONDS = 5


def job_json(job: Any) -> dict[str, Any]:
    """A zip job as the spec's `CompressionJob`."""
    return {
        "process_id": job.process_id,
        "progress": job.progress,
        "status": job.status,
        "error": job.error,
    }


@handlers.operation("fetch_download_file")
async def fetch_download_file(call: OperationCall) -> Response:
    """Stream a completed download's file (with Range) from inside the downloads folder."""
    path = await services(call).downloads.completed_file(call.params["id"])
    try:
        return LenientFileResponse(
            path,
            media_type=guess_type(path),
            filename=path.name,
            range=call.request.headers.get("range"),
        )
    except OSError:  # removed (retention) since the check
        raise ApiError(404, FILE_NOT_FOUND) from None


@handlers.operation("compress")
async def compress(call: OperationCall) -> Response:
    """Start (or find) the zip job of a set of completed downloads.

    The same set of downloads (in any order) is one job: a finished zip of it, or one being
    built (by any replica), is returned as it is, whoever asked first, at no cost; the caller
    polls its progress. Building a new one is refused while the caller already has
    `max_zip_jobs_running` jobs running or keeps `max_zip_jobs` zips (429 with `Retry-After`),
    or when it would leave less than `min_free_bytes` free (507).
    """
    svc = services(call)
    user = call.principal
    assert isinstance(user, SessionUser)
    gids: list[str] = call.body["gid"]
    process_id = hashlib.sha256(json.dumps(sorted(set(gids))).encode()).hexdigest()
    settings = svc.settings
    zips_dir = settings.zips_dir
    paths = await svc.downloads.completed_files(gids)
    building = {"process_id": process_id, "progress": 0, "status": JOB_RUNNING, "error": None}

    def prepare(
        session: Session,
    ) -> tuple[dict[str, Any], int | None, list[tuple[str, Path]]]:
        job = session.get(CompressionJob, process_id)
        if job is not None and (
            job.status == JOB_RUNNING
            or (job.status == JOB_DONE and zip_path(zips_dir, process_id).is_file())
        ):
            return job_json(job), None, []
        files = _archive_names([(gid, paths[gid]) for gid in gids])
        _check_zip_limits(session, user.user_name, svc.now(), settings)
        _check_zip_room(zips_dir, files, settings.min_free_bytes)
        attempt = svc.zips.claim(
            session,
            job,
            process_id=process_id,
            gids=gids,
            user_name=user.user_name,
            files=files,
            now=svc.now(),
        )
        # None: another request (on any replica) claimed the rebuild first and builds it
        return building, attempt, files

    answer: dict[str, Any]
    try:
        answer, attempt, files = await svc.run_db(prepare)
    except IntegrityError:  # the same set asked for twice at once: the other request won
        answer, attempt, files = job_json(await _existing_job(svc, process_id)), None, []
    if attempt is not None:
        svc.zips.submit(process_id, attempt, files)
    return reply(answer)


def _check_zip_limits(session: Session, user_name: str, now: int, settings: Settings) -> None:
    """Refuse a new zip to a user who has too many running or kept."""
    jobs = session.execute(
        select(CompressionJob.status, CompressionJob.completed_time).where(
            CompressionJob.user_name == user_name,
            CompressionJob.status.in_((JOB_RUNNING, JOB_DONE)),
        )
    ).all()
    running = sum(1 for status, _ in jobs if status == JOB_RUNNING)
    if 0 < settings.max_zip_jobs_running <= running:
        raise TooManyZips(
            f"too many zip jobs running ({running}); try again when one has finished",
            retry_after=ZIP_RUNNING_RETRY_SECONDS,
        )
    if 0 < settings.max_zip_jobs <= len(jobs):
        finished = [done for status, done in jobs if status == JOB_DONE and done is not None]
        expires = min(finished, default=now) + settings.zip_ttl_seconds
        raise TooManyZips(
            f"too many zips kept ({len(jobs)}); try again when the oldest has expired",
            retry_after=max(expires - now, 1),
        )


def _check_zip_room(zips_dir: Path, files: list[tuple[str, Path]], min_free_bytes: int) -> None:
    """Refuse a zip that would leave the zips volume with less than `min_free_bytes`."""
    try:
        needed = sum(path.stat().st_size for _, path in files)
    except OSError:  # removed (retention) since the check
        raise FileGone("a download's file is gone") from None
    # statvfs in the same worker thread as the query: it can block on a network volume
    if not has_room(zips_dir, min_free_bytes, needed):
        raise VolumeFull("the zips volume is too full for this zip")


def _archive_names(found: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    names: set[str] = set()
    files = []
    for gid, path in found:
        name = path.name
        if name in names:  # two downloads with one file name: keep both
            name = f"{path.stem}-{gid}{path.suffix}"
        names.add(name)
        files.append((name, path))
    return files


@handlers.operation("get_compression_progress")
async def get_compression_progress(call: OperationCall) -> Response:
    """A zip job's progress flag and status."""
    process_id = call.params["gid"]
    job = await _existing_job(services(call), process_id)
    return reply(job_json(job))


@handlers.operation("fetch_zip")
async def fetch_zip(call: OperationCall) -> Response:
    """Stream a finished zip to a signed-in user or the holder of its share link."""
    svc = services(call)
    process_id = call.params["gid"]
    if isinstance(call.principal, ShareGrant) and call.principal.process_id != process_id:
        raise ApiError(403, NOT_AUTHORIZED)
    job = await svc.read_db(lambda db: _job(db, process_id))
    gone = ApiError(404, "zip not found (still being built, failed or cleaned up)")
    if job is None or job.status != JOB_DONE:
        raise gone
    try:
        return LenientFileResponse(
            zip_path(svc.settings.zips_dir, process_id),
            media_type="application/zip",
            filename=f"bassa-{process_id[:16]}.zip",
            range=call.request.headers.get("range"),
        )
    except OSError:  # swept since the job was read
        raise gone from None


@handlers.operation("create_share_link")
async def create_share_link(call: OperationCall) -> Response:
    """A signed, expiring token that opens one zip to anyone."""
    svc = services(call)
    process_id = call.body["gid"]
    await _existing_job(svc, process_id)
    expires_at = svc.now() + call.body.get("expires_in", svc.settings.share_ttl_seconds)
    share = svc.shares.mint(process_id, expires_at)
    return reply({"gid": process_id, "share": share, "expires_at": expires_at})


async def _existing_job(svc: Services, process_id: str) -> Any:
    """The zip job `process_id`; refuses (404) an unknown one."""
    job = await svc.read_db(lambda db: _job(db, process_id))
    if job is None:
        raise ApiError(404, JOB_NOT_FOUND)
    return job


def _job(db: Connection, process_id: str) -> Any:
    return db.execute(
        select(
            CompressionJob.process_id,
            CompressionJob.progress,
            CompressionJob.status,
            CompressionJob.error,
        ).where(CompressionJob.process_id == process_id)
    ).first()
