"""The rollout controller: each leader tick, every swarm's rollout moves one step of the pure
state machine (`core.rollout`), with analyses measured from the store.

It keeps no state of its own: the state lives in the store and every change is a compare-and-set
on its generation, so a leader killed mid-rollout is followed by the next leader without a step
skipped or repeated (the new leader reads the same state and the same clock decides).
"""

from __future__ import annotations

import logging

from swarmstack.core import rollout
from swarmstack.core.rollout_types import Phase, RolloutState
from swarmstack.deploy.service import apply_actions, history_lines, plan_for
from swarmstack.metrics import Metrics
from swarmstack.store import Store

log = logging.getLogger(__name__)


class RolloutController:
    """Advances every swarm's rollout once per `tick` (run by the leader manager)."""

    def __init__(self, store: Store, metrics: Metrics) -> None:
        self.store = store
        self.metrics = metrics
        self._reported: set[tuple[str, str]] = set()

    async def tick(self, now: float) -> list[str]:
        """One round over every swarm; the swarms whose rollout changed."""
        changed = []
        for swarm, state, generation in await self.store.deployments.states():
            if await self._advance(swarm, state, generation, now):
                changed.append(swarm)
        await self._gauges()
        return changed

    async def _advance(self, swarm: str, state: RolloutState, generation: int, now: float) -> bool:
        if state.phase is Phase.HEALTHY and state.retire_at is None:
            return False
        plan = await plan_for(self.store, swarm, state)
        analysis = None
        window = rollout.analysis_due(plan, state, now)
        if window is not None and state.candidate is not None:
            candidate = await self.store.deployments.stats(swarm, state.candidate, window)
            stable = await self.store.deployments.stats(swarm, state.stable, window)
            analysis = rollout.analyse(plan.analysis, candidate, stable, now, window)
            self.metrics.analysis_runs.labels(swarm, analysis.verdict.value).inc()
        new, actions = rollout.advance(plan, state, now, analysis)
        if new == state and not actions:
            return False
        lines = history_lines(state, new, actions)
        saved = await self.store.deployments.save_state(swarm, new, generation, now, lines)
        if saved is None:
            return False  # an operator's command came first; the next tick decides again
        await apply_actions(self.store, swarm, actions)
        return True

    async def _gauges(self) -> None:
        states = await self.store.deployments.states()
        for swarm, state, _ in states:
            self.metrics.rollout_weight.labels(swarm).set(state.weight)
            for phase in Phase:
                self.metrics.rollout_phase.labels(swarm, phase.value).set(
                    1 if state.phase is phase else 0
                )
        await self._unrunnable([swarm for swarm, _, _ in states])

    async def _unrunnable(self, swarms: list[str]) -> None:
        """1 for each version with queued tasks that no live worker has loaded (its tasks
        would wait for ever), 0 once one does."""
        runnable = {
            v for w in await self.store.cluster.workers(alive_within_s=15) for v in w.versions
        }
        queued = set(await self.store.tasks.queued_versions(swarms, limit=1000))
        for swarm, version in queued | self._reported:
            stuck = (swarm, version) in queued and f"{swarm}@{version}" not in runnable
            self.metrics.versions_unrunnable.labels(swarm, version).set(1 if stuck else 0)
            if stuck and (swarm, version) not in self._reported:
                log.warning(
                    "version %s of swarm %s has queued tasks no live worker runs", version, swarm
                )
        self._reported = queued
