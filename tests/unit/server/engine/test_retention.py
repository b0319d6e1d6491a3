"""Retention removes only old, poorly rated files, and keeps everything when it is off."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db.models import COMPLETED, DELETED, Download
from bassa_server._lifecycle._retention import DAY_SECONDS, apply_retention

from .conftest import add_download

NOW = 1_800_000_000


def _completed(
    sessions: sessionmaker[Session], downloads: Path, *, age_days: float, rating: int
) -> int:
    download_id = add_download(
        sessions, status=COMPLETED, rating=rating, completed_time=int(NOW - age_days * DAY_SECONDS)
    )
    folder = downloads / str(download_id)
    folder.mkdir(parents=True)
    (folder / "file.bin").write_bytes(b"data")
    with sessions() as session:
        row = session.get(Download, download_id)
        assert row is not None
        row.path = f"{download_id}/file.bin"
        session.commit()
    return download_id


def _status(sessions: sessionmaker[Session], download_id: int) -> int:
    with sessions() as session:
        row = session.get(Download, download_id)
        assert row is not None
        return row.status


def test_old_low_rated_files_go_while_rated_and_recent_ones_stay(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """With 7 days and rating 3: old files rated ≤3 are removed; rated 4+ or recent ones stay."""
    downloads = tmp_path / "downloads"
    old_unrated = _completed(sessions, downloads, age_days=30, rating=0)
    old_rated_3 = _completed(sessions, downloads, age_days=8, rating=3)
    old_well_rated = _completed(sessions, downloads, age_days=365, rating=4)
    recent_unrated = _completed(sessions, downloads, age_days=6.9, rating=0)

    removed = apply_retention(sessions, downloads, days=7, min_rating=3, now=NOW)

    assert sorted(removed) == sorted([old_unrated, old_rated_3])
    for gone in (old_unrated, old_rated_3):
        assert _status(sessions, gone) == DELETED
        assert not (downloads / str(gone)).exists()
    for kept in (old_well_rated, recent_unrated):
        assert _status(sessions, kept) == COMPLETED
        assert (downloads / str(kept) / "file.bin").read_bytes() == b"data"
    assert apply_retention(sessions, downloads, days=7, min_rating=3, now=NOW) == []


def test_zero_retention_days_keeps_everything_forever(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """retention_days = 0 (the default) removes nothing, however old and unrated."""
    downloads = tmp_path / "downloads"
    ancient = _completed(sessions, downloads, age_days=10_000, rating=0)
    assert apply_retention(sessions, downloads, days=0, min_rating=3, now=NOW) == []
    assert _status(sessions, ancient) == COMPLETED
    assert (downloads / str(ancient) / "file.bin").exists()


def test_a_row_whose_file_is_already_missing_is_still_marked_deleted(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A missing file or a NULL path does not stop the sweep (the original crashed on NULL)."""
    downloads = tmp_path / "downloads"
    no_path = add_download(sessions, status=COMPLETED, completed_time=NOW - 9 * DAY_SECONDS)
    removed = apply_retention(sessions, downloads, days=7, min_rating=3, now=NOW)
    assert removed == [no_path]
    assert _status(sessions, no_path) == DELETED
