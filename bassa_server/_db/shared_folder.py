"""Make sure every replica sees the same downloads folder.

Several replicas on one database serve each other's files, so they must share one downloads
folder (a ReadWriteMany volume). A replica that silently had a folder of its own would report
finished downloads as missing and fill its own disk. So at start each replica compares the
marker file in its downloads folder with the value the database recorded:

- no value recorded yet (the first start of a deployment): the folder's marker is kept, or one
  with random content is written, and recorded;
- a value recorded and the folder holds the same marker: the folder is shared, start;
- otherwise (no marker, or another one): refuse to start (`FolderMismatchError`), naming the
  folder and how to fix it.

The marker is not a secret: it only tells one folder from another.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db.models import DeploymentFact

MARKER_NAME = ".bassa-folder-id"
FACT_NAME = "downloads_folder_id"

logger = logging.getLogger("bassa_server")


class FolderMismatchError(RuntimeError):
    """This replica's downloads folder is not the one the other replicas use."""


def check_downloads_folder(sessions: sessionmaker[Session], folder: Path) -> str:
    """Record or verify the downloads folder's marker; returns its value (see the module doc)."""
    marker = folder / MARKER_NAME
    for _attempt in range(2):
        with sessions() as session:
            recorded = session.scalar(
                select(DeploymentFact.value).where(DeploymentFact.name == FACT_NAME)
            )
            # read after the database answered: the replica that recorded the value wrote the
            # marker before its commit, so a marker read earlier could miss it
            present = _read(marker)
            if recorded is not None:
                break
            value = present or _write(marker)
            session.add(DeploymentFact(name=FACT_NAME, value=value))
            try:
                session.commit()
            except IntegrityError:
                # another replica recorded its marker first: compare with that one
                session.rollback()
                continue
            logger.info("recorded the downloads folder", extra={"folder": str(folder)})
            return value
    assert recorded is not None
    if present == recorded:
        return recorded
    found = "holds another replica's marker" if present else "has no marker"
    raise FolderMismatchError(
        f"the downloads folder {folder} {found} ({MARKER_NAME}): replicas that share a database"
        " must share one downloads folder (a ReadWriteMany volume; see docs/deploy.md). If this"
        f" folder is meant to replace the old one, copy the old {MARKER_NAME} into it or write"
        f" {recorded} into {marker}."
    )


def _read(marker: Path) -> str:
    try:
        return marker.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""


def _write(marker: Path) -> str:
    """A new random marker, created only if none exists (another replica may be writing one)."""
    value = secrets.token_hex(16)
    # written whole under a private name, then linked into place: a replica that loses the race
    # reads the winner's complete marker, never a half-written one
    staging = marker.with_name(f"{MARKER_NAME}.{value}")
    staging.write_text(value + "\n", encoding="ascii")
    try:
        os.link(staging, marker)
    except FileExistsError:
        return _read(marker)
    finally:
        staging.unlink()
    return value
