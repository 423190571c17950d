"""Buffer of events that agents emit while they run (tokens, steps), flushed in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from swarmstack.errors import StoreUnavailable, SwarmstackError
from swarmstack.store import Store

log = logging.getLogger(__name__)
MAX_PENDING = 100_000  # events kept while the store is down; older ones are dropped beyond it


class EventBuffer:
    """Collects events and writes them every `interval_s` in one transaction."""

    def __init__(self, store: Store, interval_s: float = 0.05) -> None:
        self._store = store
        self._interval_s = interval_s
        self._pending: list[tuple[str, str, dict[str, Any], float]] = []
        self._task: asyncio.Task[None] | None = None
        # One flush at a time: a flush that started later must not commit first, or events
        # would be stored out of order, and an outcome could be recorded (after its own flush)
        # while its task's earlier events were still being written by the periodic one.
        self._flushing = asyncio.Lock()

    def sink(self, task_id: str) -> Any:
        """An `emit(type, data)` function bound to one task."""

        def emit(kind: str, data: dict[str, Any]) -> None:
            self._pending.append((task_id, kind, data, time.time()))

        return emit

    def start(self) -> None:
        """Start the periodic flusher."""
        self._task = asyncio.create_task(self._loop(), name="event-flusher")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.flush()
            except Exception:  # never end the flusher: later events still need storing
                log.exception("flushing task events failed")

    async def flush(self) -> None:
        """Write what is pending, after any flush already under way (so events are stored in the
        order they were emitted, and all emitted before this call are stored when it returns).
        While the store is unavailable keep them for the next round (at most MAX_PENDING events,
        the oldest dropped first); any other fault drops the batch with a log line, so a bad
        event never blocks the outcomes recorded after it."""
        async with self._flushing:
            await self._flush()

    async def _flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        try:
            await self._store.events.append(batch)
        except StoreUnavailable as exc:
            log.warning("could not store %d task events (%s); retrying next flush", len(batch), exc)
            self._pending = batch + self._pending
            if len(self._pending) > MAX_PENDING:
                dropped = len(self._pending) - MAX_PENDING
                log.error("dropping the %d oldest task events: the store is still down", dropped)
                del self._pending[:dropped]
        except SwarmstackError as exc:
            log.error("dropping %d task events the store refused: %s", len(batch), exc)

    async def aclose(self) -> None:
        """Stop the flusher and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
