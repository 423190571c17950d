"""A swarm's own bounded thread pool for sync agents and tools, and what it cannot stop.

Built by `SwarmRuntime`, one per swarm, so calls stuck in one swarm never take the threads of
another. Python cannot stop a thread: a call whose step times out or whose task is cancelled
is *abandoned* (its `asyncio` side returns at once, its thread runs on). Each abandoned call
sets its stop flag (read by `TaskContext.cancelled`), is counted in metrics and reported as a
`sync_call_abandoned` task event; `saturation()` says when abandoned calls hold every thread,
which the manager's `/ready` turns into a 503.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from swarmstack.agents.context import TaskContext, call_stop

DEFAULT_SYNC_POOL_SIZE = 16  # when neither the spec nor settings agents.sync_pool_size set one


class _Inc(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class _Set(Protocol):
    def set(self, value: float) -> None: ...


class _Labelled(Protocol):
    def labels(self, *labelvalues: Any, **labelkwargs: Any) -> Any: ...


class PoolMetrics(Protocol):
    """What a pool updates (satisfied by `swarmstack.metrics.Metrics`)."""

    @property
    def sync_calls_abandoned(self) -> _Labelled: ...  # swarm, agent -> counter

    @property
    def sync_threads_abandoned(self) -> _Labelled: ...  # swarm -> gauge


class SyncPool:
    """Bounded threads of one swarm; counts calls still running after they were abandoned."""

    def __init__(self, swarm: str, size: int, metrics: PoolMetrics | None = None) -> None:
        self.swarm = swarm
        self.size = size
        self.metrics = metrics
        self.abandoned = 0  # abandoned calls whose thread still runs
        self.abandoned_total = 0
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(size, thread_name_prefix=f"agent-{swarm}")

    async def run(self, fn: Callable[..., Any], ctx: TaskContext, agent: str) -> Any:
        """`fn()` on a pool thread; on cancel or timeout the call is abandoned and flagged."""
        stop = threading.Event()
        context = contextvars.copy_context()
        context.run(call_stop.set, stop)
        future = self._executor.submit(context.run, fn)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            stop.set()
            if not future.cancel():  # already running: the thread goes on without us
                self._abandon(future, ctx, agent)
            raise

    def saturation(self) -> str | None:
        """Why this pool cannot take work, or None while a thread is free of abandoned calls."""
        if self.abandoned < self.size:
            return None
        return (
            f"all {self.size} sync threads of swarm {self.swarm!r} are held by abandoned calls "
            "(sync agents that timed out or were cancelled and never returned); make them "
            "check ctx.cancelled, use isolation: process, or restart the worker"
        )

    def shutdown(self) -> None:
        """Stop taking calls; threads still running are left to finish on their own."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _abandon(self, future: Future[Any], ctx: TaskContext, agent: str) -> None:
        with self._lock:
            self.abandoned += 1
            self.abandoned_total += 1
            stuck = self.abandoned
        if self.metrics is not None:
            self.metrics.sync_calls_abandoned.labels(self.swarm, agent).inc()
            self.metrics.sync_threads_abandoned.labels(self.swarm).set(stuck)
        ctx.emit(
            "sync_call_abandoned",
            {"agent": agent, "abandoned_threads": stuck, "pool_size": self.size},
        )
        future.add_done_callback(functools.partial(_released, self))


def _released(pool: SyncPool, _: Future[Any]) -> None:
    """An abandoned call's thread returned at last (runs on that thread)."""
    with pool._lock:
        pool.abandoned -= 1
        stuck = pool.abandoned
    if pool.metrics is not None:
        pool.metrics.sync_threads_abandoned.labels(pool.swarm).set(stuck)


async def run_sync(
    pool: SyncPool | None, fn: Callable[..., Any], ctx: TaskContext, agent: str
) -> Any:
    """`fn()` in `pool`; without one (agents called directly) in the loop's default pool."""
    if pool is None:
        return await asyncio.to_thread(fn)
    return await pool.run(fn, ctx, agent)
