"""The `rollout:` block of a spec: strategies, steps and pauses, analysis gates, blue-green,
and the plan the rollout machine gets from it."""

from __future__ import annotations

import pytest

from swarmstack.core.rollout import plan_of
from swarmstack.core.rollout_types import AnalysisPlan, RolloutPlan, Step
from swarmstack.errors import SpecError
from swarmstack.spec import parse_spec
from swarmstack.spec.runtime import Rollout

HEAD = """\
name: demo
agents:
  a: {kind: python, entrypoint: "m:f"}
flow: {type: sequential, steps: [a]}
"""


def rollout(block: str) -> Rollout:
    return parse_spec(HEAD + block, "swarm.yaml", {}).rollout


def test_defaults_are_two_timed_canary_steps() -> None:
    plan = plan_of(Rollout())
    assert plan == RolloutPlan(
        strategy="canary",
        steps=(Step(10, 60.0), Step(50, 60.0)),
        analysis=AnalysisPlan(),
        auto_promote=True,
        scale_down_delay_s=30.0,
    )


@pytest.mark.parametrize(
    ("pause", "seconds"), [("5m", 300.0), ("{}", None), ("null", None), ("0", 0.0)]
)
def test_a_pause_is_a_duration_or_a_wait_for_promote(pause: str, seconds: float | None) -> None:
    spec = rollout(f"rollout: {{steps: [{{weight: 10, pause: {pause}}}]}}\n")
    assert plan_of(spec).steps == (Step(10, seconds),)


def test_a_step_without_pause_moves_on_at_once() -> None:
    assert plan_of(rollout("rollout: {steps: [{weight: 30}]}\n")).steps == (Step(30, 0.0),)


@pytest.mark.parametrize("name", ["blue-green", "bluegreen", "blue_green"])
def test_blue_green_spellings(name: str) -> None:
    blue_green = "{auto_promote: false, scale_down_delay: 2m}"
    spec = rollout(f"rollout: {{strategy: {name}, blue_green: {blue_green}}}\n")
    plan = plan_of(spec)
    assert (plan.strategy, plan.auto_promote, plan.scale_down_delay_s) == ("blue-green", False, 120)


def test_every_analysis_gate_reaches_the_plan() -> None:
    spec = rollout(
        "rollout:\n"
        "  strategy: all-at-once\n"
        "  analysis: {interval: 1m, min_samples: 5, max_error_rate: 0.1, max_p95_latency: null,\n"
        "    max_cost_per_task: 0.02, max_tokens_per_task: 8000, max_budget_exceeded_rate: 0.01,\n"
        "    max_cost_ratio: 1.5, max_tokens_ratio: 1.2, max_latency_ratio: 2, failure_limit: 2}\n"
    )
    assert plan_of(spec).analysis == AnalysisPlan(
        interval_s=60,
        min_samples=5,
        max_error_rate=0.1,
        max_p95_latency_s=None,
        max_cost_per_task=0.02,
        max_tokens_per_task=8000,
        max_budget_exceeded_rate=0.01,
        max_cost_ratio=1.5,
        max_tokens_ratio=1.2,
        max_latency_ratio=2,
        failure_limit=2,
    )


def test_decreasing_weights_name_the_step() -> None:
    with pytest.raises(SpecError) as err:
        rollout("rollout: {steps: [{weight: 10}, {weight: 50}, {weight: 20}]}\n")
    assert "steps[2] weight 20 is below steps[1] weight 50" in err.value.render()
    assert "rollout.steps" in err.value.render()


@pytest.mark.parametrize(
    "block",
    [
        "rollout: {strategy: rolling}\n",
        "rollout: {steps: [{weight: 10, pause: {duration: 5m}}]}\n",
        "rollout: {analysis: {max_cost_ratio: 0}}\n",
        "rollout: {analysis: {failure_limit: -1}}\n",
    ],
)
def test_invalid_rollout_blocks_are_spec_errors(block: str) -> None:
    with pytest.raises(SpecError):
        rollout(block)
