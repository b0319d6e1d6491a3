"""What `bassa get`, `bassa zip` and `bassa rm` do beyond one SDK call: waiting with a word on a
paused queue, choosing where a file goes without replacing one, download ids for zips, and a
refused delete explained by the download's real status."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import typer

from bassa_sdk._cli._output import error, notice, print_json, say, transfer_bar
from bassa_sdk._cli._state import EXIT_FAILURE, EXIT_NOT_FOUND
from bassa_sdk._errors import BassaError, ConflictError, UnsupportedOperationError
from bassa_sdk._files import FetchedFile
from bassa_sdk._generated.spec_facts import DownloadStatus
from bassa_sdk._sync._client import Bassa

__all__ = ["delete_download", "fetch", "fetch_zip"]

_GID_LENGTH = 16


def _bar(label: str) -> AbstractContextManager[Any]:
    return transfer_bar(label) if sys.stderr.isatty() else nullcontext(None)


def _human(size: int) -> str:
    from rich.filesize import decimal

    return decimal(size)


def wait_for(client: Bassa, download_id: int) -> None:
    """Wait until the download completes, saying so when the queue is paused."""
    try:
        queued = client.downloads.status(download_id).status == DownloadStatus.QUEUED
    except UnsupportedOperationError:
        queued = False  # an older server: the wait polls the list instead
    if queued:
        try:
            paused = client.queue.status().state != "running"
        except BassaError:
            paused = False  # an older server cannot say; the wait still works
        if paused:
            notice(
                f"the queue is paused: download {download_id} waits until an admin runs "
                "bassa queue start"
            )
    with _bar(f"waiting for {download_id}") as bar:
        client.downloads.wait(
            download_id,
            progress=None
            if bar is None
            else lambda p: bar(p.completed_length, p.total_length or None),
        )


def _report(fetched: FetchedFile, download_id: int | str, *, as_json: bool) -> None:
    if as_json:
        path = str(fetched.path) if fetched.path is not None else None
        print_json(
            {
                "id": download_id,
                "path": path,
                "size": fetched.size,
                "content_type": fetched.content_type,
            }
        )
    elif fetched.path is not None:
        say(f"saved {fetched.path} ({_human(fetched.size)})")


def fetch(
    client: Bassa,
    download_id: int,
    output: str | None,
    *,
    wait: bool,
    clobber: bool,
    resume: bool,
    as_json: bool,
) -> None:
    """`bassa get`: the file to `output` (a path, a folder, or - for standard output)."""
    if wait:
        wait_for(client, download_id)
    with _bar(f"download {download_id}") as bar:
        if output == "-":
            fetched = client.files.download(download_id, sys.stdout.buffer, progress=bar)
            sys.stdout.buffer.flush()
            return
        dest = Path(output) if output else Path.cwd()
        fetched = client.files.download(
            download_id, dest, progress=bar, overwrite=clobber, resume=resume
        )
    _report(fetched, download_id, as_json=as_json)


def delete_download(client: Bassa, download_id: int, *, as_json: bool) -> None:
    """`bassa rm`: a refusal says the download's real status (completed, started …)."""
    try:
        client.downloads.delete(download_id)
    except ConflictError:
        try:
            status = client.downloads.status(download_id).status
        except BassaError:
            raise  # from the delete: the original refusal says what the server said
        name = (
            DownloadStatus(status).name.lower()
            if status in DownloadStatus._value2member_map_
            else str(status)
        )
        error(f"download {download_id} is {name}: only queued or failed downloads can be deleted")
        raise typer.Exit(EXIT_FAILURE) from None
    if as_json:
        print_json({"id": download_id, "deleted": True})
    else:
        say(f"deleted download {download_id}")


def _is_gid(value: str) -> bool:
    return len(value) == _GID_LENGTH and all(c in "0123456789abcdef" for c in value)


def gids_of(client: Bassa, downloads: Sequence[str]) -> list[str]:
    """GIDs for a mix of GIDs and download ids (looked up among completed downloads)."""
    wanted = {int(d) for d in downloads if not _is_gid(d) and d.isdigit()}
    odd = [d for d in downloads if not _is_gid(d) and not d.isdigit()]
    if odd:
        raise ValueError(f"not a download id or a GID: {odd[0]!r}")
    found: dict[int, str] = {}
    if wanted:
        for row in client.downloads.iter_completed():
            if row.id in wanted and isinstance(row.gid, str):
                found[row.id] = row.gid
                if len(found) == len(wanted):
                    break
    missing = sorted(wanted - found.keys())
    if missing:
        error(f"download {missing[0]} is not a completed download with a GID")
        raise typer.Exit(EXIT_NOT_FOUND)
    return [d if _is_gid(d) else found[int(d)] for d in downloads]


def fetch_zip(client: Bassa, downloads: Sequence[str], output: str, *, as_json: bool) -> None:
    """`bassa zip`: zip completed downloads on the server and fetch the zip."""
    files = client.files
    job = files.zip(gids_of(client, downloads))
    files.wait_zip(job.process_id)
    with _bar("zip") as bar:
        if output == "-":
            files.fetch_zip(job.process_id, sys.stdout.buffer, progress=bar)
            sys.stdout.buffer.flush()
            return
        fetched = files.fetch_zip(job.process_id, output, progress=bar)
    _report(fetched, job.process_id, as_json=as_json)
