"""Clients waiting for outcomes (`?wait=`, SSE): woken by signals, with polling as a fallback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict

from swarmstack.errors import StoreUnavailable
from swarmstack.store import Store

log = logging.getLogger(__name__)
_CHUNK = 500


class Waiters:
    """Futures keyed by task id, resolved when the task has an outcome.

    Signals resolve them at once. The fallback poll must stay cheap however many clients wait,
    so it reads the outcome events since its last look (one range query), checks only the tasks
    whose waiters arrived since then, and sweeps every waiting task once per `sweep_s` in case a
    commit landed out of id order.
    """

    def __init__(self, store: Store, poll_s: float = 0.05, sweep_s: float = 1.0) -> None:
        self._store = store
        self._poll_s = poll_s
        self._sweep_s = sweep_s
        self._futures: dict[str, list[asyncio.Future[None]]] = defaultdict(list)
        self._fresh: set[str] = set()
        self._cursor: int | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the fallback poller."""
        self._task = asyncio.create_task(self._poll_loop(), name="waiters-poll")

    async def wait(self, task_id: str, timeout_s: float) -> bool:
        """True if the task finished within `timeout_s`."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._futures[task_id].append(future)
        self._fresh.add(task_id)
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
        swept = time.monotonic()
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                if time.monotonic() - swept >= self._sweep_s:
                    swept = time.monotonic()
                    self._fresh.update(self._futures)
                await self._poll_once()
            except StoreUnavailable as exc:
                log.warning("waiter poll failed: %s", exc)
            except Exception:
                log.exception("waiter poll failed")

    async def _poll_once(self) -> None:
        if not self._futures:
            self._cursor = None
            self._fresh.clear()
            return
        if self._cursor is None:
            self._cursor = await self._store.events.last_id()
            self._fresh.update(self._futures)
        finished, self._cursor = await self._store.events.finished_since(self._cursor)
        self.resolve(finished)
        fresh = [task_id for task_id in self._fresh if task_id in self._futures]
        self._fresh.clear()
        for start in range(0, len(fresh), _CHUNK):
            self.resolve(await self._store.tasks.finished_among(fresh[start : start + _CHUNK]))

    async def aclose(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
