"""Every Swarms swarm type, imported from a SwarmSpec JSON and run on the fake LLM server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from llm_helpers import Events

from swarmstack.agents import SwarmRuntime
from swarmstack.agents.context import TaskContext
from swarmstack.errors import BudgetExceeded
from swarmstack.spec.agents import Budget
from swarmstack.spec.swarms import import_text, runnable
from swarmstack.testing import FakeLLM

ORDERS = '{"plan": "p", "orders": [{"agent_name": "Finance", "task": "numbers"}]}'


def agent(name: str, prompt: str = "", **extra: Any) -> dict[str, Any]:
    return {"agent_name": name, "system_prompt": prompt, "model_name": "gpt-4o-mini", **extra}


@pytest.fixture
def ctx(events: Events) -> TaskContext:
    return TaskContext(task_id="t", swarm="s", attempt=1, emit=events, secret=lambda _: "sk-test")


@pytest.fixture
async def swarm(fake_llm: FakeLLM, ctx: TaskContext) -> AsyncIterator[Callable[..., Any]]:
    runtimes: list[SwarmRuntime] = []

    async def run(doc: dict[str, Any], task: str) -> Any:
        imported = import_text(json.dumps(doc), "api")
        spec = runnable(imported, {"OPENAI_BASE_URL": fake_llm.base_url}, "api")
        runtimes.append(runtime := SwarmRuntime(spec))
        return await runtime.run(task, ctx)

    yield run
    for runtime in runtimes:
        await runtime.aclose()


def steps(events: Events) -> list[str]:
    return [e["step"] for e in events.of("step_finished")]


async def test_sequential_workflow_honours_max_loops(swarm: Any, events: Events) -> None:
    doc = {"agents": [agent("A"), agent("B")], "swarm_type": "SequentialWorkflow", "max_loops": 2}
    assert await swarm(doc, "go") == "echo: echo: echo: echo: go"
    assert steps(events) == ["0:a", "1:b", "2:a", "3:b"]


async def test_concurrent_workflow_keeps_siblings_of_a_failed_agent(swarm: Any) -> None:
    doc = {
        "agents": [agent("Ok"), agent("Broken", "[[status:400]]")],
        "swarm_type": "ConcurrentWorkflow",
    }
    result = await swarm(doc, "go")
    assert result["ok"] == "echo: go" and "HTTP 400" in result["_errors"]["broken"]


async def test_agent_rearrange_runs_parallel_steps(swarm: Any, events: Events) -> None:
    doc = {
        "agents": [agent("A", "[[say:from a]]"), agent("B"), agent("C"), agent("D")],
        "swarm_type": "AgentRearrange",
        "rearrange_flow": "A -> B, C -> D",
    }
    result = await swarm(doc, "go")
    assert json.loads(result.removeprefix("echo: ")) == {"b": "echo: from a", "c": "echo: from a"}
    assert steps(events)[-1] == "node:d"


async def test_graph_workflow(swarm: Any) -> None:
    doc = {
        "agents": [
            agent("Plan", "[[say:plan]]"),
            agent("X"),
            agent("Y"),
            agent("Join", "[[say:joined]]"),
        ],
        "edges": [["Plan", ["X", "Y"]], [["X", "Y"], "Join"]],
        "end_points": ["Join"],
    }
    assert await swarm(doc, "go") == "joined"


async def test_mixture_of_agents_aggregates_last(swarm: Any, events: Events) -> None:
    doc = {
        "agents": [agent("A"), agent("B"), agent("Agg", "[[say:synthesis]]")],
        "swarm_type": "MixtureOfAgents",
        "max_loops": 2,
    }
    assert await swarm(doc, "go") == "synthesis"
    assert len(steps(events)) == 3 * 2 + 1


async def test_hierarchical_swarm_director_assigns(swarm: Any, events: Events) -> None:
    doc = {
        "agents": [
            agent("Chair", f"[[say:{ORDERS}]]", role="director"),
            agent("Finance", "[[say:profit up]]"),
            agent("Legal"),
        ],
        "swarm_type": "HiearchicalSwarm",
        "max_loops": 2,
    }
    result = await swarm(doc, "Expand?")
    assert result["results"] == {"finance": "profit up"}
    assert steps(events).count("loop2:order0:finance") == 1


async def test_majority_voting_ends_with_the_consensus_agent(swarm: Any, events: Events) -> None:
    doc = {"agents": [agent("A"), agent("B"), agent("C")], "swarm_type": "MajorityVoting"}
    result = await swarm(doc, "2+2?")
    assert result.startswith("echo: ") and steps(events)[-1] == "aggregate:consensus"


async def test_group_chat_is_bounded_by_max_loops(swarm: Any) -> None:
    doc = {"agents": [agent("A"), agent("B")], "swarm_type": "GroupChat", "max_loops": 2}
    result = await swarm(doc, "talk")
    assert [m["role"] for m in result] == ["a", "b", "a", "b"]


async def test_multi_agent_router_picks_one_agent(swarm: Any, events: Events) -> None:
    doc = {
        "agents": [
            agent("Boss", "[[say:Billing]]", role="router"),
            agent("Billing", "[[say:refund sent]]"),
            agent("Tech", "[[say:reboot]]"),
        ],
        "swarm_type": "MultiAgentRouter",
    }
    assert await swarm(doc, "my card") == "refund sent"
    assert [e["route"] for e in events.of("route")] == ["billing"]


async def test_budgets_stop_a_looping_swarm(swarm: Any, ctx: TaskContext) -> None:
    ctx.budget = Budget(max_steps=3)
    doc = {"agents": [agent("A"), agent("B")], "swarm_type": "SequentialWorkflow", "max_loops": 5}
    with pytest.raises(BudgetExceeded, match="max_steps"):
        await swarm(doc, "go")
    assert ctx.usage.steps == 4


async def test_cancelling_a_group_chat_stops_it(swarm: Any, events: Events) -> None:
    doc = {"agents": [agent("A", "[[slow:5]]")], "swarm_type": "GroupChat", "max_loops": 3}
    running = asyncio.create_task(swarm(doc, "talk"))
    await events.wait_for("step_started")
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert events.of("step_finished") == []
