"""The rollout state machine with explicit times: strategies, steps and pauses, analyses,
operator verbs in every phase, redeploys, rollback, and a leader failover between ticks."""

from __future__ import annotations

from dataclasses import replace

from swarmstack.core.rollout import (
    WAITING,
    advance,
    analyse,
    begin,
    command,
)
from swarmstack.core.rollout_types import (
    Action,
    Analysis,
    AnalysisPlan,
    Phase,
    Promote,
    Record,
    RerunOnStable,
    Retire,
    RolloutPlan,
    RolloutState,
    SetWeight,
    Step,
    VersionStats,
)

GATE = AnalysisPlan(interval_s=30, min_samples=20, max_error_rate=0.05, max_p95_latency_s=10)
CANARY = RolloutPlan(
    strategy="canary",
    steps=(Step(10, 60.0), Step(50, None), Step(80, 0.0)),
    analysis=GATE,
)
BLUE_GREEN = RolloutPlan(strategy="blue-green", steps=(), analysis=GATE, scale_down_delay_s=30)
ALL_AT_ONCE = RolloutPlan(strategy="all-at-once", analysis=GATE)
STABLE = RolloutState(stable="1.0")

GOOD = VersionStats(
    samples=40, errors=1, p95_latency_s=4.0, cost_per_task=0.01, tokens_per_task=900
)
BAD = VersionStats(samples=42, errors=13, p95_latency_s=4.0)
FEW = VersionStats(samples=3, errors=0, p95_latency_s=1.0)


def records(actions: list[Action]) -> list[str]:
    return [a.message for a in actions if isinstance(a, Record)]


def effects(actions: list[Action]) -> list[Action]:
    return [a for a in actions if not isinstance(a, Record)]


def judged(stats: VersionStats, at: float, since: float = 0.0) -> Analysis:
    return analyse(GATE, stats, GOOD, at, since)


def canary_at(now: float = 100.0) -> RolloutState:
    state, _ = begin(CANARY, STABLE, "1.1", now)
    return state


# --- begin ----------------------------------------------------------------------------------------
def test_first_deploy_is_stable_at_once_without_steps() -> None:
    state, actions = begin(CANARY, None, "1.0", 5.0)
    assert (state.stable, state.candidate, state.phase) == ("1.0", None, Phase.HEALTHY)
    assert effects(actions) == [Promote("1.0")]
    assert records(actions) == ["first deploy: 1.0 is stable"]


def test_all_at_once_promotes_and_retires_the_old_version() -> None:
    state, actions = begin(ALL_AT_ONCE, STABLE, "1.1", 5.0)
    assert (state.stable, state.candidate, state.phase) == ("1.1", None, Phase.HEALTHY)
    assert effects(actions) == [Promote("1.1"), Retire("1.0")]
    assert records(actions) == ["1.1 replaces 1.0 at once; 1.0 retired"]


def test_canary_without_steps_promotes_at_once() -> None:
    state, actions = begin(replace(CANARY, steps=()), STABLE, "1.1", 5.0)
    assert state.stable == "1.1"
    assert effects(actions) == [Promote("1.1"), Retire("1.0")]


def test_canary_starts_at_the_first_step() -> None:
    state, actions = begin(CANARY, STABLE, "1.1", 100.0)
    assert state.phase is Phase.PROGRESSING
    assert (state.candidate, state.step, state.weight) == ("1.1", 0, 10)
    assert (state.started_at, state.step_started_at) == (100.0, 100.0)
    assert effects(actions) == [SetWeight(10)]
    assert records(actions) == ["step 1/3: 10 % to 1.1"]


def test_blue_green_starts_as_a_preview_at_weight_0() -> None:
    state, actions = begin(BLUE_GREEN, STABLE, "1.1", 100.0)
    assert (state.phase, state.weight, state.candidate) == (Phase.PROGRESSING, 0, "1.1")
    assert effects(actions) == [SetWeight(0)]
    assert records(actions) == ["preview: 1.1 at 0 %, reachable by pinning; 1.0 serves"]


def test_deploying_the_same_candidate_again_changes_nothing() -> None:
    state = canary_at()
    assert begin(CANARY, state, "1.1", 200.0) == (state, [])


def test_deploying_stable_when_healthy_changes_nothing() -> None:
    assert begin(CANARY, STABLE, "1.0", 200.0) == (STABLE, [])


def test_a_new_deploy_mid_rollout_replaces_the_candidate() -> None:
    state, _ = advance(CANARY, canary_at(100.0), 160.0, None)  # at step 2 (50 %)
    new, actions = begin(CANARY, state, "1.2", 170.0)
    assert (new.stable, new.candidate, new.step, new.weight) == ("1.0", "1.2", 0, 10)
    assert (new.started_at, new.failed_analyses, new.analyses) == (170.0, 0, ())
    assert effects(actions) == [
        RerunOnStable("1.1", "1.0", since=100.0),
        Retire("1.1"),
        SetWeight(10),
    ]
    assert records(actions) == ["1.1 replaced by 1.2 before promotion", "step 1/3: 10 % to 1.2"]


def test_redeploying_stable_mid_rollout_goes_back() -> None:
    new, actions = begin(CANARY, canary_at(100.0), "1.0", 130.0)
    assert (new.stable, new.candidate, new.phase, new.weight) == ("1.0", None, Phase.HEALTHY, 0)
    assert effects(actions) == [
        SetWeight(0),
        RerunOnStable("1.1", "1.0", since=100.0),
        Retire("1.1"),
    ]
    assert records(actions) == ["aborted: 1.0 redeployed while 1.1 was rolling out"]


# --- canary walk ----------------------------------------------------------------------------------
def test_canary_walks_timed_step_then_waits_for_promote_then_finishes() -> None:
    state = canary_at(100.0)
    assert advance(CANARY, state, 159.0, None) == (state, [])  # pause of 60s not over
    state, actions = advance(CANARY, state, 160.0, None)
    assert (state.step, state.weight, state.step_started_at) == (1, 50, 160.0)
    assert effects(actions) == [SetWeight(50)]
    assert records(actions) == ["step 2/3: 50 % to 1.1"]
    state, actions = advance(CANARY, state, 161.0, None)  # pause: {} waits for promote
    assert (state.phase, state.pause_reason) == (Phase.PAUSED, WAITING)
    assert records(actions) == ["step 2/3: 50 % to 1.1; waiting for promote"]
    assert advance(CANARY, state, 9999.0, None) == (state, [])  # nothing happens while paused
    state, actions = command(CANARY, state, 300.0, "promote")
    assert (state.phase, state.step, state.weight) == (Phase.PROGRESSING, 2, 80)
    assert effects(actions) == [SetWeight(80)]
    state, actions = advance(CANARY, state, 300.0, None)  # pause 0 moves on at once
    assert (state.stable, state.candidate, state.phase, state.weight) == (
        "1.1",
        None,
        Phase.HEALTHY,
        0,
    )
    assert effects(actions) == [Promote("1.1"), Retire("1.0")]
    assert records(actions) == ["promoted 1.1 after 3 steps; 1.0 retired"]
