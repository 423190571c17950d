"""The worker process loop: claim -> execute -> record, with heartbeats and a graceful drain.

Invariants: a task runs only while this worker holds its lease; a task whose lease is lost or
that is cancelled is stopped locally and never reports an outcome; outcomes are recorded in
batches and retried while the store is down, so an accepted task is never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Sequence

from swarmstack.agents import SwarmRuntime
from swarmstack.agents.context import trim_history
from swarmstack.core.batcher import Batcher
from swarmstack.core.clock import Clock, SystemClock
from swarmstack.core.ids import TaskId, WorkerId, new_worker_id
from swarmstack.core.records import Outcome, TaskRecord
from swarmstack.core.retry import RetryPolicy
from swarmstack.core.tracecontext import tracer
from swarmstack.errors import StoreUnavailable, SwarmstackError
from swarmstack.metrics import Metrics
from swarmstack.settings.models import WorkerSettings
from swarmstack.signals import Signals
from swarmstack.store import Applied, Store, WorkerInfo
from swarmstack.worker.checkpoints import load_checkpoints
from swarmstack.worker.events import EventBuffer
from swarmstack.worker.execute import execute
from swarmstack.worker.recording import observe
from swarmstack.worker.tracing import task_span
from swarmstack.worker.versions import VersionSet

log = logging.getLogger(__name__)
LOOP_RETRY_S = 1.0  # pause after an unexpected error in a background loop


class Worker:
    """One worker: many tasks in flight on one event loop."""

    def __init__(
        self,
        store: Store,
        runtimes: dict[str, SwarmRuntime],
        signals: Signals,
        settings: WorkerSettings,
        metrics: Metrics,
        worker_id: WorkerId | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()  # dates reports; leases use the store's clock
        self.runtimes = runtimes
        self.signals = signals
        self.settings = settings
        self.metrics = metrics
        self.id = worker_id or new_worker_id(socket.gethostname(), os.getpid())
        self.running: dict[TaskId, asyncio.Task[None]] = {}
        self.per_swarm: dict[str, int] = dict.fromkeys(runtimes, 0)
        self.last_beat = 0.0
        self._started_at = 0.0
        self._host = socket.gethostname()  # read once: every heartbeat reports it
        self._stopping = asyncio.Event()
        self._give_up_at: float | None = None  # monotonic deadline for store retries once stopping
        self._slot_freed = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._events = EventBuffer(store)
        self._outcomes: Batcher[Outcome, Applied | None] = Batcher(
            self._record,
            max_size=settings.batch_size,
            max_wait_s=settings.batch_timeout,
            name="outcomes",
        )
        self.versions = VersionSet(store, runtimes, metrics, settings.code_version)
        signals.on_cancel(self._cancel_local)
        store.claims.policies.update(
            {name: RetryPolicy.of(rt.spec.runtime) for name, rt in runtimes.items()}
        )

    @property
    def lease_s(self) -> float:
        """The shortest lease among this worker's swarms."""
        return min(rt.spec.runtime.lease for rt in self.runtimes.values())

    def capacity(self, swarm: str) -> int:
        """Free slots for `swarm`."""
        limit = self.settings.max_concurrent or self.runtimes[swarm].spec.runtime.max_concurrent
        return limit - self.per_swarm[swarm]

    def reconfigure(self, settings: WorkerSettings) -> None:
        """Apply re-read settings: batch sizes and waits at once, the rest at their next use
        (claim size, poll interval, concurrency, drain time, version refresh)."""
        self.settings = settings
        self._outcomes.resize(settings.batch_size, settings.batch_timeout)

    async def start(self) -> None:
        """Register and start the claim, heartbeat and cancellation loops."""
        now = self.clock.now()
        self._started_at = now
        await self.versions.refresh()
        await self.store.cluster.register(self._info())  # with the versions it loaded
        self.last_beat = now
        self._events.start()
        cancel_after = await self.store.events.last_id()
        self._loops = [
            asyncio.create_task(self._versions_loop(), name="versions"),
            asyncio.create_task(self._claim_loop(), name="claim"),
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(self._cancel_loop(cancel_after), name="cancel-feed"),
        ]
        log.info("worker %s started for swarms %s; claiming now", self.id, sorted(self.runtimes))

    async def stop(self, drain_timeout_s: float | None = None) -> None:
        """Stop claiming, let running tasks finish, then give back what is left."""
        self._stopping.set()
        self._slot_freed.set()
        timeout = self.settings.drain_timeout if drain_timeout_s is None else drain_timeout_s
        self._give_up_at = time.monotonic() + timeout
        if self.running:
            log.info("draining %d tasks for up to %.0fs", len(self.running), timeout)
            await asyncio.wait(list(self.running.values()), timeout=timeout)
        leftover = list(self.running)
        for task in list(self.running.values()):
            task.cancel()
        await asyncio.gather(*self.running.values(), return_exceptions=True)
        await self._outcomes.aclose()
        with contextlib.suppress(StoreUnavailable):
            released = await self.store.claims.release(self.id, leftover, self.clock.now())
            if released:
                log.info("released %d unfinished tasks for other workers", released)
                self.signals.work_submitted(self.runtimes)
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        await self._events.aclose()
        await self.versions.aclose(keep=self.runtimes.values())
        for runtime in self.runtimes.values():
            await runtime.aclose()
        with contextlib.suppress(StoreUnavailable):
            await self.store.cluster.deregister(self.id)

    async def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = await self._claim_once()
            except StoreUnavailable as exc:
                log.warning("claim failed (%s); retrying in %.1fs", exc, exc.delay_s)
                await asyncio.sleep(exc.delay_s)
                continue
            except Exception:  # a bug or a refused value must not end claiming for good
                log.exception("claim failed; retrying in %.1fs", LOOP_RETRY_S)
                await asyncio.sleep(LOOP_RETRY_S)
                continue
            if claimed:
                continue
            if all(self.capacity(s) <= 0 for s in self.runtimes):
                self._slot_freed.clear()
                await self._slot_freed.wait()
            else:
                await self.signals.wait_for_work(self.settings.poll_interval)

    async def _claim_once(self) -> int:
        total = 0
        for swarm in self.runtimes:
            limit = min(self.capacity(swarm), self.settings.claim_batch)
            if limit <= 0:
                continue
            lease_s = self.runtimes[swarm].spec.runtime.lease
            versions = self.versions.of(swarm)
            for task in await self.store.claims.claim(
                self.id, [swarm], limit, self.clock.now(), lease_s, versions
            ):
                self._spawn(task)
                total += 1
        return total

    def _spawn(self, task: TaskRecord) -> None:
        self.per_swarm[task.swarm] += 1
        self.metrics.in_flight.labels(task.swarm).inc()
        self.running[task.id] = asyncio.create_task(self._run_one(task), name=task.id)

    async def _run_one(self, task: TaskRecord) -> None:
        try:
            with task_span(task) as span:
                runtime = self.versions.runtime(task.swarm, task.version)
                outcome = await execute(
                    task,
                    runtime,
                    self.id,
                    self._events.sink(task.id),
                    self.metrics,
                    await self._history(task, runtime),
                    now=self.clock.now,
                    checkpoints=await load_checkpoints(self.store, task, runtime.spec),
                )
                span.set_attribute("swarmstack.outcome", outcome.kind.value)
                with tracer().start_as_current_span("record"):
                    await self._outcomes.submit(outcome)
        except asyncio.CancelledError:
            log.debug("task %s stopped locally (cancelled, lease lost or draining)", task.id)
        except Exception:  # its lease expires and it runs again; this worker goes on
            log.exception("task %s: the worker failed to run or record it", task.id)
        finally:
            self.running.pop(task.id, None)
            self.per_swarm[task.swarm] -= 1
            self.metrics.in_flight.labels(task.swarm).dec()
            self._slot_freed.set()

    def _info(self) -> WorkerInfo:
        """This worker as the cluster table records it."""
        now = self.clock.now()
        return WorkerInfo(
            self.id,
            self._host,
            os.getpid(),
            sorted(self.runtimes),
            len(self.running),
            self._started_at,
            now,
            tuple(self.versions.names()),
        )

    async def _history(self, task: TaskRecord, runtime: SwarmRuntime) -> list[dict[str, str]]:
        if task.session is None:
            return []
        sessions = runtime.spec.sessions
        messages = await self.store.sessions.history(task.session, sessions.max_messages)
        return trim_history(messages, sessions.max_tokens)

    async def _record(self, outcomes: Sequence[Outcome]) -> list[Applied | None]:
        """Record a batch: retried while the store is unavailable, but only until the drain
        deadline once stopping (the leases then expire and the tasks run again elsewhere:
        at-least-once, nothing lost); the store itself isolates and replaces refused rows."""
        delay = 0.2
        await self._events.flush()  # step and token events are stored before the outcome
        while True:
            try:
                applied = await self.store.claims.record(outcomes)
                break
            except StoreUnavailable as exc:
                if self._give_up_at is not None and time.monotonic() >= self._give_up_at:
                    log.error(
                        "stopping: %d outcomes not recorded (%s); their leases will expire "
                        "and the tasks run again",
                        len(outcomes),
                        exc,
                    )
                    return [None] * len(outcomes)
                log.warning("recording %d outcomes failed (%s); retrying", len(outcomes), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            except SwarmstackError as exc:
                log.error("%d outcomes could not be recorded: %s", len(outcomes), exc)
                return [None] * len(outcomes)
        observe(applied, self.metrics)
        self.signals.tasks_finished([a.outcome.task_id for a in applied if a.status.terminal])
        if retried := {a.swarm for a in applied if not a.status.terminal}:
            self.signals.work_submitted(retried)
        by_id = {a.outcome.task_id: a for a in applied}
        return [by_id.get(o.task_id) for o in outcomes]

    async def _versions_loop(self) -> None:
        """Load newly deployed versions of this worker's swarms (a canary, a pinned preview)."""
        while True:
            await asyncio.sleep(self.settings.version_refresh)
            try:
                await self._refresh_versions()
            except StoreUnavailable as exc:
                log.warning("looking for new versions failed (%s)", exc)
            except Exception:
                log.exception("looking for new versions failed")

    async def _refresh_versions(self) -> None:
        if await self.versions.refresh():
            await self.store.cluster.set_versions(self.id, self.versions.names())
            self._slot_freed.set()  # claim at once what the new versions can run

    async def _heartbeat_loop(self) -> None:
        interval = max(0.2, min(2.0, self.lease_s / 3))
        while True:
            await asyncio.sleep(interval)
            try:
                running = list(self.running)
                held = await self.store.claims.heartbeat(
                    self.id, running, self.clock.now(), self.lease_s
                )
                if not await self.store.cluster.beat(self._info()):
                    log.warning("worker %s had been forgotten: registered again", self.id)
            except StoreUnavailable as exc:
                log.warning("heartbeat failed (%s); leases may expire", exc)
                continue
            except Exception:
                log.exception("heartbeat failed; leases may expire")
                continue
            self.last_beat = time.time()
            self._cancel_local([t for t in running if t not in held])

    async def _cancel_loop(self, after_id: int) -> None:
        while True:
            await asyncio.sleep(0.5)
            try:
                ids, after_id = await self.store.events.cancelled_since(after_id)
            except StoreUnavailable:
                continue
            except Exception:
                log.exception("reading cancellations failed; retrying")
                continue
            self._cancel_local(ids)

    def _cancel_local(self, task_ids: list[str]) -> None:
        for task_id in task_ids:
            running = self.running.get(TaskId(task_id))
            if running is not None:
                log.info("stopping task %s: cancelled or lease lost", task_id)
                running.cancel()
