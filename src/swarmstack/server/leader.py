"""Work only one manager does at a time: sweeping expired leases, retention (`housekeeping`)
and refreshing gauges.

Leadership is a lease row renewed every few seconds; when the leader dies another manager takes
over once the lease expires.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable

from swarmstack.core.states import TaskStatus
from swarmstack.deploy.controller import RolloutController
from swarmstack.errors import StoreUnavailable
from swarmstack.metrics import Metrics
from swarmstack.server.housekeeping import Housekeeping
from swarmstack.signals import Signals
from swarmstack.store import ManagerInfo, Store
from swarmstack.store.advisory import AdvisoryLock

log = logging.getLogger(__name__)
LEASE = "leader"


class Leader:
    """Runs the sweeper loop while this manager holds the leader lease."""

    def __init__(
        self,
        store: Store,
        signals: Signals,
        metrics: Metrics,
        owner: str,
        swarms: list[str],
        interval_s: float = 1.0,
        ttl_s: float = 10.0,
        lock: AdvisoryLock | None = None,
        housekeeping: Housekeeping | None = None,
        rollouts: RolloutController | None = None,
        on_rollouts: Callable[[list[str]], Awaitable[None]] | None = None,
    ) -> None:
        self.swarms = swarms
        self.store = store
        self.signals = signals
        self.metrics = metrics
        self.owner = owner
        self.interval_s = interval_s
        self.ttl_s = ttl_s
        self.is_leader = False
        self.started_at = time.time()
        self.lock = lock
        self.housekeeping = housekeeping
        self.rollouts = rollouts
        self.on_rollouts = on_rollouts  # e.g. refresh this manager's routes at once

    async def run(self) -> None:
        """Loop forever: take or renew leadership, then sweep and refresh gauges."""
        while True:
            try:
                await self.tick(time.time())
            except StoreUnavailable as exc:
                self.is_leader = False
                log.warning("leader tick failed (%s); retrying in %.1fs", exc, self.interval_s)
            except Exception:  # a bug or a refused value must not end sweeping for good
                log.exception("leader tick failed; retrying in %.1fs", self.interval_s)
            await asyncio.sleep(self.interval_s)

    async def tick(self, now: float) -> None:
        """One round of leader work."""
        was = self.is_leader
        presence = ManagerInfo(self.owner, socket.gethostname(), os.getpid(), self.started_at, now)
        await self.store.cluster.beat_manager(presence)
        self.is_leader = await self._lead(now)
        if self.is_leader and not was:
            log.info("manager %s is now the leader; it runs the lease sweeper", self.owner)
        if self.is_leader:
            await self._sweep(now)
        await self._gauges(now)
        if self.is_leader and self.rollouts is not None:
            changed = await self.rollouts.tick(await self.store.db.now())
            if changed:
                self.signals.work_submitted(changed)  # workers load new versions at once
                if self.on_rollouts is not None:
                    await self.on_rollouts(changed)
            await self.rollouts.record_audit()  # after the routes follow, not before
        if self.is_leader and self.housekeeping is not None:
            await self.housekeeping.tick()

    async def _lead(self, now: float) -> bool:
        """Whether this manager leads: the advisory lock on PostgreSQL, else the lease row."""
        if self.lock is None:
            return await self.store.cluster.acquire(LEASE, self.owner, now, self.ttl_s)
        if not await self.lock.hold():
            return False
        await self.store.cluster.publish(LEASE, self.owner, now, self.ttl_s)
        return True

    async def _sweep(self, now: float) -> None:
        swept = await self.store.claims.sweep(now)
        for swarm, status in swept:
            self.metrics.leases_expired.labels(swarm).inc()
            if status is TaskStatus.QUEUED:
                self.metrics.retries.labels(swarm).inc()
        if swept:
            log.warning("re-queued or failed %d tasks whose lease expired", len(swept))
            self.signals.work_submitted({s for s, _ in swept})
        await self.store.cluster.prune(3600)

    async def resign(self) -> None:
        """Leave the cluster: forget this manager and free the lease for another at once."""
        if self.housekeeping is not None:
            await self.housekeeping.aclose()
        try:
            await self.store.cluster.forget_manager(self.owner)
            if self.is_leader:
                await self.store.cluster.release(LEASE, self.owner)
        except StoreUnavailable as exc:
            log.warning("could not resign from the cluster: %s", exc)
        if self.lock is not None:
            await self.lock.release()
        self.is_leader = False

    async def _gauges(self, now: float) -> None:
        depth = await self.store.tasks.queue_depth()
        for swarm in set(depth) | set(self.swarms):
            self.metrics.queue_depth.labels(swarm).set(depth.get(swarm, 0))
        self.metrics.workers.set(len(await self.store.cluster.workers(alive_within_s=10)))
