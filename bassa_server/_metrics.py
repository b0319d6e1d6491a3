"""The API's Prometheus metrics (the catalogue in docs/server.md) and the `/metrics` endpoint.

Every app has its own registry, so several apps in one process (tests) never share counters. Route
labels are the spec's path templates (a bounded set), never raw paths; unmatched requests are
`other`. Database-derived gauges are read at scrape time by a collector.
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Iterator

import anyio.to_thread
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bassa_server._lifecycle._counters import account_counts

access_log = logging.getLogger("bassa_server.access")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
OTHER_ROUTE = "other"


class ApiMetrics:
    """The API metrics of one app, registered in its own registry."""

    def __init__(self, registry: CollectorRegistry, version: str) -> None:
        self.registry = registry
        self.requests = Counter(
            "bassa_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "bassa_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        # requests run on the event loop's thread: a plain count, read at scrape time, is exact
        # and costs a fraction of a locked gauge update twice a request
        self.in_flight = 0
        Gauge(
            "bassa_http_requests_in_flight", "HTTP requests being handled.", registry=registry
        ).set_function(lambda: self.in_flight)
        # label children by label values: `labels()` validates and locks on every call
        self._counted: dict[tuple[str, str, str], Counter] = {}
        self._timed: dict[tuple[str, str], Histogram] = {}
        build = Gauge(
            "bassa_build_info",
            "The server's version.",
            ["version", "python_version"],
            registry=registry,
        )
        build.labels(version=version, python_version=platform.python_version()).set(1)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and record how long it took."""
        counted_key = (method, route, str(status))
        counted = self._counted.get(counted_key)
        if counted is None:
            counted = self._counted[counted_key] = self.requests.labels(*counted_key)
        counted.inc()
        timed = self._timed.get((method, route))
        if timed is None:
            timed = self._timed[(method, route)] = self.duration.labels(method, route)
        timed.observe(seconds)


class DatabaseCollector(Collector):
    """`bassa_database_up` and `bassa_users`, read from the database at each scrape."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Ping the database and count the accounts by state."""
        up = GaugeMetricFamily("bassa_database_up", "1 if the last database ping succeeded.")
        users = GaugeMetricFamily("bassa_users", "Accounts by state.", labels=["state"])
        try:
            with self._sessions() as session:
                counts = account_counts(session)  # kept by triggers: no scan of `users`
        except Exception:  # any driver failure means "down"
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for state in ("approved", "pending", "blocked"):
            users.add_metric([state], getattr(counts, state))
        yield up
        yield users


class MetricsMiddleware:
    """Count, time and track in-flight requests by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Measure one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight += 1
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.in_flight -= 1
            route = getattr(scope.get("route"), "path", OTHER_ROUTE)
            method = scope["method"].upper()
            elapsed = time.perf_counter() - started
            self.metrics.observe(method, route, status, elapsed)
            # one line a request only at debug (the metrics carry the traffic; a line costs
            # ~10% of a listed page), but every server error at error level
            level = logging.ERROR if status >= 500 else logging.DEBUG
            if access_log.isEnabledFor(level):
                access_log.log(
                    level,
                    "request",
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                    },
                )


async def metrics_endpoint(request: Request) -> Response:
    """The registry in the Prometheus text format (collected off the event loop)."""
    registry = request.app.state.services.registry
    body = await anyio.to_thread.run_sync(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
