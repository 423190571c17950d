"""Rollout plans: from a spec's `rollout:` block, and to and from JSON (a deploy's strategy
override is stored with the swarm's rollout). Pure."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from swarmstack.core.rollout_types import AnalysisPlan, RolloutPlan, Step
from swarmstack.spec.runtime import Rollout


def plan_of(rollout: Rollout) -> RolloutPlan:
    """The plan of a spec's `rollout:` block."""
    a = rollout.analysis
    return RolloutPlan(
        strategy=rollout.strategy,
        steps=tuple(Step(s.weight, s.pause) for s in rollout.steps),
        analysis=AnalysisPlan(
            interval_s=a.interval,
            min_samples=a.min_samples,
            max_error_rate=a.max_error_rate,
            max_p95_latency_s=a.max_p95_latency,
            max_cost_per_task=a.max_cost_per_task,
            max_tokens_per_task=a.max_tokens_per_task,
            max_budget_exceeded_rate=a.max_budget_exceeded_rate,
            max_cost_ratio=a.max_cost_ratio,
            max_tokens_ratio=a.max_tokens_ratio,
            max_latency_ratio=a.max_latency_ratio,
            failure_limit=a.failure_limit,
        ),
        auto_promote=rollout.blue_green.auto_promote,
        scale_down_delay_s=rollout.blue_green.scale_down_delay,
    )


def plan_to_dict(plan: RolloutPlan) -> dict[str, Any]:
    """A JSON-able form of a plan."""
    return asdict(plan)


def plan_from_dict(data: dict[str, Any]) -> RolloutPlan:
    """The inverse of `plan_to_dict`; raises KeyError/TypeError on malformed data."""
    return RolloutPlan(
        strategy=data["strategy"],
        steps=tuple(Step(**s) for s in data["steps"]),
        analysis=AnalysisPlan(**data["analysis"]),
        auto_promote=data["auto_promote"],
        scale_down_delay_s=data["scale_down_delay_s"],
    )
