"""The queue switch (`start_queue`, `kill_queue`: server key) and its status (any user).

The switch only records the wanted state; the engine of every replica reads it.
"""

from __future__ import annotations

from starlette.responses import Response

from bassa_server._db.models import COMPLETED, ERROR, QUEUE_PAUSED, QUEUE_RUNNING, QUEUED, STARTED
from bassa_server._handlers._common import reply, services
from bassa_server._openapi import HandlerSet, OperationCall

handlers = HandlerSet()


@handlers.operation("start_queue")
async def start_queue(call: OperationCall) -> Response:
    """Let the engine send queued downloads to aria2."""
    await services(call).downloads.switch_queue(QUEUE_RUNNING)
    return reply({"status": "success", "state": QUEUE_RUNNING})


@handlers.operation("kill_queue")
async def kill_queue(call: OperationCall) -> Response:
    """Pause the engine."""
    await services(call).downloads.switch_queue(QUEUE_PAUSED)
    return reply({"status": "success", "state": QUEUE_PAUSED})


@handlers.operation("get_queue_status")
async def get_queue_status(call: OperationCall) -> Response:
    """Whether the queue runs and how many downloads are in each status."""
    queue = await services(call).downloads.queue_state()
    return reply(
        {
            "state": QUEUE_RUNNING if queue.running else QUEUE_PAUSED,
            "queued": queue.counts.get(QUEUED, 0),
            "started": queue.counts.get(STARTED, 0),
            "completed": queue.counts.get(COMPLETED, 0),
            "failed": queue.counts.get(ERROR, 0),
        }
    )
