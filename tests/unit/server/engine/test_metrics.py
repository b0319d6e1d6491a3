"""The engine metrics read queue depth, age and state from the database at scrape time."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db.models import COMPLETED, ERROR, QUEUE_RUNNING, STARTED, QueueState
from bassa_server._engine._metrics import EngineMetrics

from .conftest import add_download


def test_scrape_reports_the_shared_queue_as_stored(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Counts by status, the oldest queued age and the queue state come from the database."""
    registry = CollectorRegistry()
    EngineMetrics(registry, sessions, tmp_path, clock=lambda: 1_000.0)
    add_download(sessions, added_time=400)
    add_download(sessions, added_time=700)
    add_download(sessions, status=STARTED)
    add_download(sessions, status=COMPLETED)
    add_download(sessions, status=ERROR)

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert sample("bassa_downloads", status="queued") == 2
    assert sample("bassa_downloads", status="deleted") == 0
    assert sample("bassa_oldest_queued_download_age_seconds") == 600
    assert sample("bassa_queue_running") == 0
    with sessions() as session:
        session.execute(update(QueueState).values(state=QUEUE_RUNNING))
        session.commit()
    assert sample("bassa_queue_running") == 1
    assert (sample("bassa_downloads_volume_free_bytes") or 0) > 0
    assert sample("bassa_download_results_total", outcome="error") == 0


def test_finished_downloads_are_counted_by_outcome(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A finished download adds to its outcome's counter, the bytes and the duration histogram."""
    registry = CollectorRegistry()
    metrics = EngineMetrics(registry, sessions, tmp_path)
    metrics.finished("completed", seconds=42, size=1234)
    metrics.finished("error", seconds=3)
    text = generate_latest(registry).decode()
    assert 'bassa_download_results_total{outcome="completed"} 1.0' in text
    assert "bassa_downloaded_bytes_total 1234.0" in text
    assert 'bassa_download_duration_seconds_bucket{le="60.0",outcome="completed"} 1.0' in text
    assert 'bassa_download_duration_seconds_bucket{le="30.0",outcome="completed"} 0.0' in text
