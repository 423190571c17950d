"""One analysis of a candidate version: every configured threshold becomes a `Check`.

Pure; called by the rollout controller (through `core.rollout.analyse`) with the stats of the
candidate and of stable over the same window. Verdicts follow Argo's analysis runs with one
difference for agents (docs/deployments.md): too few finished tasks is never a pass and never a
failure (Flagger fails it), only inconclusive, and `low_samples` tells the machine to wait.
"""

from __future__ import annotations

from collections.abc import Iterator

from swarmstack.core.rollout_types import Analysis, AnalysisPlan, Check, Verdict, VersionStats

_SEVERITY = {Verdict.PASS: 0, Verdict.INCONCLUSIVE: 1, Verdict.FAIL: 2}
_LABELS = {
    "error_rate": "error rate",
    "p95_latency_s": "p95 latency",
    "cost_per_task": "cost per task",
    "tokens_per_task": "tokens per task",
    "budget_exceeded_rate": "budget-exceeded rate",
    "cost_ratio": "cost / stable",
    "tokens_ratio": "tokens / stable",
    "latency_ratio": "p95 latency / stable",
}
FEW_SAMPLES = "too few samples"
_STABLE_FEW = "stable has too few samples"


def analyse(
    plan: AnalysisPlan,
    candidate: VersionStats,
    stable: VersionStats,
    now: float,
    window_start: float,
) -> Analysis:
    """Judge `candidate` against `plan` (and against `stable` for the ratios) over a window."""
    enough = candidate.samples >= plan.min_samples
    checks = tuple(
        _judge(name, value, limit, note, enough)
        for name, value, limit, note in _measures(plan, candidate, stable)
    )
    verdict = worst([c.verdict for c in checks] or [Verdict.PASS])
    if not enough:
        verdict = Verdict.INCONCLUSIVE
    inconclusive = [c for c in checks if c.verdict is Verdict.INCONCLUSIVE]
    low = verdict is Verdict.INCONCLUSIVE and all(
        c.note in (FEW_SAMPLES, _STABLE_FEW) for c in inconclusive
    )
    return Analysis(now, window_start, verdict, checks, candidate, stable, low_samples=low)


def worst(verdicts: list[Verdict]) -> Verdict:
    """FAIL over INCONCLUSIVE over PASS."""
    return max(verdicts, key=_SEVERITY.__getitem__)


def describe(check: Check) -> str:
    """A check for a human: `error rate 0.31 > 0.05` or `p95 latency: no value`."""
    label = _LABELS.get(check.name, check.name)
    if check.verdict is Verdict.INCONCLUSIVE or check.value is None:
        return f"{label}: {check.note or 'no value'}"
    sign = ">" if check.verdict is Verdict.FAIL else "<="
    return f"{label} {check.value:.3g} {sign} {check.limit:.3g}"


def _judge(name: str, value: float | None, limit: float, note: str, enough: bool) -> Check:
    if not enough:
        return Check(name, value, limit, Verdict.INCONCLUSIVE, FEW_SAMPLES)
    if value is None:
        return Check(name, None, limit, Verdict.INCONCLUSIVE, note)
    return Check(name, value, limit, Verdict.FAIL if value > limit else Verdict.PASS)


def _measures(
    plan: AnalysisPlan, cand: VersionStats, stable: VersionStats
) -> Iterator[tuple[str, float | None, float, str]]:
    """(name, value, limit, why the value is None) for every configured threshold."""
    absolute = [
        ("error_rate", _rate(cand.errors, cand.samples), plan.max_error_rate),
        ("p95_latency_s", cand.p95_latency_s, plan.max_p95_latency_s),
        ("cost_per_task", cand.cost_per_task, plan.max_cost_per_task),
        ("tokens_per_task", cand.tokens_per_task, plan.max_tokens_per_task),
        (
            "budget_exceeded_rate",
            _rate(cand.budget_exceeded, cand.samples),
            plan.max_budget_exceeded_rate,
        ),
    ]
    for name, value, limit in absolute:
        if limit is not None:
            yield name, value, limit, "no value"
    relative = [
        ("cost_ratio", cand.cost_per_task, stable.cost_per_task, plan.max_cost_ratio),
        ("tokens_ratio", cand.tokens_per_task, stable.tokens_per_task, plan.max_tokens_ratio),
        ("latency_ratio", cand.p95_latency_s, stable.p95_latency_s, plan.max_latency_ratio),
    ]
    for name, mine, theirs, limit in relative:
        if limit is not None:
            value, note = _ratio(mine, theirs, stable.samples >= plan.min_samples)
            yield name, value, limit, note


def _ratio(mine: float | None, theirs: float | None, enough: bool) -> tuple[float | None, str]:
    if not enough:
        return None, _STABLE_FEW
    if mine is None:
        return None, "no value"
    if not theirs:
        return None, "stable has no value to compare with"
    return mine / theirs, ""


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None
