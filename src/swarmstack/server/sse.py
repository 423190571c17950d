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


async def event_stream(
    manager: Manager, task_id: str, after: int, request: Request
) -> AsyncIterator[str]:
    """Frames until an outcome event was sent or the client goes away."""
    yield "retry: 1000\n\n"
    last_sent = time.monotonic()
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
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        await manager.waiters.wait(task_id, 0.1)
