"""The queue switch (`start_queue`, `kill_queue`: server key) and its status (any user).

The switch only records the wanted state in `queue_state`; the engine of every replica reads it.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from starlette.responses import Response

from bassa_server._db.models import (
    COMPLETED,
    ERROR,
    QUEUE_PAUSED,
    QUEUE_RUNNING,
    QUEUED,
    STARTED,
    Download,
    QueueState,
)
from bassa_server._handlers._common import reply, services
from bassa_server._openapi import Call, HandlerSet

handlers = HandlerSet()
QUEUE_ROW = 1


@handlers.operation("start_queue")
async def start_queue(call: Call) -> Response:
    """Let the engine send queued downloads to aria2."""
    return await _switch(call, QUEUE_RUNNING)


@handlers.operation("kill_queue")
async def kill_queue(call: Call) -> Response:
    """Pause the engine."""
    return await _switch(call, QUEUE_PAUSED)


async def _switch(call: Call, state: str) -> Response:
    svc = services(call)

    def store(session: Session) -> None:
        changed = session.execute(
            update(QueueState)
            .where(QueueState.id == QUEUE_ROW)
            .values(state=state, updated_time=svc.now())
        )
        if getattr(changed, "rowcount", 0) == 0:
            session.add(QueueState(id=QUEUE_ROW, state=state, updated_time=svc.now()))

    await svc.run_db(store)
    return reply({"status": "success", "state": state})


@handlers.operation("get_queue_status")
async def get_queue_status(call: Call) -> Response:
    """Whether the queue runs and how many downloads are in each status."""

    def read(session: Session) -> tuple[str, dict[int, int]]:
        state = session.scalar(select(QueueState.state).where(QueueState.id == QUEUE_ROW))
        counts = session.execute(
            select(Download.status, func.count()).group_by(Download.status)
        ).all()
        return state or QUEUE_PAUSED, {status: count for status, count in counts}

    state, counts = await services(call).run_db(read)
    return reply(
        {
            "state": state,
            "queued": counts.get(QUEUED, 0),
            "started": counts.get(STARTED, 0),
            "completed": counts.get(COMPLETED, 0),
            "failed": counts.get(ERROR, 0),
        }
    )
