"""Every metric name that a rule or a dashboard uses exists: in the server's catalogue, in the
recording rules, among Prometheus' own series, or in the exporters' lists."""

from __future__ import annotations

import pytest

from tests.monitoring._metric_names import (
    catalogue_names,
    dashboard_expressions,
    known_names,
    names_in,
    rule_expressions,
)

EXPRESSIONS = {**rule_expressions(), **dashboard_expressions()}


def test_the_parser_finds_names_in_every_construct() -> None:
    """The name walker sees selectors inside functions, aggregations, binaries and subqueries."""
    expr = (
        "histogram_quantile(0.9, sum by (le) (rate(a_bucket[5m]))) / on (x) group_left b"
        ' or absent(c == 1) and -d + max_over_time(e[5m:1m]) + {__name__="f"}'
        " + predict_linear(g[$__rate_interval], 60)"
    )
    assert names_in(expr) == {"a_bucket", "b", "c", "d", "e", "f", "g"}


@pytest.mark.parametrize("where", sorted(EXPRESSIONS))
def test_expression_uses_existing_metrics(where: str) -> None:
    """The expression parses and selects only metrics that exist."""
    expr = EXPRESSIONS[where]
    used = names_in(expr)
    # the Watchdog is the one expression built to select nothing
    assert used or expr == "vector(1)", "selects no metric"
    assert used - known_names() == set()
    bassa = {name for name in used if name.startswith("bassa_")}
    assert bassa <= catalogue_names()


def test_every_catalogue_metric_is_watched() -> None:
    """Each metric of the server's catalogue is used by a rule or a dashboard."""
    used = set().union(*(names_in(expr) for expr in EXPRESSIONS.values()))
    families = {
        name.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
        for name in catalogue_names()
    }
    used_families = {
        name.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count") for name in used
    }
    assert families - used_families == set()
