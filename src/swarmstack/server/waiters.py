"""Clients waiting for outcomes (`?wait=`, SSE): woken by signals, with polling as a fallback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from swarmstack.errors import StoreUnavailable
from swarmstack.store import Store

log = logging.getLogger(__name__)
_CHUNK = 500


class Waiters:
    """Futures keyed by task id, resolved when the task has an outcome."""

    def __init__(self, store: Store, poll_s: float = 0.05) -> None:
        self._store = store
        self._poll_s = poll_s
        self._futures: dict[str, list[asyncio.Future[None]]] = defaultdict(list)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the fallback poller."""
        self._task = asyncio.create_task(self._poll_loop(), name="waiters-poll")

    async def wait(self, task_id: str, timeout_s: float) -> bool:
        """True if the task finished within `timeout_s`."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._futures[task_id].append(future)
        try:
            async with asyncio.timeout(timeout_s):
                await future
            return True
        except TimeoutError:
            return False
        finally:
            self._forget(task_id, future)

    def resolve(self, task_ids: list[str]) -> None:
        """Wake the waiters of these tasks."""
        for task_id in task_ids:
            for future in self._futures.pop(task_id, []):
                if not future.done():
                    future.set_result(None)

    def _forget(self, task_id: str, future: asyncio.Future[None]) -> None:
        futures = self._futures.get(task_id)
        if futures and future in futures:
            futures.remove(future)
            if not futures:
                del self._futures[task_id]

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            pending = list(self._futures)
            for start in range(0, len(pending), _CHUNK):
                try:
                    done = await self._store.tasks.finished_among(pending[start : start + _CHUNK])
                except StoreUnavailable as exc:
                    log.warning("waiter poll failed: %s", exc)
                    break
                self.resolve([t.id for t in done])

    async def aclose(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
