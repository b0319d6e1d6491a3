"""A fault-injecting HTTP proxy on loopback for the SDK's fault-tolerance tests.

Put `FaultProxy` between a client and a live server, then give it a plan per test::

    with FaultProxy(server_url) as proxy:
        proxy.plan(Rule(status(503, retry_after="0"), method="GET", times=2))
        client = Bassa(base_url=proxy.url)
        ...
        assert proxy.forwarded("POST", "/api/download") == 1

Every request that matches no rule (or whose rule is used up) passes through unchanged.
"""

from tests.faults._plan import (
    Exchange,
    Fault,
    Rule,
    drip,
    latency,
    passthrough,
    reset_after,
    reset_before,
    status,
    truncate,
)
from tests.faults._proxy import FaultProxy

__all__ = [
    "Exchange",
    "Fault",
    "FaultProxy",
    "Rule",
    "drip",
    "latency",
    "passthrough",
    "reset_after",
    "reset_before",
    "status",
    "truncate",
]
