"""All four flows through the real SwarmRuntime, with Python agents and the fake LLM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import agents_testkit
import pytest
import yaml
from llm_helpers import Events

from swarmstack.agents import SwarmRuntime
from swarmstack.agents.http import HttpPool
from swarmstack.errors import AgentError, InvalidInput
from swarmstack.spec.loader import parse_spec
from swarmstack.spec.swarm import SwarmSpec
from swarmstack.testing import FakeLLM

Build = Callable[..., SwarmSpec]


def py(name: str) -> dict[str, str]:
    return {"kind": "python", "entrypoint": f"agents_testkit:{name}"}


@pytest.fixture
def spec(fake_llm: FakeLLM) -> Build:
    def build(flow: dict[str, Any], **agents: dict[str, Any]) -> SwarmSpec:
        llm = {
            "kind": "llm",
            "model": "gpt-4o-mini",
            "base_url": fake_llm.base_url,
            "api_key": "${secret:FAKE_KEY}",
        }
        resolved = {name: llm | a if a.get("kind") == "llm" else a for name, a in agents.items()}
        text = yaml.safe_dump({"name": "flows", "agents": resolved, "flow": flow})
        return parse_spec(text, "flows.yaml", {})

    return build


@pytest.fixture
async def run(make_ctx: Any) -> AsyncIterator[Callable[..., Any]]:
    runtimes: list[SwarmRuntime] = []

    async def go(swarm: SwarmSpec, data: Any, ctx: Any = None) -> Any:
        runtimes.append(runtime := SwarmRuntime(swarm))
        return await runtime.run(data, ctx or make_ctx())

    yield go
    for runtime in runtimes:
        await runtime.aclose()


async def test_sequential_mixes_llm_and_python(spec: Build, run: Any) -> None:
    swarm = spec(
        {"type": "sequential", "steps": ["writer", "shout"]},
        writer={"kind": "llm"},
        shout=py("upper"),
    )
    assert await run(swarm, "hello") == "ECHO: HELLO"


async def test_concurrent_aggregator_receives_every_branch(
    spec: Build, run: Any, events: Events
) -> None:
    swarm = spec(
        {"type": "concurrent", "branches": ["a", "b", "writer"], "aggregator": "join"},
        a=py("tag_a"),
        b=py("tag_b"),
        writer={"kind": "llm"},
        join=py("join"),
    )
    result = await run(swarm, "x")
    assert result == {"joined": {"a": "a(x)", "b": "b(x)", "writer": "echo: x"}}
    steps = [e["step"] for e in events.of("step_finished")]
    assert sorted(steps[:3]) == ["branch:a", "branch:b", "branch:writer"]
    assert steps[3] == "aggregate:join"


async def test_concurrent_merge_list_keeps_branch_order(spec: Build, run: Any) -> None:
    swarm = spec(
        {"type": "concurrent", "branches": ["b", "a", "b"], "merge": "list"},
        a=py("tag_a"),
        b=py("tag_b"),
    )
    assert await run(swarm, 1) == ["b(1)", "a(1)", "b(1)"]


async def test_continue_keeps_siblings_and_records_the_failure(
    spec: Build, run: Any, events: Events
) -> None:
    swarm = spec(
        {"type": "concurrent", "branches": ["a", "broken"], "on_error": "continue"},
        a=py("tag_a"),
        broken=py("fail"),
    )
    result = await run(swarm, "x")
    assert result["a"] == "a(x)"
    assert "branch failed on purpose" in result["_errors"]["broken"]
    assert events.of("step_failed")[0]["step"] == "branch:broken"


async def test_fail_cancels_siblings_and_raises(spec: Build, run: Any) -> None:
    agents_testkit.CANCELLED.clear()
    swarm = spec(
        {"type": "concurrent", "branches": ["hang", "broken"]}, hang=py("slow"), broken=py("fail")
    )
    with pytest.raises(AgentError, match="branch failed on purpose"):
        await asyncio.wait_for(run(swarm, "x"), 2)
    assert agents_testkit.CANCELLED == ["slow"]


async def test_llm_router_picks_routes_until_done(
    spec: Build, run: Any, events: Events, fake_llm: FakeLLM
) -> None:
    swarm = spec(
        {"type": "router", "router": "boss", "routes": ["shout", "writer"]},
        boss={"kind": "llm", "description": "picks"},
        writer={"kind": "llm"},
        shout=py("upper"),
    )
    # hop 1: the input tells the fake router to say "shout"; hop 2: the upper-cased text
    # keeps no directive, so the router echoes a sentence naming no route and stops.
    result = await run(swarm, "[[say:shout]] make it loud")
    assert result == "[[SAY:SHOUT]] MAKE IT LOUD"
    routes = [e["route"] for e in events.of("route")]
    assert routes[0] == "shout"
    assert events.of("step_finished")[0]["step"] == "hop1:router"
    question = fake_llm.state.requests[-1]["messages"][-1]["content"]
    assert "- shout: shout" in question
    assert "- writer: writer" in question
    assert "Answer with exactly one route name, or DONE" in question


async def test_router_stops_at_max_hops(spec: Build, run: Any, events: Events) -> None:
    swarm = spec(
        {"type": "router", "router": "boss", "routes": ["writer"], "max_hops": 3},
        boss={"kind": "llm", "system_prompt": "[[say:writer]]"},
        writer={"kind": "llm"},
    )
    assert await run(swarm, "go") == "echo: echo: echo: go"
    assert [e["hop"] for e in events.of("route")] == [1, 2, 3]
    assert len([e for e in events.of("step_finished") if e["agent"] == "writer"]) == 3


async def test_python_rule_router(spec: Build, run: Any, events: Events) -> None:
    swarm = spec(
        {"type": "router", "router": "agents_testkit:route_once", "routes": ["upper"]},
        upper=py("upper"),
    )
    assert await run(swarm, "quiet") == "QUIET"
    assert [e["route"] for e in events.of("route")] == ["upper", None]


async def test_rule_answering_an_unknown_route_is_an_error(spec: Build, run: Any) -> None:
    swarm = spec(
        {"type": "router", "router": "agents_testkit:bad_rule", "routes": ["upper"]},
        upper=py("upper"),
    )
    with pytest.raises(InvalidInput, match="returned 'nowhere', not a route"):
        await run(swarm, "x")


async def test_graph_runs_in_dependency_order_with_parallel_nodes(
    spec: Build, run: Any, events: Events
) -> None:
    agents_testkit.BARRIER.clear()
    flow = {
        "type": "graph",
        "nodes": {
            "start": {"agent": "a"},
            "left": {"agent": "ping", "depends_on": ["start"]},
            "right": {"agent": "pong", "depends_on": ["start"]},
            "end": {"agent": "join", "depends_on": ["left", "right"]},
        },
    }
    swarm = spec(flow, a=py("tag_a"), ping=py("ping"), pong=py("pong"), join=py("join"))
    result = await asyncio.wait_for(run(swarm, "x"), 2)
    assert result == {"joined": {"left": "ping(a(x))", "right": "pong(a(x))"}}
    steps = [e["step"] for e in events.of("step_finished")]
    assert steps[0] == "node:start"
    assert steps[-1] == "node:end"


async def test_graph_output_and_several_sinks(spec: Build, run: Any) -> None:
    nodes = {"one": {"agent": "a"}, "two": {"agent": "b"}}
    agents = {"a": py("tag_a"), "b": py("tag_b")}
    assert await run(spec({"type": "graph", "nodes": nodes}, **agents), 1) == {
        "one": "a(1)",
        "two": "b(1)",
    }
    assert await run(spec({"type": "graph", "nodes": nodes, "output": "two"}, **agents), 1) == (
        "b(1)"
    )


async def test_graph_failure_fails_the_task(spec: Build, run: Any) -> None:
    nodes = {"bad": {"agent": "broken"}, "after": {"agent": "a", "depends_on": ["bad"]}}
    swarm = spec({"type": "graph", "nodes": nodes}, broken=py("fail"), a=py("tag_a"))
    with pytest.raises(AgentError, match="node:bad"):
        await asyncio.wait_for(run(swarm, "x"), 2)


async def test_runtime_shares_an_injected_client_and_closes_its_own(spec: Build) -> None:
    swarm = spec({"type": "sequential", "steps": ["writer"]}, writer={"kind": "llm"})
    async with HttpPool() as shared:
        runtime = SwarmRuntime(swarm, http_client=shared)
        await runtime.aclose()
        assert not shared.is_closed
    own = SwarmRuntime(swarm)
    assert own.http is not None
    await own.aclose()
    assert own.http.is_closed
