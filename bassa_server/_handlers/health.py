"""Liveness and readiness probes.

Readiness asks the database on a connection of its own with a one-second bound
(`Services.database_answers`), so it answers promptly while every request connection is busy, and
says "unready" rather than hanging when the database does not answer.
"""

from __future__ import annotations

from starlette.responses import Response

from bassa_server._handlers._common import reply, services
from bassa_server._openapi import HandlerSet, OperationCall

handlers = HandlerSet()


@handlers.operation("get_liveness")
async def get_liveness(call: OperationCall) -> Response:
    """The process answers."""
    return reply({"status": "ok"})


@handlers.operation("get_readiness")
async def get_readiness(call: OperationCall) -> Response:
    """Ready when the database answers and every background service reports ok."""
    svc = services(call)
    checks: dict[str, str] = {}
    try:
        await svc.database_answers()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready", reported by type only
        checks["database"] = f"unreachable ({type(exc).__name__})"
    for service in svc.lifespan_services:
        checks.update(service.health())
    ready = all(value == "ok" for value in checks.values())
    return reply(
        {"status": "ready" if ready else "unready", "checks": checks}, 200 if ready else 503
    )
