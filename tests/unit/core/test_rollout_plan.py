"""A spec's rollout block becomes a plan, and a plan survives JSON (stored deploy overrides)."""

from __future__ import annotations

import json

from swarmstack.core.rollout_plan import plan_from_dict, plan_of, plan_to_dict
from swarmstack.core.rollout_types import Step
from swarmstack.spec.runtime import Rollout


def test_the_spec_block_becomes_a_plan_and_round_trips_through_json() -> None:
    rollout = Rollout.model_validate(
        {
            "strategy": "canary",
            "steps": [{"weight": 10, "pause": "30s"}, {"weight": 50, "pause": {}}],
            "analysis": {"interval": "5s", "min_samples": 3, "max_cost_ratio": 2},
        }
    )
    plan = plan_of(rollout)
    assert plan.steps == (Step(10, 30.0), Step(50, None))
    assert (plan.analysis.interval_s, plan.analysis.max_cost_ratio) == (5.0, 2)
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan)))) == plan
