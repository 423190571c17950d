"""The rollout state machine: deploy, controller tick, operator verbs and rollback.

Pure. The deploy API and the leader's rollout controller read a swarm's `RolloutState` from the
store, call one function here with an explicit `now`, write the new state back by
compare-and-set and then carry out the returned actions. Nothing here reads a clock or does
I/O, so a new leader that reads the stored state continues exactly where the old one stopped.

Semantics (docs/deployments.md): Argo Rollouts' steps, pauses, verbs and blue-green preview;
Flagger's cumulative failure count; and for agents: too few samples waits (neither a pass nor
a failure), and an abort re-runs the candidate's failed tasks on stable.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from swarmstack.core.rollout_analysis import analyse, describe
from swarmstack.core.rollout_plan import plan_of
from swarmstack.core.rollout_types import (
    Action,
    Analysis,
    Phase,
    Promote,
    Record,
    RerunOnStable,
    Retire,
    RolloutPlan,
    RolloutState,
    SetWeight,
    Verdict,
)
from swarmstack.errors import Conflict

__all__ = [
    "BY_OPERATOR",
    "INCONCLUSIVE",
    "KEEP_ANALYSES",
    "WAITING",
    "Verb",
    "advance",
    "analyse",
    "analysis_due",
    "begin",
    "command",
    "plan_of",
    "rollback",
]

Verb = Literal["promote", "promote-full", "abort", "pause", "resume", "retry"]
Result = tuple[RolloutState, list[Action]]

KEEP_ANALYSES = 20
WAITING = "waiting for promote"
INCONCLUSIVE = "inconclusive analysis"
BY_OPERATOR = "paused by operator"

_IN_FLIGHT = (Phase.PROGRESSING, Phase.PAUSED)
_LEGAL: dict[str, tuple[Phase, ...]] = {
    "promote": _IN_FLIGHT,
    "promote-full": _IN_FLIGHT,
    "abort": _IN_FLIGHT,
    "pause": (Phase.PROGRESSING,),
    "resume": (Phase.PAUSED,),
    "retry": (Phase.ABORTED,),
}


# --- deploy -------------------------------------------------------------------------------------
def begin(plan: RolloutPlan, state: RolloutState | None, candidate: str, now: float) -> Result:
    """Version `candidate` was deployed: start its rollout (or go back, or change nothing)."""
    if state is None:  # first deploy ever: no steps, as Argo
        first = RolloutState(stable=candidate, strategy=plan.strategy, started_at=now)
        return first, [Promote(candidate), Record("deploy", f"first deploy: {candidate} is stable")]
    if candidate == state.candidate:
        return state, []
    if candidate == state.stable:
        return _redeploy_stable(state)
    if candidate == state.previous:  # blue-green fast rollback while the old one is warm
        return rollback(state, candidate, now)
    actions: list[Action] = []
    if state.phase in _IN_FLIGHT and state.candidate is not None:
        old = state.candidate
        actions = [
            *_withdraw(state, state.stable),
            Record("replace", f"{old} replaced by {candidate} before promotion"),
        ]
    return _start(plan, state, candidate, now, actions)


def _redeploy_stable(state: RolloutState) -> Result:
    back = replace(state, candidate=None, phase=Phase.HEALTHY, weight=0, pause_reason=None)
    if state.phase in _IN_FLIGHT:
        message = f"aborted: {state.stable} redeployed while {state.candidate} was rolling out"
        return back, [SetWeight(0), *_withdraw(state, state.stable), Record("abort", message)]
    if state.phase is Phase.ABORTED:
        message = f"{state.stable} redeployed: aborted {state.candidate} dropped"
        return back, [Record("deploy", message)]
    return state, []


def _start(
    plan: RolloutPlan, state: RolloutState, candidate: str, now: float, actions: list[Action]
) -> Result:
    fresh = replace(
        state,
        candidate=candidate,
        strategy=plan.strategy,
        phase=Phase.PROGRESSING,
        step=0,
        weight=0,
        started_at=now,
        step_started_at=now,
        last_analysis_at=None,
        failed_analyses=0,
        pause_reason=None,
        pending_window_start=None,
        analyses=(),
    )
    if plan.strategy == "all-at-once" or (plan.strategy == "canary" and not plan.steps):
        return _promote(plan, fresh, now, actions, f"{candidate} replaces {state.stable} at once")
    if plan.strategy == "blue-green":
        message = f"preview: {candidate} at 0 %, reachable by pinning; {state.stable} serves"
        return fresh, [*actions, SetWeight(0), Record("preview", message)]
    return _enter_step(plan, fresh, 0, now, actions)


# --- controller tick ------------------------------------------------------------------------------
def analysis_due(plan: RolloutPlan, state: RolloutState, now: float) -> float | None:
    """The start of the window to analyse now, or None when no analysis is due."""
    if state.phase is not Phase.PROGRESSING:
        return None
    last = state.step_started_at if state.last_analysis_at is None else state.last_analysis_at
    if now - last < plan.analysis.interval_s:
        return None
    return last if state.pending_window_start is None else state.pending_window_start


def advance(
    plan: RolloutPlan, state: RolloutState, now: float, analysis: Analysis | None
) -> Result:
    """One controller tick, with the analysis `analysis_due` asked for (or None). A canary
    step moves on once its pause is over and the newest analysis taken in it (if any) passed;
    outside PROGRESSING only the blue-green retirement timer runs (an analysis is ignored)."""
    state, actions = _retire_previous(state, now)
    if state.phase is not Phase.PROGRESSING:
        return state, actions
    if analysis is not None:
        state = _recorded(state, analysis)
        if analysis.verdict is Verdict.FAIL:
            return _failed(plan, state, analysis, actions)
        if analysis.verdict is Verdict.INCONCLUSIVE and analysis.low_samples:
            return state, actions  # wait for traffic (Flagger would count this as a failure)
        if analysis.verdict is Verdict.INCONCLUSIVE:
            message = f"paused: inconclusive analysis: {_why(analysis, Verdict.INCONCLUSIVE)}"
            return _pause(state, INCONCLUSIVE, actions, f"{message}; promote or abort")
    if state.strategy == "blue-green":
        return _previewed(plan, state, now, analysis, actions)
    return _walk(plan, state, now, actions)


def _recorded(state: RolloutState, analysis: Analysis) -> RolloutState:
    return replace(
        state,
        analyses=(*state.analyses, analysis)[-KEEP_ANALYSES:],
        last_analysis_at=analysis.at,
        pending_window_start=analysis.window_start if analysis.low_samples else None,
    )


def _failed(
    plan: RolloutPlan, state: RolloutState, analysis: Analysis, actions: list[Action]
) -> Result:
    failed = state.failed_analyses + 1
    limit = plan.analysis.failure_limit
    state = replace(state, failed_analyses=failed)
    why = _why(analysis, Verdict.FAIL)
    if failed > limit:
        tail = f"; {failed} failed analyses, {limit} tolerated" if limit else ""
        return _abort(state, f"aborted: {why}{tail}", actions)
    message = f"analysis failed ({failed} of {limit} tolerated): {why}"
    return state, [*actions, Record("analysis", message)]


def _walk(plan: RolloutPlan, state: RolloutState, now: float, actions: list[Action]) -> Result:
    if _held(state):
        return state, actions
    if state.step >= len(plan.steps):  # the plan lost steps since this rollout began
        return _promote(plan, state, now, actions, f"promoted {state.candidate}")
    pause = plan.steps[state.step].pause_s
    if pause is None:
        return _pause(state, WAITING, actions, f"{_where(plan, state)}; waiting for promote")
    if now - state.step_started_at < pause:
        return state, actions
    return _next(plan, state, now, actions)


def _held(state: RolloutState) -> bool:
    """The newest analysis of this step did not pass: the step waits for one that does."""
    last = state.analyses[-1] if state.analyses else None
    return last is not None and last.at >= state.step_started_at and last.verdict != Verdict.PASS


def _previewed(
    plan: RolloutPlan,
    state: RolloutState,
    now: float,
    analysis: Analysis | None,
    actions: list[Action],
) -> Result:
    if analysis is None or analysis.verdict is not Verdict.PASS:
        return state, actions
    if plan.auto_promote:
        return _promote(plan, state, now, actions, f"promoted {state.candidate} after analysis")
    message = f"{state.candidate} passed analysis in preview; waiting for promote"
    return _pause(state, WAITING, actions, message)


def _retire_previous(state: RolloutState, now: float) -> Result:
    if state.previous is None or state.retire_at is None or now < state.retire_at:
        return state, []
    message = f"{state.previous} retired: scale-down delay over"
    return replace(state, previous=None, retire_at=None), [
        Retire(state.previous),
        Record("retire", message),
    ]


# --- operator verbs -------------------------------------------------------------------------------
def command(plan: RolloutPlan, state: RolloutState, now: float, verb: Verb) -> Result:
    """An operator verb; raises Conflict when `verb` makes no sense in the current phase."""
    _check_legal(state, verb)
    said: list[Action] = [Record(verb, f"{verb} by operator")]
    running = replace(state, phase=Phase.PROGRESSING, pause_reason=None)
    if verb == "promote" and state.strategy != "blue-green":
        return _next(plan, running, now, said)
    if verb in ("promote", "promote-full"):
        return _promote(plan, running, now, said, f"promoted {state.candidate} by operator")
    if verb == "abort":
        return _abort(state, f"aborted by operator; {state.stable} serves all new tasks", [])
    if verb == "pause":
        return _pause(state, BY_OPERATOR, [], f"paused by operator at {_where(plan, state)}")
    if verb == "resume":
        resumed = replace(running, step_started_at=now)
        return resumed, [Record("resume", f"resumed by operator at {_where(plan, state)}")]
    assert state.candidate is not None  # an aborted rollout keeps its candidate
    return _start(plan, state, state.candidate, now, said)


def reject(state: RolloutState, reason: str) -> Result:
    """Abort the in-flight candidate for `reason` (e.g. no live worker can run it); a rollout
    that is not in flight is returned unchanged."""
    if state.phase not in _IN_FLIGHT or state.candidate is None:
        return state, []
    return _abort(state, f"aborted: {reason}; {state.stable} serves all new tasks", [])


def _check_legal(state: RolloutState, verb: Verb) -> None:
    if state.phase not in _LEGAL[verb]:
        what = f"of {state.candidate} " if state.candidate else ""
        raise Conflict(f"cannot {verb}: the rollout {what}is {state.phase}", fix=_fix(state, verb))
    if verb == "resume" and state.pause_reason == WAITING:
        raise Conflict(
            f"cannot resume: the rollout of {state.candidate} is paused {WAITING}",
            fix="run `promote` to move on, or `abort`",
        )


def _fix(state: RolloutState, verb: Verb) -> str:
    if state.phase is Phase.HEALTHY:
        back = "; `rollback` returns to an earlier version" if verb == "abort" else ""
        return f"nothing is rolling out: deploy a new version to start a rollout{back}"
    if state.phase is Phase.ABORTED:
        return f"run `retry` to roll {state.candidate} out again, or deploy another version"
    if state.phase is Phase.PAUSED:
        return "run `resume` to continue, `promote` to move on or `abort` to stop it"
    return "run `pause` to hold it, `promote` to move on or `abort` to stop it"


# --- rollback -------------------------------------------------------------------------------------
def rollback(state: RolloutState, to: str, now: float) -> Result:
    """Serve version `to` at once, with no steps; an in-flight candidate is aborted onto `to`."""
    if to == state.stable and state.phase is Phase.HEALTHY:
        return state, []
    actions: list[Action] = []
    aborted = ""
    if state.phase in _IN_FLIGHT and state.candidate is not None:
        aborted = f"; {state.candidate} was rolling out"
        if state.candidate != to:
            actions = [SetWeight(0), *_withdraw(state, to)]
    if to != state.stable:  # the old stable's queued tasks follow the traffic to `to`
        actions += [Promote(to), Retire(state.stable), RerunOnStable(state.stable, to, now)]
    warm = state.previous != to
    new = _settled(state, to, state.previous if warm else None, state.retire_at if warm else None)
    return new, [*actions, Record("rollback", f"rolled back to {to} (was {state.stable}){aborted}")]


# --- shared transitions ---------------------------------------------------------------------------
def _settled(
    state: RolloutState, stable: str, previous: str | None, retire_at: float | None
) -> RolloutState:
    """No rollout in flight: all traffic on `stable`, a warm `previous` until `retire_at`."""
    return replace(
        state,
        stable=stable,
        candidate=None,
        phase=Phase.HEALTHY,
        step=0,
        weight=0,
        pause_reason=None,
        pending_window_start=None,
        previous=previous,
        retire_at=retire_at,
    )


def _enter_step(
    plan: RolloutPlan, state: RolloutState, index: int, now: float, actions: list[Action]
) -> Result:
    weight = plan.steps[index].weight
    new = replace(state, phase=Phase.PROGRESSING, step=index, weight=weight, step_started_at=now)
    return new, [*actions, SetWeight(weight), Record("step", _where(plan, new))]


def _next(plan: RolloutPlan, state: RolloutState, now: float, actions: list[Action]) -> Result:
    if state.step + 1 < len(plan.steps):
        return _enter_step(plan, state, state.step + 1, now, actions)
    steps = len(plan.steps)
    return _promote(plan, state, now, actions, f"promoted {state.candidate} after {steps} steps")


def _promote(
    plan: RolloutPlan, state: RolloutState, now: float, actions: list[Action], message: str
) -> Result:
    assert state.candidate is not None  # only an in-flight rollout is promoted
    new, old = state.candidate, state.stable
    still_warm = state.previous != new
    done = _settled(
        state,
        new,
        state.previous if still_warm else None,
        state.retire_at if still_warm else None,
    )
    if state.strategy == "blue-green" and plan.scale_down_delay_s > 0:
        earlier = [Retire(done.previous)] if done.previous is not None else []
        kept = replace(done, previous=old, retire_at=now + plan.scale_down_delay_s)
        warm = f"{message}; {old} stays loaded {plan.scale_down_delay_s:g}s for a fast rollback"
        return kept, [*actions, Promote(new), *earlier, Record("promote", warm)]
    return done, [
        *actions,
        Promote(new),
        Retire(old),
        Record("promote", f"{message}; {old} retired"),
    ]


def _abort(state: RolloutState, message: str, actions: list[Action]) -> Result:
    aborted = replace(state, phase=Phase.ABORTED, weight=0, pause_reason=None)
    return aborted, [
        *actions,
        SetWeight(0),
        *_withdraw(state, state.stable),
        Record("abort", message),
    ]


def _withdraw(state: RolloutState, onto: str) -> list[Action]:
    """The in-flight candidate takes no new tasks; its failed ones run again on `onto`."""
    if state.candidate is None:
        return []
    return [RerunOnStable(state.candidate, onto, since=state.started_at), Retire(state.candidate)]


def _pause(state: RolloutState, reason: str, actions: list[Action], message: str) -> Result:
    return replace(state, phase=Phase.PAUSED, pause_reason=reason), [
        *actions,
        Record("pause", message),
    ]


def _where(plan: RolloutPlan, state: RolloutState) -> str:
    """`step 2/3: 50 % to 1.4.0` (canary) or `preview of 1.4.0` (blue-green)."""
    if state.strategy == "blue-green":
        return f"preview of {state.candidate}"
    return f"step {state.step + 1}/{len(plan.steps)}: {state.weight} % to {state.candidate}"


def _why(analysis: Analysis, verdict: Verdict) -> str:
    """`error rate 0.31 > 0.05 (42 tasks)`: the checks with `verdict`, and the sample size."""
    checks = [describe(c) for c in analysis.checks if c.verdict is verdict]
    return f"{', '.join(checks) or 'no checks'} ({analysis.candidate.samples} tasks)"
