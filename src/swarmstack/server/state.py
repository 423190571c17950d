"""The manager's state: loaded swarms, the store, signals, batching and waiters."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from swarmstack.core.batcher import Batcher
from swarmstack.core.ids import (
    TaskId,
    new_task_id,
    node_id,
    request_hash,
    scoped_session,
    session_scope,
)
from swarmstack.core.records import NewTask, TaskRecord
from swarmstack.core.retention import plan_of
from swarmstack.core.states import Priority
from swarmstack.core.tracecontext import current_traceparent
from swarmstack.deploy.controller import RolloutController
from swarmstack.deploy.router import Router
from swarmstack.deploy.service import Deployer
from swarmstack.errors import DecryptionFailed, NotFound, SwarmstackError
from swarmstack.metrics import Metrics
from swarmstack.security.tokens import TokenKeys, keys_from
from swarmstack.server.answers import task_json
from swarmstack.server.housekeeping import Housekeeping
from swarmstack.server.leader import Leader
from swarmstack.server.limits import Limiter, make_limiter
from swarmstack.server.queue_caps import QueueCaps
from swarmstack.server.waiters import Waiters
from swarmstack.settings import Settings
from swarmstack.signals import ResultCache, Signals
from swarmstack.spec import SwarmSpec
from swarmstack.store import Principal, Store, SubmitResult
from swarmstack.store.advisory import AdvisoryLock

CACHED_ANSWER = "cache.answer"  # the associated data of answers sealed in the result cache


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    """A validated submit, before it becomes a NewTask."""

    swarm: str | None
    input: Any
    priority: str | None
    timeout_s: float | None = None
    session: str | None = None
    idempotency_key: str | None = None
    version: str | None = None  # pin the task to this version (a preview, a blue-green test)


@dataclass(frozen=True, slots=True)
class _Origin:
    """What every task of one submit request shares: who sent it, when, and in which trace."""

    submitted_by: str  # the column's length; key names may have 100
    owner: str
    tenant: str | None
    scope: str | None  # whose sessions the tasks' sessions are
    created_at: float
    traceparent: str | None  # the submit's span, parent of the tasks'

    @classmethod
    def of(cls, who: Principal) -> _Origin:
        """The origin of a request `who` sends now, in the current span."""
        return cls(
            who.name[:80],
            who.id,
            who.tenant,
            session_scope(who.id, who.tenant),
            time.time(),
            current_traceparent(),
        )


def advisory_lock(settings: Settings) -> AdvisoryLock | None:
    """On PostgreSQL, managers elect their leader with an advisory lock."""
    url = settings.store_url()
    return AdvisoryLock(url) if url.startswith("postgresql") else None


@dataclass
class Manager:
    """Everything the HTTP handlers need."""

    store: Store
    specs: dict[str, SwarmSpec]
    settings: Settings
    signals: Signals
    metrics: Metrics
    id: str = field(default_factory=lambda: node_id(socket.gethostname(), os.getpid()))
    local_worker_beat: Callable[[], float] | None = None
    local_saturation: Callable[[], list[str]] | None = None  # in-process worker's full pools
    cache: ResultCache | None = None
    waiters: Waiters = field(init=False)
    leader: Leader = field(init=False)
    router: Router = field(init=False)
    token_keys: TokenKeys = field(init=False)
    deployer: Deployer = field(init=False)
    limiter: Limiter = field(init=False)
    queue_caps: QueueCaps = field(init=False)
    _submits: Batcher[NewTask, SubmitResult] = field(init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.token_keys = keys_from(self.settings.security)
        self.waiters = Waiters(self.store)
        self.router = Router(self.store, refresh_s=self.settings.server.route_refresh)
        self.deployer = Deployer(self.store, on_change=self._deployed)
        self.limiter = make_limiter(lambda: self.settings, self.metrics)
        self.queue_caps = QueueCaps(self.store.tasks.count_queued)
        self.leader = Leader(
            self.store,
            self.signals,
            self.metrics,
            self.id,
            list(self.specs),
            interval_s=self.settings.worker.sweep_interval,
            lock=advisory_lock(self.settings),
            rollouts=RolloutController(  # workers look for versions every version_refresh
                self.store, self.metrics, stranded_after_s=30 * self.settings.worker.version_refresh
            ),
            on_rollouts=self._routes_changed,
            housekeeping=Housekeeping(
                self.store,
                self.settings.retention,
                plan_of(self.settings.retention, {n: s.retention for n, s in self.specs.items()}),
                self.metrics,
            ),
        )
        self._submits = Batcher(
            self._flush_submits, max_size=self.settings.server.submit_batch_size, name="submits"
        )
        self.signals.on_finished(self.waiters.resolve)

    async def task_answer(self, task_id: str) -> bytes:
        """A task's API answer as JSON; finished ones come from the result cache when set.
        Cached answers are sealed like stored task data (Redis may write its memory to disk)."""
        if self.cache is not None and (cached := await self.cache.get(task_id)) is not None:
            with contextlib.suppress(DecryptionFailed, UnicodeDecodeError):
                return self.store.keyring.open(cached.decode(), CACHED_ANSWER).encode()
        task = await self.store.tasks.get(task_id)
        answer = task_json(task)
        if self.cache is not None and task.status.terminal:
            sealed = self.store.keyring.seal(answer.decode(), CACHED_ANSWER)
            await self.cache.put(task_id, sealed.encode())
        return answer

    @property
    def default_swarm(self) -> str:
        """The swarm used when a request names none (the first loaded, else the first
        deployed); NotFound when there is none."""
        for name in [*self.specs, *self.router.swarms()]:
            return name
        raise NotFound("no swarm is deployed yet", fix="deploy one: swarmstack deploy SPEC")

    def _deployed(self, swarm: str) -> None:
        """After a change made here: refresh routes soon and wake workers to load versions."""
        self.signals.work_submitted([swarm])
        self._tasks.append(asyncio.create_task(self._refresh_routes(), name="routes"))

    async def _routes_changed(self, _swarms: list[str]) -> None:
        """The leader moved a rollout: route new tasks by it at once on this manager (other
        managers refresh within `router.refresh_s`)."""
        await self.router.refresh()

    async def _refresh_routes(self) -> None:
        with contextlib.suppress(SwarmstackError):
            await self.router.refresh()

    async def start(self) -> None:
        """Start background loops (waiter poller, leader, route refresh)."""
        with contextlib.suppress(SwarmstackError):
            await self.router.refresh()
        self.router.start()
        self.waiters.start()
        self._tasks.append(asyncio.create_task(self.leader.run(), name="leader"))

    async def stop(self) -> None:
        """Stop background loops."""
        await self._submits.aclose()
        await self.waiters.aclose()
        await self.router.aclose()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.leader.resign()
        await self.limiter.aclose()

    def spec(self, swarm: str | None) -> SwarmSpec:
        """The stable spec of `swarm` (default when None), or NotFound listing known swarms."""
        name = swarm or self.default_swarm
        routed = self.router.stable_spec(name)
        if routed is not None:
            return routed
        if name not in self.specs:
            known = sorted({*self.specs, *self.router.swarms()})
            raise NotFound(f"no swarm named {name!r}", fix=f"use one of: {', '.join(known)}")
        return self.specs[name]

    async def submit(self, req: SubmitRequest, who: Principal) -> TaskRecord:
        """Store a task (202 only after commit) and wake workers. The task runs on the version
        the client pinned, else on the one the swarm's route picks for its routing key (its
        session, else its id), and that version's spec sets its retries and timeout. Routes are
        refreshed every second, so the store checks the version inside the insert: a routed
        task on a version retired meanwhile is stored on stable, a pinned one is refused (409);
        see `store.reroute`."""
        new = await self._prepare(req, _Origin.of(who), {})
        result = await self._submits.submit(new)
        if isinstance(result, SwarmstackError):
            raise result
        if result.id == new.id:
            self.metrics.tasks_submitted.labels(new.swarm).inc()
        return result

    async def submit_many(
        self, reqs: Sequence[SubmitRequest], who: Principal
    ) -> list[TaskRecord | SwarmstackError]:
        """Store a batch of tasks in one transaction (all or none of them, so a failure never
        leaves part of a batch stored), each routed, validated and deduplicated as `submit`
        does it; per request, in order, the stored task (or the earlier one under its
        idempotency key) or the error a single submit would raise. The tasks of a batch share
        their creation time and trace context (the submit's span). Raises StoreUnavailable for
        the whole batch when the store is down: nothing of it was stored."""
        results: list[TaskRecord | SwarmstackError | None] = [None] * len(reqs)
        ready: list[tuple[int, NewTask]] = []
        origin = _Origin.of(who)
        specs: dict[str | None, SwarmSpec] = {}  # the stable spec per swarm named in the batch
        for index, req in enumerate(reqs):
            try:
                ready.append((index, await self._prepare(req, origin, specs)))
            except SwarmstackError as exc:
                results[index] = exc
        stored = await self._flush_submits([new for _, new in ready]) if ready else []
        new_by_swarm: Counter[str] = Counter()
        for (index, new), result in zip(ready, stored, strict=True):
            results[index] = result
            if isinstance(result, TaskRecord) and result.id == new.id:
                new_by_swarm[new.swarm] += 1
        for swarm, count in new_by_swarm.items():
            self.metrics.tasks_submitted.labels(swarm).inc(count)
        return [r for r in results if r is not None]

    async def _prepare(
        self, req: SubmitRequest, origin: _Origin, specs: dict[str | None, SwarmSpec]
    ) -> NewTask:
        """The NewTask of `req`, on the version its swarm's route (or its pin) picks; `specs`
        caches the stable spec per swarm name across the tasks of one request."""
        stable = specs.get(req.swarm)
        if stable is None:
            stable = specs[req.swarm] = self.spec(req.swarm)
        name = stable.name
        task_id = new_task_id()
        if req.version is not None:
            version: str | None = req.version
            spec = await self.router.pinned(name, req.version)
        else:
            version = self.router.version_for(name, req.session or task_id)
            spec = self.router.specs.get((name, version or ""), stable)
        return self._new_task(req, spec, origin, task_id, version)

    def _new_task(
        self,
        req: SubmitRequest,
        spec: SwarmSpec,
        origin: _Origin,
        task_id: TaskId,
        version: str | None,
    ) -> NewTask:
        priority = req.priority or spec.runtime.default_priority
        timeout_s = req.timeout_s or spec.runtime.timeout
        key = f"{origin.owner}:{req.idempotency_key}" if req.idempotency_key else None
        fingerprint = (
            request_hash(
                spec.name,
                json.dumps(req.input, sort_keys=True),
                priority,
                str(timeout_s),
                req.session or "",
            )
            if key
            else None
        )
        return NewTask(
            id=task_id,
            swarm=spec.name,
            input=req.input,
            priority=Priority.value(priority),
            max_attempts=spec.runtime.retry_attempts + 1,
            timeout_s=timeout_s,
            submitted_by=origin.submitted_by,
            created_at=origin.created_at,
            idempotency_key=key,
            request_hash=fingerprint,
            session=scoped_session(req.session, origin.scope),
            owner=origin.owner,
            tenant=origin.tenant,
            session_policy=spec.sessions.on_conflict,
            version=version,
            traceparent=origin.traceparent,
            pinned=req.version is not None,
        )

    async def _flush_submits(self, batch: Sequence[NewTask]) -> list[SubmitResult]:
        results = await self.store.tasks.submit_many(batch)
        self.signals.work_submitted({t.swarm for t in batch})
        return results

    async def wait_for(self, task: TaskRecord, wait_s: float) -> TaskRecord:
        """The task after its outcome, or as it is when `wait_s` runs out."""
        wait_s = min(wait_s, self.settings.server.max_wait)
        if wait_s <= 0 or task.status.terminal:
            return task
        await self.waiters.wait(task.id, wait_s)
        return await self.store.tasks.get(task.id)
