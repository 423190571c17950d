"""Server-sent events for one task: stored events after an id, then live ones until the end."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from fastapi import Request

from swarmstack.core.records import TaskEvent
from swarmstack.core.states import TERMINAL
from swarmstack.server.state import Manager

_FINAL = {s.value for s in TERMINAL}
KEEPALIVE_S = 15.0


def format_event(event: TaskEvent) -> str:
    """One SSE frame."""
    payload = {"task_id": event.task_id, "type": event.type, "at": event.created_at, **event.data}
    return f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(payload)}\n\n"


async def finished_before(manager: Manager, task_id: str, after: int) -> bool:
    """True when the task is terminal and has no event after `after`: nothing more will come.

    The outcome event is written in the transaction that makes a task terminal, so a terminal
    task with nothing after `after` was fully seen (or `after` lies past its last event)."""
    task = await manager.store.tasks.get(task_id)
    return task.status.terminal and not await manager.store.events.after(task_id, after, limit=1)


async def event_stream(
    manager: Manager, task_id: str, after: int, request: Request
) -> AsyncIterator[str]:
    """Frames until an outcome event was sent, the task ended, or the client goes away."""
    yield "retry: 1000\n\n"
    last_sent = time.monotonic()
    finished = False
    while not await request.is_disconnected():
        events = await manager.store.events.after(task_id, after)
        for event in events:
            after = event.id
            yield format_event(event)
            if event.type in _FINAL:
                return
        if events:
            last_sent = time.monotonic()
            continue
        if time.monotonic() - last_sent > KEEPALIVE_S:
            if await finished_before(manager, task_id, after):
                return
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        elif finished and await finished_before(manager, task_id, after):
            return
        finished = await manager.waiters.wait(task_id, 0.1)
