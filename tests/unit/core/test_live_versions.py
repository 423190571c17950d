"""Which versions take tasks in every phase, and which versions each rollout transition retires
(every path by which a queued task could be left on a version no worker runs)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from swarmstack.core.live_versions import destination, live_versions, retired_by, why_retired
from swarmstack.core.rollout import advance, begin, command, reject, rollback
from swarmstack.core.rollout_types import (
    Action,
    Phase,
    RerunOnStable,
    RolloutPlan,
    RolloutState,
    Step,
    Strategy,
)

CANARY = RolloutPlan(strategy="canary", steps=(Step(50, None),))
BLUE_GREEN = RolloutPlan(strategy="blue-green", steps=(), scale_down_delay_s=30)
STABLE = RolloutState(stable="1.0")


def rolling(phase: Phase = Phase.PROGRESSING, strategy: Strategy = "canary") -> RolloutState:
    return RolloutState(
        stable="1.0", candidate="1.1", strategy=strategy, phase=phase, weight=50, started_at=100.0
    )


@pytest.mark.parametrize(
    ("state", "live"),
    [
        (STABLE, {"1.0"}),
        (rolling(Phase.PROGRESSING), {"1.0", "1.1"}),
        (rolling(Phase.PAUSED), {"1.0", "1.1"}),
        (replace(rolling(Phase.PROGRESSING, "blue-green"), weight=0), {"1.0", "1.1"}),
        (replace(rolling(Phase.ABORTED), weight=0), {"1.0"}),
        (replace(STABLE, candidate="1.1", phase=Phase.HEALTHY), {"1.0"}),
        (replace(STABLE, previous="0.9", retire_at=130.0), {"1.0", "0.9"}),
        (replace(rolling(), previous="0.9", retire_at=130.0), {"1.0", "1.1", "0.9"}),
    ],
)
def test_live_versions_in_every_phase(state: RolloutState, live: set[str]) -> None:
    assert live_versions(state) == live
    for version in ("0.8", "0.9", "1.0", "1.1"):
        expected = None if version in live else "1.0"
        assert destination(state, version) == expected
    assert destination(state, None) is None  # a task stored before versions existed stays


def test_nothing_is_retired_by_a_first_deploy_or_a_step() -> None:
    first, _ = begin(CANARY, None, "1.0", 0.0)
    assert retired_by(None, first) == frozenset()
    started, _ = begin(CANARY, first, "1.1", 100.0)
    assert retired_by(first, started) == frozenset()
    stepped, _ = advance(CANARY, started, 200.0, None)
    assert retired_by(started, stepped) == frozenset()


def transitions() -> dict[str, tuple[RolloutState, tuple[RolloutState, list[Action]], set[str]]]:
    """Every transition that retires a version: (before, (after, actions), retired)."""
    paused = rolling(Phase.PAUSED)
    aborted, _ = command(CANARY, paused, 200.0, "abort")
    bg = replace(rolling(Phase.PAUSED, "blue-green"), weight=0)
    promoted_bg, _ = command(BLUE_GREEN, bg, 200.0, "promote")
    return {
        "abort": (paused, command(CANARY, paused, 200.0, "abort"), {"1.1"}),
        "rejected": (paused, reject(paused, "no worker"), {"1.1"}),
        "promote (canary)": (paused, command(CANARY, paused, 200.0, "promote"), {"1.0"}),
        "promote-full": (paused, command(CANARY, paused, 200.0, "promote-full"), {"1.0"}),
        "replaced before promotion": (paused, begin(CANARY, paused, "1.2", 200.0), {"1.1"}),
        "stable redeployed": (paused, begin(CANARY, paused, "1.0", 200.0), {"1.1"}),
        "rollback": (STABLE, rollback(STABLE, "0.9", 200.0), {"1.0"}),
        "rollback mid-rollout": (paused, rollback(paused, "0.9", 200.0), {"1.0", "1.1"}),
        "all-at-once deploy": (
            STABLE,
            begin(RolloutPlan(strategy="all-at-once"), STABLE, "1.1", 200.0),
            {"1.0"},
        ),
        "blue-green previous retired": (
            promoted_bg,
            advance(BLUE_GREEN, promoted_bg, 231.0, None),
            {"1.0"},
        ),
        "retry then abort again": (
            command(CANARY, aborted, 300.0, "retry")[0],
            command(CANARY, command(CANARY, aborted, 300.0, "retry")[0], 400.0, "abort"),
            {"1.1"},
        ),
    }


@pytest.mark.parametrize("name", sorted(transitions()))
def test_each_transition_retires_what_it_stops_running(name: str) -> None:
    before, (after, actions), retired = transitions()[name]
    assert retired_by(before, after) == retired
    for version in retired:
        assert destination(after, version) == after.stable
    for action in actions:  # the machine's own reruns are covered by the rule
        if isinstance(action, RerunOnStable):
            assert action.candidate in retired and action.stable == after.stable


def test_blue_green_promotion_keeps_the_old_stable_warm_until_retired() -> None:
    bg = replace(rolling(Phase.PAUSED, "blue-green"), weight=0)
    promoted, _ = command(BLUE_GREEN, bg, 200.0, "promote")
    assert retired_by(bg, promoted) == frozenset()  # 1.0 stays warm for a fast switch-back
    assert live_versions(promoted) == {"1.1", "1.0"}
    kept, _ = advance(BLUE_GREEN, promoted, 229.0, None)
    assert retired_by(promoted, kept) == frozenset()


def test_a_retried_candidate_is_live_again() -> None:
    aborted, _ = command(CANARY, rolling(Phase.PAUSED), 200.0, "abort")
    retried, _ = command(CANARY, aborted, 300.0, "retry")
    assert retired_by(aborted, retried) == frozenset()
    assert "1.1" in live_versions(retried)


def test_the_reason_names_an_abort_or_a_retirement() -> None:
    aborted, _ = command(CANARY, rolling(Phase.PAUSED), 200.0, "abort")
    assert why_retired(aborted, "1.1") == "1.1 was aborted; 1.0 runs its tasks"
    promoted, _ = command(CANARY, rolling(Phase.PAUSED), 200.0, "promote")
    assert why_retired(promoted, "1.0") == (
        "1.0 is no longer live (stable is 1.1); 1.1 runs its tasks"
    )
