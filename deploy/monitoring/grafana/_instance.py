"""The Bassa / Instance dashboard: one API instance's health, requests and process."""

from __future__ import annotations

from _grafana import UP_DOWN, Json, Query, Row, dashboard, stat, timeseries, variable


def instance() -> Json:
    sel = 'job="$job", instance="$instance"'
    rows = (
        Row(
            "Instance",
            (
                stat(
                    "Scrape",
                    "Whether Prometheus scraped this instance.",
                    "none",
                    Query(f"up{{{sel}}}"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "Version",
                    "The Bassa version this instance runs.",
                    "none",
                    Query(f"bassa_build_info{{{sel}}}", "{{version}}"),
                ),
                stat(
                    "Database",
                    "Whether this instance reached the database at its last scrape.",
                    "none",
                    Query(f"bassa_database_up{{{sel}}}"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "aria2",
                    "Whether this instance reached aria2 at its last RPC call.",
                    "none",
                    Query(f"bassa_aria2_up{{{sel}}}"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "Volume free",
                    "Free share of the downloads volume seen by this instance.",
                    "percentunit",
                    Query(f"instance:bassa_downloads_volume_free:ratio{{{sel}}}"),
                    ((None, "red"), (0.03, "orange"), (0.15, "green")),
                ),
                stat(
                    "Uptime",
                    "Time since the server process started.",
                    "s",
                    Query(f"time() - process_start_time_seconds{{{sel}}}"),
                ),
            ),
        ),
        Row(
            "Requests",
            (
                timeseries(
                    "Requests by route and status",
                    "Requests per second answered by this instance.",
                    "reqps",
                    Query(
                        "sum by (route, status) (rate("
                        f"bassa_http_requests_total{{{sel}}}[$__rate_interval]))",
                        "{{route}} {{status}}",
                    ),
                ),
                timeseries(
                    "p95 latency by route",
                    "95th percentile request duration of each route on this instance.",
                    "s",
                    Query(
                        "histogram_quantile(0.95, sum by (le, route) (rate("
                        f"bassa_http_request_duration_seconds_bucket{{{sel}}}[$__rate_interval])))",
                        "{{route}}",
                    ),
                ),
                timeseries(
                    "Requests in flight",
                    "Requests being handled by this instance.",
                    "none",
                    Query(f"bassa_http_requests_in_flight{{{sel}}}", "in flight"),
                ),
            ),
        ),
        Row(
            "Process",
            (
                timeseries(
                    "CPU",
                    "CPU seconds used per second by the server process.",
                    "percentunit",
                    Query(f"rate(process_cpu_seconds_total{{{sel}}}[$__rate_interval])", "cpu"),
                ),
                timeseries(
                    "Memory",
                    "Resident memory of the server process.",
                    "bytes",
                    Query(f"process_resident_memory_bytes{{{sel}}}", "resident"),
                ),
                timeseries(
                    "File descriptors",
                    "Open file descriptors against the process limit.",
                    "none",
                    Query(f"process_open_fds{{{sel}}}", "open"),
                    Query(f"process_max_fds{{{sel}}}", "limit"),
                ),
                timeseries(
                    "Downloads volume",
                    "Free and total bytes of the downloads volume.",
                    "bytes",
                    Query(f"bassa_downloads_volume_free_bytes{{{sel}}}", "free"),
                    Query(f"bassa_downloads_volume_size_bytes{{{sel}}}", "size"),
                    width=12,
                ),
                timeseries(
                    "Finished downloads",
                    "Downloads finished per second by this instance, by outcome.",
                    "ops",
                    Query(
                        "sum by (outcome) (rate("
                        f"bassa_download_results_total{{{sel}}}[$__rate_interval]))",
                        "{{outcome}}",
                    ),
                    width=12,
                ),
            ),
        ),
    )
    return dashboard(
        "bassa-instance",
        "Bassa / Instance",
        "One Bassa API instance: health, requests, process resources and its downloads volume.",
        [
            variable("job", "Job", "label_values(bassa_build_info, job)"),
            variable(
                "instance", "Instance", 'label_values(bassa_build_info{job="$job"}, instance)'
            ),
        ],
        rows,
    )
