"""Group commit: coalesce items from many coroutines into one store call.

Under load a batch fills while the previous one commits, so commits per task fall as load
rises; when idle an item is flushed at once (or after `max_wait_s`). Used for submits (manager)
and outcomes (worker).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Flush = Callable[[Sequence[T]], Awaitable[Sequence[R]]]


class Batcher(Generic[T, R]):
    """Items in, one `flush(batch)` per batch, each caller gets its own result."""

    def __init__(
        self,
        flush: Flush[T, R],
        *,
        max_size: int = 256,
        max_wait_s: float = 0.0,
        name: str = "batcher",
    ) -> None:
        self._flush = flush
        self._max_size = max_size
        self._max_wait_s = max_wait_s
        self._name = name
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Queue `item` and wait for its result (or the flush's exception)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=self._name)
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return await future

    async def _run(self) -> None:
        while (first := await self._queue.get()) is not None:
            batch = [first]
            stop = await self._fill(batch)
            await self._deliver(batch)
            if stop:
                return

    async def _fill(self, batch: list[tuple[T, asyncio.Future[R]]]) -> bool:
        """Add queued items to `batch`; True when the stop marker was reached."""
        if self._max_wait_s > 0 and self._queue.empty():
            await asyncio.sleep(self._max_wait_s)
        while len(batch) < self._max_size and not self._queue.empty():
            item = self._queue.get_nowait()
            if item is None:
                return True
            batch.append(item)
        return False

    async def _deliver(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
            if len(results) != len(batch):
                raise ValueError(
                    f"{self._name}: flush returned {len(results)} results for "
                    f"{len(batch)} items (zip mismatch)"
                )
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=False):
            if not future.done():
                future.set_result(result)

    def resize(self, max_size: int, max_wait_s: float) -> None:
        """Change the batch size and wait for the next batches (settings re-read live)."""
        self._max_size = max_size
        self._max_wait_s = max_wait_s

    async def aclose(self) -> None:
        """Flush what is queued, then stop."""
        if self._task is not None and not self._task.done():
            self._queue.put_nowait(None)
            await self._task
