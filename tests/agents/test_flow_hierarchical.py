"""`hierarchical` flows: plan, orders at once, feedback, bounded loops; the director's answer."""

from __future__ import annotations

from typing import Any

import pytest
from llm_helpers import Events

from swarmstack.agents import SwarmRuntime
from swarmstack.agents.flow_hierarchical import read_orders
from swarmstack.errors import AgentError
from swarmstack.spec.loader import parse_spec
from swarmstack.spec.swarm import SwarmSpec


def spec(flow: dict[str, Any], **agents: str) -> SwarmSpec:
    import yaml

    document = {
        "name": "boss",
        "agents": {
            n: {"kind": "python", "entrypoint": f"agents_testkit:{f}"} for n, f in agents.items()
        },
        "flow": flow,
    }
    return parse_spec(yaml.safe_dump(document), "boss.yaml", {})


async def test_orders_run_and_the_director_stops_when_it_gives_none(
    make_ctx: Any, events: Events
) -> None:
    swarm = spec(
        {"type": "hierarchical", "director": "boss", "workers": ["left", "right"], "loops": 3},
        boss="director",
        left="tag_a",
        right="fail",
    )
    runtime = SwarmRuntime(swarm)
    try:
        result = await runtime.run("task", make_ctx())
    finally:
        await runtime.aclose()
    assert result["plan"] == "split" and result["results"] == {"left": "a(L)"}
    assert "right" in result["errors"] and result["feedback"] == "looks fine"
    steps = [e["step"] for e in events.of("step_started")]
    assert steps[0] == "loop1:plan" and steps[-1] == "loop2:plan"
    assert "loop1:feedback" in steps and not any(s.startswith("loop3") for s in steps)
    assert events.of("orders")[1]["orders"] == []


def test_read_orders_is_lenient_about_fences_and_case() -> None:
    answer = (
        'Sure!\n```json\n{"plan": "p", "orders": [{"agent_name": "Left ", "task": "x"}, 5]}\n```'
    )
    assert read_orders(answer, ["left"], "d") == ("p", [{"agent_name": "left", "task": "x"}])
    assert read_orders({"orders": [{"agent_name": "left", "task": " "}]}, ["left"], "d") == ("", [])


@pytest.mark.parametrize("answer", ["no json here", "{not json}", "[1, 2]"])
def test_an_answer_without_orders_json_fails_the_step(answer: str) -> None:
    with pytest.raises(AgentError, match="director 'd' answered no JSON object"):
        read_orders(answer, ["left"], "d")
