"""The rollout state machine with explicit times: strategies, steps and pauses, analyses,
operator verbs in every phase, redeploys, rollback, and a leader failover between ticks."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from swarmstack.core.rollout import (
    BY_OPERATOR,
    INCONCLUSIVE,
    KEEP_ANALYSES,
    WAITING,
    Verb,
    advance,
    analyse,
    analysis_due,
    begin,
    command,
    reject,
    rollback,
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
    Verdict,
    VersionStats,
)
from swarmstack.errors import Conflict

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


def test_a_step_with_pause_0_moves_on_at_the_next_tick() -> None:
    plan = replace(CANARY, steps=(Step(20), Step(40)))
    state, _ = begin(plan, STABLE, "1.1", 0.0)
    state, actions = advance(plan, state, 0.0, None)
    assert (state.step, state.weight) == (1, 40)
    state, actions = advance(plan, state, 0.0, None)
    assert state.stable == "1.1"
    assert effects(actions) == [Promote("1.1"), Retire("1.0")]


# --- analysis_due ---------------------------------------------------------------------------------
def test_analysis_is_due_every_interval_from_the_step_start_then_the_last_analysis() -> None:
    state = canary_at(100.0)
    assert analysis_due(CANARY, state, 129.0) is None
    assert analysis_due(CANARY, state, 130.0) == 100.0
    state, _ = advance(CANARY, state, 130.0, judged(GOOD, 130.0, 100.0))
    assert analysis_due(CANARY, state, 159.0) is None
    assert analysis_due(CANARY, state, 160.0) == 130.0


@pytest.mark.parametrize("phase", [Phase.HEALTHY, Phase.PAUSED, Phase.ABORTED])
def test_no_analysis_outside_progressing(phase: Phase) -> None:
    assert analysis_due(CANARY, replace(canary_at(0.0), phase=phase), 1e6) is None


# --- analysis outcomes in a tick ------------------------------------------------------------------
def test_a_failed_analysis_with_failure_limit_0_aborts() -> None:
    state, actions = advance(CANARY, canary_at(100.0), 130.0, judged(BAD, 130.0, 100.0))
    assert (state.phase, state.weight, state.candidate, state.stable) == (
        Phase.ABORTED,
        0,
        "1.1",
        "1.0",
    )
    assert state.failed_analyses == 1
    assert effects(actions) == [
        SetWeight(0),
        RerunOnStable("1.1", "1.0", since=100.0),
        Retire("1.1"),
    ]
    assert records(actions) == ["aborted: error rate 0.31 > 0.05 (42 tasks)"]


def test_failure_limit_2_tolerates_two_failures_and_holds_the_step() -> None:
    plan = replace(CANARY, analysis=replace(GATE, failure_limit=2))
    state = canary_at(100.0)
    state, actions = advance(plan, state, 130.0, judged(BAD, 130.0))
    assert (state.phase, state.failed_analyses) == (Phase.PROGRESSING, 1)
    assert records(actions) == [
        "analysis failed (1 of 2 tolerated): error rate 0.31 > 0.05 (42 tasks)"
    ]
    held, actions = advance(plan, state, 170.0, None)  # pause over, but the last analysis failed
    assert (held, actions) == (state, [])
    state, _ = advance(plan, state, 180.0, judged(GOOD, 180.0))  # a pass releases the step
    assert (state.step, state.weight) == (1, 50)
    state, _ = advance(plan, state, 210.0, judged(BAD, 210.0))
    assert (state.phase, state.failed_analyses) == (Phase.PROGRESSING, 2)  # cumulative
    state, actions = advance(plan, state, 240.0, judged(BAD, 240.0))
    assert (state.phase, state.failed_analyses) == (Phase.ABORTED, 3)
    assert records(actions) == [
        "aborted: error rate 0.31 > 0.05 (42 tasks); 3 failed analyses, 2 tolerated"
    ]


def test_low_samples_keeps_progressing_and_waits_with_the_window_open() -> None:
    state = canary_at(100.0)
    state, actions = advance(CANARY, state, 170.0, judged(FEW, 170.0, 100.0))
    assert (state.phase, state.step, actions) == (Phase.PROGRESSING, 0, [])
    assert state.pending_window_start == 100.0
    assert advance(CANARY, state, 190.0, None) == (state, [])  # pause over, still waiting
    assert analysis_due(CANARY, state, 200.0) == 100.0  # the next window starts where it began
    state, actions = advance(CANARY, state, 200.0, judged(GOOD, 200.0, 100.0))
    assert (state.step, state.pending_window_start) == (1, None)
    assert records(actions) == ["step 2/3: 50 % to 1.1"]


def test_a_real_inconclusive_pauses_for_a_human() -> None:
    unknown = replace(GOOD, p95_latency_s=None)
    state, actions = advance(CANARY, canary_at(100.0), 130.0, judged(unknown, 130.0, 100.0))
    assert (state.phase, state.pause_reason) == (Phase.PAUSED, INCONCLUSIVE)
    assert records(actions) == [
        "paused: inconclusive analysis: p95 latency: no value (40 tasks); promote or abort"
    ]


def test_only_the_newest_analyses_are_kept() -> None:
    plan = replace(CANARY, steps=(Step(10, None),))
    state = canary_at(0.0)
    for i in range(1, KEEP_ANALYSES + 6):
        state, _ = advance(
            plan, replace(state, phase=Phase.PROGRESSING), i * 30.0, judged(GOOD, i * 30.0)
        )
    assert len(state.analyses) == KEEP_ANALYSES
    assert state.analyses[-1].at == (KEEP_ANALYSES + 5) * 30.0
    assert state.last_analysis_at == state.analyses[-1].at


# --- analyse --------------------------------------------------------------------------------------
FULL = AnalysisPlan(
    min_samples=10,
    max_error_rate=0.1,
    max_p95_latency_s=5,
    max_cost_per_task=0.02,
    max_tokens_per_task=1000,
    max_budget_exceeded_rate=0.05,
    max_cost_ratio=1.5,
    max_tokens_ratio=1.2,
    max_latency_ratio=2,
)
BASE = VersionStats(
    samples=100, errors=2, p95_latency_s=2.0, cost_per_task=0.01, tokens_per_task=800
)
CAND = VersionStats(
    samples=10,
    errors=1,
    budget_exceeded=0,
    p95_latency_s=4.0,
    cost_per_task=0.015,
    tokens_per_task=960,
)


def verdicts(analysis: Analysis) -> dict[str, Verdict]:
    return {c.name: c.verdict for c in analysis.checks}


def test_every_threshold_is_a_check_and_all_pass_at_their_limits() -> None:
    result = analyse(FULL, CAND, BASE, 50.0, 20.0)
    assert (result.at, result.window_start, result.verdict) == (50.0, 20.0, Verdict.PASS)
    assert set(verdicts(result).values()) == {Verdict.PASS}
    values = {c.name: c.value for c in result.checks}
    assert values == pytest.approx(
        {
            "error_rate": 0.1,
            "p95_latency_s": 4.0,
            "cost_per_task": 0.015,
            "tokens_per_task": 960,
            "budget_exceeded_rate": 0.0,
            "cost_ratio": 1.5,
            "tokens_ratio": 1.2,
            "latency_ratio": 2.0,
        }
    )


@pytest.mark.parametrize(
    ("worse", "failing"),
    [
        (replace(CAND, errors=2), "error_rate"),
        (replace(CAND, p95_latency_s=4.1), "latency_ratio"),
        (replace(CAND, budget_exceeded=1), "budget_exceeded_rate"),
        (replace(CAND, cost_per_task=0.016), "cost_ratio"),
        (replace(CAND, tokens_per_task=961), "tokens_ratio"),
    ],
)
def test_one_threshold_exceeded_fails_the_analysis(worse: VersionStats, failing: str) -> None:
    result = analyse(FULL, worse, BASE, 50.0, 20.0)
    assert result.verdict is Verdict.FAIL
    assert [n for n, v in verdicts(result).items() if v is Verdict.FAIL] == [failing]


def test_absolute_latency_cost_and_tokens_fail_with_their_ratios() -> None:
    worse = replace(CAND, p95_latency_s=5.5, tokens_per_task=1001, cost_per_task=0.021)
    result = analyse(FULL, worse, BASE, 1.0, 0.0)
    failing = {n for n, v in verdicts(result).items() if v is Verdict.FAIL}
    assert failing == {
        "p95_latency_s",
        "latency_ratio",
        "tokens_per_task",
        "tokens_ratio",
        "cost_per_task",
        "cost_ratio",
    }


def test_too_few_candidate_samples_makes_every_check_inconclusive_even_a_failing_one() -> None:
    result = analyse(FULL, replace(CAND, samples=9, errors=9), BASE, 1.0, 0.0)
    assert result.verdict is Verdict.INCONCLUSIVE
    assert set(verdicts(result).values()) == {Verdict.INCONCLUSIVE}
    assert result.low_samples


def test_ratios_need_enough_stable_samples_and_that_is_a_low_samples_wait() -> None:
    result = analyse(FULL, CAND, replace(BASE, samples=9), 1.0, 0.0)
    inconclusive = {n for n, v in verdicts(result).items() if v is Verdict.INCONCLUSIVE}
    assert inconclusive == {"cost_ratio", "tokens_ratio", "latency_ratio"}
    assert (result.verdict, result.low_samples) == (Verdict.INCONCLUSIVE, True)


def test_a_zero_stable_value_or_a_missing_value_is_a_real_inconclusive() -> None:
    free = analyse(FULL, CAND, replace(BASE, cost_per_task=0.0), 1.0, 0.0)
    assert verdicts(free)["cost_ratio"] is Verdict.INCONCLUSIVE
    assert (free.verdict, free.low_samples) == (Verdict.INCONCLUSIVE, False)
    unknown = analyse(FULL, replace(CAND, tokens_per_task=None), BASE, 1.0, 0.0)
    assert verdicts(unknown)["tokens_per_task"] is Verdict.INCONCLUSIVE
    assert (unknown.verdict, unknown.low_samples) == (Verdict.INCONCLUSIVE, False)


def test_fail_outranks_inconclusive() -> None:
    result = analyse(FULL, replace(CAND, tokens_per_task=None, errors=5), BASE, 1.0, 0.0)
    assert result.verdict is Verdict.FAIL


@pytest.mark.parametrize(("samples", "verdict"), [(19, Verdict.INCONCLUSIVE), (20, Verdict.PASS)])
def test_no_configured_checks_passes_once_min_samples_is_reached(
    samples: int, verdict: Verdict
) -> None:
    bare = AnalysisPlan(min_samples=20, max_error_rate=None, max_p95_latency_s=None)
    result = analyse(bare, VersionStats(samples=samples), VersionStats(), 1.0, 0.0)
    assert (result.checks, result.verdict) == ((), verdict)
    assert result.low_samples is (verdict is Verdict.INCONCLUSIVE)


# --- blue-green -----------------------------------------------------------------------------------
def test_blue_green_preview_promotes_on_a_pass_and_retires_the_old_after_the_delay() -> None:
    state, _ = begin(BLUE_GREEN, STABLE, "1.1", 100.0)
    assert advance(BLUE_GREEN, state, 200.0, None) == (state, [])  # needs a passing analysis
    waiting, actions = advance(BLUE_GREEN, state, 130.0, judged(FEW, 130.0, 100.0))
    assert (waiting.phase, actions) == (Phase.PROGRESSING, [])
    state, actions = advance(BLUE_GREEN, waiting, 160.0, judged(GOOD, 160.0, 100.0))
    assert (state.stable, state.candidate, state.phase) == ("1.1", None, Phase.HEALTHY)
    assert (state.previous, state.retire_at) == ("1.0", 190.0)
    assert effects(actions) == [Promote("1.1")]
    assert records(actions) == [
        "promoted 1.1 after analysis; 1.0 stays loaded 30s for a fast rollback"
    ]
    assert advance(BLUE_GREEN, state, 189.0, None) == (state, [])
    state, actions = advance(BLUE_GREEN, state, 190.0, None)
    assert (state.previous, state.retire_at) == (None, None)
    assert effects(actions) == [Retire("1.0")]
    assert records(actions) == ["1.0 retired: scale-down delay over"]


def test_blue_green_without_auto_promote_waits_for_promote_after_a_pass() -> None:
    plan = replace(BLUE_GREEN, auto_promote=False)
    state, _ = begin(plan, STABLE, "1.1", 100.0)
    state, actions = advance(plan, state, 130.0, judged(GOOD, 130.0, 100.0))
    assert (state.phase, state.pause_reason) == (Phase.PAUSED, WAITING)
    assert records(actions) == ["1.1 passed analysis in preview; waiting for promote"]
    state, actions = command(plan, state, 500.0, "promote")
    assert (state.stable, state.previous, state.retire_at) == ("1.1", "1.0", 530.0)
    assert effects(actions) == [Promote("1.1")]


def test_blue_green_failed_preview_aborts_with_weight_0() -> None:
    state, _ = begin(BLUE_GREEN, STABLE, "1.1", 100.0)
    state, actions = advance(BLUE_GREEN, state, 130.0, judged(BAD, 130.0, 100.0))
    assert (state.phase, state.stable) == (Phase.ABORTED, "1.0")
    assert effects(actions) == [
        SetWeight(0),
        RerunOnStable("1.1", "1.0", since=100.0),
        Retire("1.1"),
    ]


def test_blue_green_with_no_delay_retires_at_once() -> None:
    plan = replace(BLUE_GREEN, scale_down_delay_s=0)
    state, _ = begin(plan, STABLE, "1.1", 100.0)
    state, actions = advance(plan, state, 130.0, judged(GOOD, 130.0))
    assert (state.stable, state.previous) == ("1.1", None)
    assert effects(actions) == [Promote("1.1"), Retire("1.0")]


def test_redeploying_the_warm_previous_version_switches_back_at_once() -> None:
    state, _ = begin(BLUE_GREEN, STABLE, "1.1", 100.0)
    state, _ = advance(BLUE_GREEN, state, 130.0, judged(GOOD, 130.0))
    state, actions = begin(BLUE_GREEN, state, "1.0", 140.0)
    assert (state.stable, state.previous, state.retire_at, state.phase) == (
        "1.0",
        None,
        None,
        Phase.HEALTHY,
    )
    assert effects(actions) == [
        Promote("1.0"),
        Retire("1.1"),
        RerunOnStable("1.1", "1.0", since=140.0),
    ]
    assert records(actions) == ["rolled back to 1.0 (was 1.1)"]


def test_a_second_blue_green_promotion_retires_the_older_warm_version() -> None:
    state, _ = begin(BLUE_GREEN, STABLE, "1.1", 100.0)
    state, _ = advance(BLUE_GREEN, state, 130.0, judged(GOOD, 130.0))
    state, _ = begin(BLUE_GREEN, state, "1.2", 140.0)
    state, actions = advance(BLUE_GREEN, state, 150.0, judged(GOOD, 150.0))
    assert (state.stable, state.previous, state.retire_at) == ("1.2", "1.1", 180.0)
    assert effects(actions) == [Promote("1.2"), Retire("1.0")]


# --- operator verbs -------------------------------------------------------------------------------
def in_phase(phase: Phase) -> RolloutState:
    """A canary rollout of 1.1 at step 1 (10 %), started at 100, in `phase`."""
    if phase is Phase.HEALTHY:
        return STABLE
    state = canary_at(100.0)
    if phase is Phase.PAUSED:
        state, _ = command(CANARY, state, 110.0, "pause")
    if phase is Phase.ABORTED:
        state, _ = command(CANARY, state, 110.0, "abort")
    return state


LEGAL: dict[tuple[Verb, Phase], tuple[Phase, int]] = {  # -> (phase after, weight after)
    ("promote", Phase.PROGRESSING): (Phase.PROGRESSING, 50),
    ("promote", Phase.PAUSED): (Phase.PROGRESSING, 50),
    ("promote-full", Phase.PROGRESSING): (Phase.HEALTHY, 0),
    ("promote-full", Phase.PAUSED): (Phase.HEALTHY, 0),
    ("abort", Phase.PROGRESSING): (Phase.ABORTED, 0),
    ("abort", Phase.PAUSED): (Phase.ABORTED, 0),
    ("pause", Phase.PROGRESSING): (Phase.PAUSED, 10),
    ("resume", Phase.PAUSED): (Phase.PROGRESSING, 10),
    ("retry", Phase.ABORTED): (Phase.PROGRESSING, 10),
}
VERBS: tuple[Verb, ...] = ("promote", "promote-full", "abort", "pause", "resume", "retry")


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_in_every_phase(verb: Verb, phase: Phase) -> None:
    state = in_phase(phase)
    if (verb, phase) not in LEGAL:
        with pytest.raises(Conflict, match=f"cannot {verb}: the rollout .*is {phase}") as err:
            command(CANARY, state, 200.0, verb)
        assert "Fix: " in str(err.value)
        assert err.value.status == 409
        return
    new, actions = command(CANARY, state, 200.0, verb)
    assert (new.phase, new.weight) == LEGAL[verb, phase]
    assert records(actions)  # every change is in the history


def test_promote_full_skips_every_remaining_step() -> None:
    state, actions = command(CANARY, canary_at(100.0), 120.0, "promote-full")
    assert (state.stable, state.candidate) == ("1.1", None)
    assert effects(actions) == [Promote("1.1"), Retire("1.0")]
    assert records(actions) == ["promote-full by operator", "promoted 1.1 by operator; 1.0 retired"]


def test_promote_on_the_last_step_finishes() -> None:
    state = replace(canary_at(100.0), step=2, weight=80)
    state, actions = command(CANARY, state, 120.0, "promote")
    assert (state.stable, state.phase) == ("1.1", Phase.HEALTHY)
    assert effects(actions) == [Promote("1.1"), Retire("1.0")]


def test_abort_by_operator() -> None:
    state, actions = command(CANARY, canary_at(100.0), 120.0, "abort")
    assert (state.phase, state.candidate, state.weight) == (Phase.ABORTED, "1.1", 0)
    assert effects(actions) == [
        SetWeight(0),
        RerunOnStable("1.1", "1.0", since=100.0),
        Retire("1.1"),
    ]
    assert records(actions) == ["aborted by operator; 1.0 serves all new tasks"]


def test_pause_holds_and_resume_restarts_the_step_timer() -> None:
    state, actions = command(CANARY, canary_at(100.0), 150.0, "pause")
    assert (state.phase, state.pause_reason) == (Phase.PAUSED, BY_OPERATOR)
    assert records(actions) == ["paused by operator at step 1/3: 10 % to 1.1"]
    assert advance(CANARY, state, 1000.0, None) == (state, [])
    state, actions = command(CANARY, state, 1000.0, "resume")
    assert (state.phase, state.pause_reason, state.step_started_at) == (
        Phase.PROGRESSING,
        None,
        1000.0,
    )
    assert advance(CANARY, state, 1059.0, None) == (state, [])
    assert advance(CANARY, state, 1060.0, None)[0].step == 1


def test_resume_after_an_inconclusive_pause_continues_the_step() -> None:
    unknown = replace(GOOD, p95_latency_s=None)
    state, _ = advance(CANARY, canary_at(100.0), 130.0, judged(unknown, 130.0))
    state, _ = command(CANARY, state, 140.0, "resume")
    assert (state.phase, state.step) == (Phase.PROGRESSING, 0)
    assert advance(CANARY, state, 200.0, None)[0].step == 1


def test_resume_cannot_leave_a_wait_for_promote() -> None:
    state = replace(canary_at(100.0), step=1, weight=50)
    state, _ = advance(CANARY, state, 101.0, None)
    assert state.pause_reason == WAITING
    with pytest.raises(Conflict, match="waiting for promote") as err:
        command(CANARY, state, 120.0, "resume")
    assert "run `promote`" in str(err.value)


def test_retry_restarts_the_aborted_candidate_from_step_0() -> None:
    state, _ = advance(CANARY, canary_at(100.0), 130.0, judged(BAD, 130.0))
    state, actions = command(CANARY, state, 500.0, "retry")
    assert (state.phase, state.candidate, state.step, state.weight) == (
        Phase.PROGRESSING,
        "1.1",
        0,
        10,
    )
    assert (state.started_at, state.step_started_at, state.failed_analyses) == (500.0, 500.0, 0)
    assert (state.last_analysis_at, state.analyses) == (None, ())
    assert effects(actions) == [SetWeight(10)]
    assert records(actions) == ["retry by operator", "step 1/3: 10 % to 1.1"]


def test_after_abort_a_redeploy_of_the_candidate_changes_nothing_and_of_stable_clears_it() -> None:
    aborted = in_phase(Phase.ABORTED)
    assert begin(CANARY, aborted, "1.1", 200.0) == (aborted, [])
    state, actions = begin(CANARY, aborted, "1.0", 200.0)
    assert (state.phase, state.candidate) == (Phase.HEALTHY, None)
    assert records(actions) == ["1.0 redeployed: aborted 1.1 dropped"]
    state, actions = begin(CANARY, aborted, "1.2", 200.0)
    assert (state.candidate, state.weight) == ("1.2", 10)
    assert effects(actions) == [SetWeight(10)]  # 1.1 was withdrawn when it was aborted


# --- rollback -------------------------------------------------------------------------------------
def test_rollback_mid_rollout_aborts_the_candidate_onto_the_target() -> None:
    state = replace(in_phase(Phase.PROGRESSING), stable="1.0", previous=None)
    state, actions = rollback(state, "0.9", 300.0)
    assert (state.stable, state.candidate, state.phase, state.weight) == (
        "0.9",
        None,
        Phase.HEALTHY,
        0,
    )
    assert effects(actions) == [
        SetWeight(0),
        RerunOnStable("1.1", "0.9", since=100.0),
        Retire("1.1"),
        Promote("0.9"),
        Retire("1.0"),
        RerunOnStable("1.0", "0.9", since=300.0),  # the old stable's queue follows the traffic
    ]
    assert records(actions) == ["rolled back to 0.9 (was 1.0); 1.1 was rolling out"]


def test_rollback_when_healthy_and_when_aborted() -> None:
    state, actions = rollback(STABLE, "0.9", 300.0)
    assert (state.stable, effects(actions)) == (
        "0.9",
        [Promote("0.9"), Retire("1.0"), RerunOnStable("1.0", "0.9", since=300.0)],
    )
    assert rollback(STABLE, "1.0", 300.0) == (STABLE, [])
    state, actions = rollback(in_phase(Phase.ABORTED), "1.0", 300.0)
    assert (state.stable, state.candidate, state.phase) == ("1.0", None, Phase.HEALTHY)
    assert effects(actions) == []
    assert records(actions) == ["rolled back to 1.0 (was 1.0)"]


def test_rollback_to_the_stable_version_mid_rollout_reruns_onto_it() -> None:
    state, actions = rollback(in_phase(Phase.PAUSED), "1.0", 300.0)
    assert (state.stable, state.candidate) == ("1.0", None)
    assert effects(actions) == [
        SetWeight(0),
        RerunOnStable("1.1", "1.0", since=100.0),
        Retire("1.1"),
    ]


# --- persistence and failover ---------------------------------------------------------------------
def through_store(state: RolloutState) -> RolloutState:
    """What a new leader reads: the state as JSON text and back."""
    return RolloutState.from_dict(json.loads(json.dumps(state.to_dict())))


def test_state_round_trips_with_analyses() -> None:
    state = canary_at(100.0)
    state, _ = advance(CANARY, state, 130.0, analyse(FULL, CAND, BASE, 130.0, 100.0))
    state, _ = advance(CANARY, state, 160.0, judged(FEW, 160.0, 130.0))
    state = replace(state, previous="0.9", retire_at=999.0, pause_reason="x")
    assert len(state.analyses) == 2
    assert through_store(state) == state
    assert RolloutState.from_dict(state.to_dict()) == state


STATS = [GOOD, FEW, GOOD, GOOD, FEW, GOOD, GOOD, GOOD, GOOD, GOOD]
PLAN = replace(CANARY, steps=(Step(10, 60.0), Step(25, 0.0), Step(50, 45.0), Step(75, 90.0)))


def run(failover: bool) -> list[tuple[RolloutState, list[Action]]]:
    """A rollout ticked every 10s with an analysis whenever one is due."""
    state, actions = begin(PLAN, STABLE, "1.1", 0.0)
    seen = [(state, actions)]
    stats = iter(STATS * 10)
    for now in range(10, 1000, 10):
        if failover:
            state = through_store(state)
        since = analysis_due(PLAN, state, now)
        analysis = None if since is None else analyse(GATE, next(stats), GOOD, now, since)
        state, actions = advance(PLAN, state, now, analysis)
        seen.append((state, actions))
        if state.phase is Phase.HEALTHY:
            break
    return seen


def test_a_failover_between_every_tick_changes_nothing() -> None:
    straight = run(failover=False)
    assert run(failover=True) == straight
    steps = [r for _, actions in straight for r in records(actions)]
    assert steps == [
        "step 1/4: 10 % to 1.1",
        "step 2/4: 25 % to 1.1",
        "step 3/4: 50 % to 1.1",
        "step 4/4: 75 % to 1.1",
        "promoted 1.1 after 4 steps; 1.0 retired",
    ]
    assert straight[-1][0].stable == "1.1"


def test_a_failover_between_every_tick_of_a_blue_green_run_changes_nothing() -> None:
    def bg(failover: bool) -> list[tuple[RolloutState, list[Action]]]:
        state, actions = begin(BLUE_GREEN, STABLE, "1.1", 0.0)
        seen = [(state, actions)]
        stats = iter([FEW, FEW, GOOD])
        for now in range(10, 200, 10):
            state = through_store(state) if failover else state
            since = analysis_due(BLUE_GREEN, state, now)
            analysis = None if since is None else analyse(GATE, next(stats), GOOD, now, since)
            state, actions = advance(BLUE_GREEN, state, now, analysis)
            seen.append((state, actions))
        return seen

    straight = bg(False)
    assert bg(True) == straight
    assert [e for _, a in straight for e in effects(a)] == [
        SetWeight(0),
        Promote("1.1"),
        Retire("1.0"),
    ]


def test_reject_aborts_an_in_flight_candidate_and_nothing_else() -> None:
    state, actions = reject(in_phase(Phase.PROGRESSING), "no live worker can run 1.1")
    assert (state.phase, state.weight) == (Phase.ABORTED, 0)
    assert records(actions) == [
        "aborted: no live worker can run 1.1; 1.0 serves all new tasks",
    ]
    assert reject(STABLE, "why") == (STABLE, [])
    assert reject(in_phase(Phase.ABORTED), "why")[1] == []
