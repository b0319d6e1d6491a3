"""The engine's Prometheus metrics (catalogue: the engine rows of the metric contract).

Counters and histograms count what this replica did. Queue depth, the oldest queued age and the
queue state are read from the database at scrape time by a custom collector, so every replica
reports the same shared truth and a stuck queue shows even when no engine is running; the free
and total bytes of the downloads volume are read at scrape time too.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from bassa_server._db.models import STATUS_NAMES
from bassa_server._lifecycle._transfers import SessionFactory, snapshot

log = logging.getLogger("bassa.engine.metrics")

OUTCOMES = ("completed", "error")
REFUSAL_REASONS = ("max_size", "quota")
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200)


class EngineMetrics:
    """The engine's counters and gauges, registered in the server's registry."""

    def __init__(
        self,
        registry: CollectorRegistry,
        sessions: SessionFactory,
        downloads_dir: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.results = Counter(
            "bassa_download_results",
            "Downloads that finished, by outcome (this replica).",
            ["outcome"],
            registry=registry,
        )
        self.downloaded_bytes = Counter(
            "bassa_downloaded_bytes",
            "Bytes of completed downloads (this replica).",
            registry=registry,
        )
        self.duration = Histogram(
            "bassa_download_duration_seconds",
            "Time from a download's start to its end, by outcome.",
            ["outcome"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        for outcome in OUTCOMES:
            self.results.labels(outcome)
            self.duration.labels(outcome)
        self.aria2_up = Gauge(
            "bassa_aria2_up", "1 if the last aria2 RPC call succeeded, else 0.", registry=registry
        )
        self.aria2_restarts = Counter(
            "bassa_aria2_restarts", "Times the managed aria2c was restarted.", registry=registry
        )
        self.refusals = Counter(
            "bassa_download_refusals",
            "Downloads the engine stopped or refused because of a limit, by reason (this replica).",
            ["reason"],
            registry=registry,
        )
        for reason in REFUSAL_REASONS:
            self.refusals.labels(reason)
        self.egress_up = Gauge(
            "bassa_egress_proxy_up",
            "1 while the egress proxy accepts connections (downloads start only then), else 0.",
            registry=registry,
        )
        self.egress_restarts = Counter(
            "bassa_egress_proxy_restarts",
            "Times the managed egress proxy (smokescreen) was restarted.",
            registry=registry,
        )
        self.egress_denied = Counter(
            "bassa_egress_denied",
            "Connections the managed egress proxy refused: a non-public or forbidden destination.",
            registry=registry,
        )
        registry.register(QueueCollector(sessions, downloads_dir, clock))

    def refused(self, reason: str, count: int = 1) -> None:
        """Count downloads stopped or refused because of a limit (`max_size`, `quota`)."""
        self.refusals.labels(reason).inc(count)

    def finished(self, outcome: str, *, seconds: float, size: int = 0) -> None:
        """Count one finished download."""
        self.results.labels(outcome).inc()
        self.duration.labels(outcome).observe(max(seconds, 0.0))
        if size:
            self.downloaded_bytes.inc(size)


class QueueCollector(Collector):
    """Reads the queue from the database and the downloads volume from the disk, per scrape."""

    def __init__(
        self, sessions: SessionFactory, downloads_dir: Path, clock: Callable[[], float]
    ) -> None:
        self._sessions = sessions
        self._downloads_dir = downloads_dir
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        """Yield the scrape-time gauges; database gauges are left out when it cannot be read."""
        yield from self._volume()
        try:
            with self._sessions() as session:
                state = snapshot(session)
        except SQLAlchemyError:
            log.warning("metrics: cannot read the queue from the database", exc_info=True)
            return
        yield GaugeMetricFamily(
            "bassa_queue_running",
            "1 when the queue is started, 0 when paused (database state).",
            value=1 if state.running else 0,
        )
        downloads = GaugeMetricFamily(
            "bassa_downloads", "Downloads by status (database state).", labels=["status"]
        )
        for code, name in STATUS_NAMES.items():
            downloads.add_metric([name], state.counts.get(code, 0))
        yield downloads
        oldest = state.oldest_queued_added_time
        yield GaugeMetricFamily(
            "bassa_oldest_queued_download_age_seconds",
            "Age of the oldest queued download, 0 when none.",
            value=max(self._clock() - oldest, 0) if oldest is not None else 0,
        )

    def _volume(self) -> Iterator[Metric]:
        try:
            usage = shutil.disk_usage(self._downloads_dir)
        except OSError:
            return
        yield GaugeMetricFamily(
            "bassa_downloads_volume_free_bytes",
            "Free bytes on the downloads volume.",
            value=usage.free,
        )
        yield GaugeMetricFamily(
            "bassa_downloads_volume_size_bytes",
            "Total bytes of the downloads volume.",
            value=usage.total,
        )
