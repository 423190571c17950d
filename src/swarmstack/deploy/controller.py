"""The rollout controller: each leader tick, every swarm's rollout moves one step of the pure
state machine (`core.rollout`), with analyses measured from the store.

It keeps no state of its own: the state lives in the store and every change is a compare-and-set
on its generation, so a leader killed mid-rollout is followed by the next leader without a step
skipped or repeated (the new leader reads the same state and the same clock decides).
"""

from __future__ import annotations

import logging

from swarmstack.core import rollout
from swarmstack.core.rollout_types import Action, Phase, RolloutState
from swarmstack.deploy.service import history_lines, plan_for
from swarmstack.errors import SwarmstackError
from swarmstack.metrics import Metrics
from swarmstack.store import AuditEntry, Store

log = logging.getLogger(__name__)
CONTROLLER = "system:rollout-controller"  # the principal of the controller's own changes


STRANDED_AFTER_S = 30.0  # default time for workers to load a version before it is stranded


async def live_versions(store: Store) -> set[str]:
    """`swarm@version` of every version a live worker has loaded."""
    return {v for w in await store.cluster.workers(alive_within_s=15) for v in w.versions}


def stranded(
    swarm: str,
    state: RolloutState,
    now: float,
    runnable: set[str],
    after_s: float = STRANDED_AFTER_S,
) -> bool:
    """An in-flight candidate that no live worker has loaded `after_s` seconds after its
    deploy, while stable runs: its tasks would wait for ever, so the rollout is aborted. With no
    live worker at all (scaled to zero, an outage) nothing is judged."""
    in_flight = state.phase in (Phase.PROGRESSING, Phase.PAUSED) and state.candidate is not None
    return (
        in_flight
        and now - state.started_at >= after_s
        and f"{swarm}@{state.stable}" in runnable
        and f"{swarm}@{state.candidate}" not in runnable
    )


class RolloutController:
    """Advances every swarm's rollout once per `tick` (run by the leader manager)."""

    def __init__(
        self, store: Store, metrics: Metrics, stranded_after_s: float = STRANDED_AFTER_S
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.stranded_after_s = stranded_after_s
        self._reported: set[tuple[str, str]] = set()
        self._unaudited: list[tuple[AuditEntry, float]] = []

    async def tick(self, now: float) -> list[str]:
        """One round over every swarm; the swarms whose rollout changed."""
        changed = []
        runnable = await live_versions(self.store)
        for swarm, state, generation in await self.store.deployments.states():
            if await self._advance(swarm, state, generation, now, runnable):
                changed.append(swarm)
        await self._gauges()
        return changed

    async def _advance(
        self, swarm: str, state: RolloutState, generation: int, now: float, runnable: set[str]
    ) -> bool:
        if state.phase is Phase.HEALTHY and state.retire_at is None:
            return False
        if stranded(swarm, state, now, runnable, self.stranded_after_s):
            new, actions = rollout.reject(
                state,
                f"no live worker can run {state.candidate} (it does not load where {state.stable} "
                "runs: see the workers' logs for why)",
            )
            return await self._save(swarm, state, generation, now, new, actions)
        plan = await plan_for(self.store, swarm, state)
        analysis = None
        window = rollout.analysis_due(plan, state, now)
        if window is not None and state.candidate is not None:
            candidate = await self.store.deployments.stats(swarm, state.candidate, window)
            stable = await self.store.deployments.stats(swarm, state.stable, window)
            analysis = rollout.analyse(plan.analysis, candidate, stable, now, window)
            self.metrics.analysis_runs.labels(swarm, analysis.verdict.value).inc()
        new, actions = rollout.advance(plan, state, now, analysis)
        return await self._save(swarm, state, generation, now, new, actions)

    async def _save(
        self,
        swarm: str,
        state: RolloutState,
        generation: int,
        now: float,
        new: RolloutState,
        actions: list[Action],
    ) -> bool:
        if new == state and not actions:
            return False
        lines = history_lines(state, new, actions)
        saved = await self.store.deployments.save_state(swarm, new, generation, now, lines)
        if saved is None:
            return False  # an operator's command came first; the next tick decides again
        for action, message, version, _previous in lines:
            entry = AuditEntry(
                CONTROLLER, f"rollout.{action}", swarm, "-", "ok",
                {"version": version, "message": message[:300]},
            )  # fmt: skip
            self._unaudited.append((entry, now))
        return True

    async def record_audit(self) -> None:
        """Put the controller's own steps, aborts and promotions of the last tick in the audit
        log. The leader calls it once its routes follow the changes, so the audit write never
        delays them."""
        pending, self._unaudited = self._unaudited, []
        for entry, at in pending:
            try:
                await self.store.audit.append(entry, at)
            except SwarmstackError as exc:
                self.metrics.audit_failures.inc()
                log.error("could not audit %s of %s: %s", entry.action, entry.target, exc)

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
