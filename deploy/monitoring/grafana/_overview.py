"""The Bassa / Overview dashboard: SLO and error budget, RED, queue, downloads and disk."""

from __future__ import annotations

from _grafana import UP_DOWN, Json, Query, Row, dashboard, stat, timeseries, variable


def overview() -> Json:
    job = 'job="$job"'
    rows = (
        Row(
            "Service level (99.5 % availability over 30 days)",
            (
                stat(
                    "Availability, 30 days",
                    "Share of API requests (probes excluded) answered without a 5xx.",
                    "percentunit",
                    Query(f"1 - job:bassa_slo_errors_per_request:ratio_rate30d{{{job}}}"),
                    ((None, "red"), (0.995, "green")),
                ),
                stat(
                    "Error budget left",
                    "Share of the 30-day error budget (0.5 % of requests) not yet spent.",
                    "percentunit",
                    Query(f"job:bassa_slo_error_budget_remaining:ratio{{{job}}}"),
                    ((None, "red"), (0.25, "orange"), (0.5, "green")),
                ),
                stat(
                    "Burn rate, 1 hour",
                    "How fast the budget burns: 1 spends it in exactly 30 days, 14.4 pages.",
                    "none",
                    Query(f"job:bassa_slo_errors_per_request:ratio_rate1h{{{job}}} / 0.005"),
                    ((None, "green"), (1, "orange"), (14.4, "red")),
                ),
                stat(
                    "API instances up",
                    "Scraped API instances that answered.",
                    "none",
                    Query(f"sum(up{{{job}}})"),
                    ((None, "red"), (1, "green")),
                ),
                stat(
                    "Database",
                    "Whether every API instance reached the database at its last scrape.",
                    "none",
                    Query(f"min(bassa_database_up{{{job}}})"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "Firing alerts",
                    "Critical and warning alerts firing now.",
                    "none",
                    Query(
                        'count(ALERTS{alertstate="firing", severity=~"critical|warning"})'
                        " or vector(0)"
                    ),
                    ((None, "green"), (1, "red")),
                ),
            ),
        ),
        Row(
            "Requests (rate, errors, duration)",
            (
                timeseries(
                    "Requests by route",
                    "Requests per second answered by the API, by route template.",
                    "reqps",
                    Query(f"job_route:bassa_http_requests:rate5m{{{job}}}", "{{route}}"),
                ),
                timeseries(
                    "5xx ratio by route",
                    "Share of the requests of each route answered with a 5xx status.",
                    "percentunit",
                    Query(
                        f"job_route:bassa_http_errors:rate5m{{{job}}}"
                        f" / job_route:bassa_http_requests:rate5m{{{job}}}",
                        "{{route}}",
                    ),
                ),
                timeseries(
                    "Latency",
                    "Request duration quantiles over every route.",
                    "s",
                    *(
                        Query(
                            f"histogram_quantile({q}, sum by (le) (rate("
                            f"bassa_http_request_duration_seconds_bucket{{{job}}}[$__rate_interval])))",
                            f"p{round(q * 100)}",
                        )
                        for q in (0.5, 0.95, 0.99)
                    ),
                ),
                timeseries(
                    "Error ratio against the burn-rate thresholds",
                    "SLO error ratio over the alert windows;"
                    " a page needs the 1h and 5m ratios above 7.2 %.",
                    "percentunit",
                    *(
                        Query(f"job:bassa_slo_errors_per_request:ratio_rate{w}{{{job}}}", w)
                        for w in ("5m", "1h", "6h", "3d")
                    ),
                    width=12,
                ),
                timeseries(
                    "Requests in flight",
                    "Requests being handled right now, over every instance.",
                    "none",
                    Query(f"sum(bassa_http_requests_in_flight{{{job}}})", "in flight"),
                    width=12,
                ),
            ),
        ),
        Row(
            "Queue and downloads",
            (
                stat(
                    "Queue",
                    "Whether the download queue is started.",
                    "none",
                    Query(f"max(bassa_queue_running{{{job}}})"),
                    mappings=[
                        {
                            "type": "value",
                            "options": {
                                "0": {"text": "paused", "color": "orange", "index": 0},
                                "1": {"text": "running", "color": "green", "index": 1},
                            },
                        }
                    ],
                ),
                stat(
                    "aria2",
                    "Whether every instance reached aria2 at its last RPC call.",
                    "none",
                    Query(f"min(bassa_aria2_up{{{job}}})"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "Oldest queued download",
                    "How long the oldest queued download has been waiting.",
                    "s",
                    Query(f"max(bassa_oldest_queued_download_age_seconds{{{job}}})"),
                    ((None, "green"), (3600, "orange")),
                ),
                stat(
                    "Failure ratio, 1 hour",
                    "Share of the downloads finished in the last hour that failed.",
                    "percentunit",
                    Query(f"job:bassa_download_failures_per_result:ratio_rate1h{{{job}}}"),
                    ((None, "green"), (0.25, "red")),
                    # the ratio has no sample while nothing finished in the hour
                    no_value="none finished",
                ),
                stat(
                    "Users waiting for approval",
                    "Accounts in the pending state.",
                    "none",
                    Query(f'max(bassa_users{{{job}, state="pending"}})'),
                ),
                stat(
                    "aria2 restarts, 1 day",
                    "Times the managed aria2c was restarted in the last day.",
                    "none",
                    Query(f"sum(increase(bassa_aria2_restarts_total{{{job}}}[1d]))"),
                    ((None, "green"), (1, "orange")),
                ),
                timeseries(
                    "Downloads by status",
                    "Downloads in the database by status.",
                    "none",
                    Query(f"max by (status) (bassa_downloads{{{job}}})", "{{status}}"),
                ),
                timeseries(
                    "Finished downloads",
                    "Downloads finished per second, by outcome.",
                    "ops",
                    Query(
                        "sum by (outcome) (rate("
                        f"bassa_download_results_total{{{job}}}[$__rate_interval]))",
                        "{{outcome}}",
                    ),
                ),
                timeseries(
                    "Throughput",
                    "Bytes of completed downloads per second, over every instance.",
                    "Bps",
                    Query(f"job:bassa_downloaded_bytes:rate5m{{{job}}}", "bytes/s"),
                ),
                timeseries(
                    "Download duration",
                    "Time from start to finish of the downloads that finished, by quantile.",
                    "s",
                    *(
                        Query(
                            f"histogram_quantile({q}, sum by (le) (rate("
                            f"bassa_download_duration_seconds_bucket{{{job}}}[$__rate_interval])))",
                            f"p{round(q * 100)}",
                        )
                        for q in (0.5, 0.95)
                    ),
                    width=24,
                ),
                stat(
                    "Egress proxy",
                    "Whether every instance's egress proxy accepts connections"
                    " (downloads start only then).",
                    "none",
                    Query(f"min(bassa_egress_proxy_up{{{job}}})"),
                    mappings=UP_DOWN,
                ),
                stat(
                    "Egress proxy restarts, 1 day",
                    "Times the managed egress proxy (smokescreen) was restarted in the last day.",
                    "none",
                    Query(f"sum(increase(bassa_egress_proxy_restarts_total{{{job}}}[1d]))"),
                    ((None, "green"), (1, "orange")),
                ),
                timeseries(
                    "Refused destinations",
                    "Connections per second the egress proxy refused: a link or a redirect to a"
                    " non-public address.",
                    "ops",
                    Query(
                        f"sum(rate(bassa_egress_denied_total{{{job}}}[$__rate_interval]))",
                        "refused",
                    ),
                ),
                timeseries(
                    "Downloads stopped by limits",
                    "Downloads per second stopped or refused by the size limit or the quota.",
                    "ops",
                    Query(
                        "sum by (reason) (rate("
                        f"bassa_download_refusals_total{{{job}}}[$__rate_interval]))",
                        "{{reason}}",
                    ),
                ),
            ),
        ),
        Row(
            "Disk",
            (
                timeseries(
                    "Downloads volume free",
                    "Free share of the downloads volume, per instance.",
                    "percentunit",
                    Query(f"instance:bassa_downloads_volume_free:ratio{{{job}}}", "{{instance}}"),
                    width=12,
                ),
                timeseries(
                    "Downloads volume free in 4 days",
                    "Free bytes now and as predicted in 4 days from the last 6 hours;"
                    " below 0 the volume fills up.",
                    "bytes",
                    Query(f"bassa_downloads_volume_free_bytes{{{job}}}", "now {{instance}}"),
                    Query(
                        "predict_linear("
                        f"bassa_downloads_volume_free_bytes{{{job}}}[6h], 4 * 86400)",
                        "in 4 days {{instance}}",
                    ),
                    width=12,
                ),
            ),
        ),
    )
    return dashboard(
        "bassa-overview",
        "Bassa / Overview",
        "The Bassa service: SLO and error budget, requests, queue, downloads and disk.",
        [variable("job", "Job", "label_values(bassa_build_info, job)")],
        rows,
    )
