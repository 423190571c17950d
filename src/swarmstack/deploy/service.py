"""Deploying versions and steering rollouts: the I/O around `core.rollout`'s decisions.

Every change reads the swarm's rollout state with its generation, asks the pure state machine
what follows, and stores the result by compare-and-set; when another writer (the leader's
controller, another operator) changed the state first, it reads again and decides again. The
stored state is all that managers and workers read, and the store moves the queued tasks of a
version the change retires in that same transaction (`store.reroute`), so no action is left to
carry out afterwards: the machine's actions only become history lines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from swarmstack.core import rollout
from swarmstack.core.rollout_plan import plan_from_dict, plan_to_dict
from swarmstack.core.rollout_types import (
    Action,
    Promote,
    Record,
    RolloutPlan,
    RolloutState,
)
from swarmstack.deploy.versions import content_hash, spec_document, version_label
from swarmstack.errors import Conflict, NotFound
from swarmstack.spec import SwarmSpec
from swarmstack.store import Deployment, Store

log = logging.getLogger(__name__)
Verb = Literal["promote", "promote-full", "abort", "pause", "resume", "retry"]
_CAS_TRIES = 20
Decide = Callable[[RolloutState | None], tuple[RolloutState, list[Action]]]


@dataclass(frozen=True, slots=True)
class DeployResult:
    """A deploy's answer: the version stored (or found), whether it is new, and the rollout."""

    deployment: Deployment
    created: bool
    state: RolloutState


class Deployer:
    """Deploy, steer and roll back versions of swarms."""

    def __init__(self, store: Store, on_change: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.on_change = on_change or (lambda _swarm: None)

    async def deploy(
        self,
        spec: SwarmSpec,
        *,
        by: str,
        message: str = "",
        code_version: str | None = None,
        plan: RolloutPlan | None = None,
        now: float | None = None,
    ) -> DeployResult:
        """Store `spec` as a version (identical content: the stored one) and start its rollout
        with `plan` (default: the spec's `rollout:` block). Deploying the stable version again
        changes nothing; deploying the candidate again neither."""
        now = time.time() if now is None else now
        deployment, created = await self.store_version(spec, by, message, code_version, now)
        chosen = plan or rollout.plan_of(spec.rollout)

        def decide(state: RolloutState | None) -> tuple[RolloutState, list[Action]]:
            return rollout.begin(chosen, state, deployment.version, now)

        override = plan_to_dict(plan) if plan is not None else None
        state = await self._change(spec.name, decide, by, now, plan=override)
        return DeployResult(deployment, created, state)

    async def deploy_files(self, specs: Sequence[SwarmSpec], *, by: str) -> list[DeployResult]:
        """Deploy the specs a node was started with, as `up` and `serve` always did: content the
        swarm has never had becomes its stable version at once (all-at-once); content it already
        has (any version) changes nothing, so restarting a node never disturbs a rollout."""
        results = []
        for spec in specs:
            document = spec_document(spec)
            digest = content_hash(document)
            known = await self.store.deployments.versions(spec.name, 1000)
            match = next((d for d in known if d.content_hash == digest), None)
            if match is not None:
                state = await self.store.deployments.state(spec.name)
                if state is None:  # stored but never routed (an interrupted first start)
                    results.append(
                        await self.deploy(
                            spec, by=by, plan=_ALL_AT_ONCE, code_version=spec.deploy.code_version
                        )
                    )
                else:
                    results.append(DeployResult(match, False, state[0]))
                continue
            results.append(
                await self.deploy(
                    spec,
                    by=by,
                    message="deployed at start",
                    plan=_ALL_AT_ONCE,
                    code_version=spec.deploy.code_version,
                )
            )
        return results

    async def store_version(
        self, spec: SwarmSpec, by: str, message: str, code_version: str | None, now: float
    ) -> tuple[Deployment, bool]:
        """Store `spec` as an immutable version; (deployment, created)."""
        document = spec_document(spec)
        digest = content_hash(document)

        async def add(label: str) -> tuple[Deployment, bool]:
            return await self.store.deployments.add(
                spec.name,
                label,
                digest,
                document,
                code_version=code_version,
                by=by,
                message=message,
                now=now,
            )

        try:
            return await add(version_label(spec.release, digest))
        except Conflict:  # the release label names other content: suffix the hash
            return await add(version_label(spec.release, digest, release_taken=True))

    async def command(self, swarm: str, verb: Verb, *, by: str) -> RolloutState:
        """promote | promote-full | abort | pause | resume | retry the swarm's rollout.

        Raises NotFound for a swarm never deployed, Conflict for a verb its phase refuses."""
        now = time.time()
        plan = await self.plan_for(swarm)

        runnable = {
            v for w in await self.store.cluster.workers(alive_within_s=15) for v in w.versions
        }

        def decide(state: RolloutState | None) -> tuple[RolloutState, list[Action]]:
            if state is None:
                raise _never_deployed(swarm)
            if verb in ("promote", "promote-full") and state.candidate is not None:
                _refuse_unrunnable(swarm, state, runnable)
            return rollout.command(plan, state, now, verb)

        return await self._change(swarm, decide, by, now)

    async def rollback(self, swarm: str, to: str | None, *, by: str) -> RolloutState:
        """Send all new tasks of `swarm` to version `to` at once (default: the version that was
        stable before the current one), config and budgets included since a version is the whole
        spec. Raises NotFound for an unknown swarm or version."""
        now = time.time()
        target = to or await self._previous_stable(swarm)
        await self.store.deployments.get(swarm, target)  # NotFound for an unknown version

        def decide(state: RolloutState | None) -> tuple[RolloutState, list[Action]]:
            if state is None:
                raise _never_deployed(swarm)
            return rollout.rollback(state, target, now)

        return await self._change(swarm, decide, by, now)

    async def plan_for(self, swarm: str) -> RolloutPlan:
        """The plan governing the swarm's rollout (see `plan_for`); NotFound if undeployed."""
        current = await self.store.deployments.state(swarm)
        if current is None:
            raise _never_deployed(swarm)
        return await plan_for(self.store, swarm, current[0])

    async def _previous_stable(self, swarm: str) -> str:
        current = await self.store.deployments.state(swarm)
        if current is None:
            raise _never_deployed(swarm)
        for line in await self.store.deployments.history(swarm, 1000):
            if line.action in ("promote", "rollback") and line.previous not in (
                None,
                current[0].stable,
            ):
                return str(line.previous)
        raise NotFound(
            f"swarm {swarm!r} has no earlier stable version to roll back to",
            fix="name one with --to VERSION (see `swarmstack deployments list`)",
        )

    async def _change(
        self,
        swarm: str,
        decide: Decide,
        by: str,
        now: float,
        plan: dict[str, Any] | bool | None = False,
    ) -> RolloutState:
        """Read, decide, compare-and-set; again when another writer came first. `plan`
        is stored with the state when the state changes (False: leave the stored one)."""
        for _ in range(_CAS_TRIES):
            current = await self.store.deployments.state(swarm)
            state, generation = current if current is not None else (None, None)
            new, actions = decide(state)
            if state is not None and new == state and not actions:
                return state
            lines = history_lines(state, new, actions)
            saved = await self.store.deployments.save_state(
                swarm, new, generation, now, lines, by=by, plan=plan
            )
            if saved is not None:
                self.on_change(swarm)
                return new
        raise Conflict(
            f"the rollout of swarm {swarm!r} kept changing while this change was decided",
            fix="try again",
        )


_ALL_AT_ONCE = RolloutPlan(strategy="all-at-once")


async def plan_for(store: Store, swarm: str, state: RolloutState) -> RolloutPlan:
    """The plan that governs the swarm's current rollout: the deploy's override when one was
    given, else the candidate's own `rollout:` block (stable's when there is no candidate)."""
    override = await store.deployments.plan(swarm)
    if override is not None:
        return plan_from_dict(override)
    deployment = await store.deployments.get(swarm, state.candidate or state.stable)
    return rollout.plan_of(SwarmSpec.model_validate(deployment.spec).rollout)


def history_lines(
    before: RolloutState | None, after: RolloutState, actions: Sequence[Action]
) -> list[tuple[str, str, str | None, str | None]]:
    """History lines (action, message, version, previous) for `actions`: the version is the
    candidate the change concerns (the one just deployed, stepped, aborted or promoted)."""
    lines: list[tuple[str, str, str | None, str | None]] = []
    previous = before.stable if before is not None else None
    concerned = after.candidate or after.stable  # rolled out or aborted, else now stable
    for action in actions:
        if isinstance(action, Record):
            lines.append((action.action, action.message, concerned, previous))
        elif isinstance(action, Promote):
            lines.append(("promote", f"{action.version} is stable", action.version, previous))
    return lines


def _refuse_unrunnable(swarm: str, state: RolloutState, runnable: set[str]) -> None:
    """Promoting a candidate that no live worker runs (while stable runs) would strand every
    new task: a Conflict that says so."""
    if f"{swarm}@{state.stable}" in runnable and f"{swarm}@{state.candidate}" not in runnable:
        raise Conflict(
            f"no live worker runs {swarm} {state.candidate}: promoting it would leave every new "
            "task queued",
            fix="start workers that carry its code (worker.code_version) and can import its "
            "agents (see the workers' logs), or abort: swarmstack rollout abort " + swarm,
        )


def _never_deployed(swarm: str) -> NotFound:
    return NotFound(
        f"swarm {swarm!r} has never been deployed",
        fix="deploy it first: swarmstack deploy SPEC",
    )


__all__ = [
    "DeployResult",
    "Deployer",
    "Verb",
    "history_lines",
    "plan_for",
]
