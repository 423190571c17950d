"""Which versions of a swarm take tasks, and where a queued task on any other version goes. Pure.

A version is live while the swarm's rollout state names it as one that runs tasks: its stable
version, an in-flight candidate (a canary step or a blue-green preview, also at weight 0), and
blue-green's previous stable while it is kept warm for a fast switch-back. Every other version
(an aborted candidate, a candidate replaced before promotion, a stable that a promote or a
rollback superseded, a warm previous once retired) is retired: workers may stop running it at
any time, so a queued task on it would wait for ever. The store (`store.reroute`) moves such
tasks to the stable version whenever one is queued or the state changes.
"""

from __future__ import annotations

from swarmstack.core.rollout_types import Phase, RolloutState

_IN_FLIGHT = (Phase.PROGRESSING, Phase.PAUSED)


def live_versions(state: RolloutState) -> frozenset[str]:
    """The versions of the swarm that take tasks in `state`."""
    live = {state.stable}
    if state.candidate is not None and state.phase in _IN_FLIGHT:
        live.add(state.candidate)
    if state.previous is not None:
        live.add(state.previous)
    return frozenset(live)


def retired_by(before: RolloutState | None, after: RolloutState) -> frozenset[str]:
    """The versions that were live in `before` and are not in `after` (a change retired them)."""
    if before is None:
        return frozenset()
    return live_versions(before) - live_versions(after)


def destination(state: RolloutState, version: str | None) -> str | None:
    """The version a queued task on `version` must run on instead (the stable one), or None
    when it may stay (a live version, or no version at all)."""
    if version is None or version in live_versions(state):
        return None
    return state.stable


def why_retired(state: RolloutState, version: str) -> str:
    """Why `version` takes no tasks in `state`, for the task's `rerouted` event and for errors:
    `2.0.0 was aborted; 1.0.0 runs its tasks`."""
    if version == state.candidate and state.phase is Phase.ABORTED:
        return f"{version} was aborted; {state.stable} runs its tasks"
    return f"{version} is no longer live (stable is {state.stable}); {state.stable} runs its tasks"
