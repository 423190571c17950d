"""Each Swarms swarm type becomes the flow documented in docs/swarms.md."""

from __future__ import annotations

from typing import Any

import pytest

from swarmstack.errors import SpecError
from swarmstack.spec.swarms.agents import Agents, convert_agents
from swarmstack.spec.swarms.types import SUPPORTED, Shape, flow_for, layered, parse_flow


def team(*names: str, role: dict[str, str] | None = None) -> Agents:
    raws: list[dict[str, Any]] = [
        {"agent_name": n, "model_name": "m", **({"role": role[n]} if role and n in role else {})}
        for n in names
    ]
    return convert_agents(raws, "f")


def build(kind: str, agents: Agents, loops: int = 1, flow: str | None = None) -> dict[str, Any]:
    return flow_for(kind, Shape(list(agents.specs), loops, flow, "f"), agents)


def test_sequential_repeats_the_chain_per_loop() -> None:
    assert build("SequentialWorkflow", team("a", "b"), loops=2) == {
        "type": "sequential",
        "steps": ["a", "b", "a", "b"],
    }


def test_concurrent_keeps_siblings() -> None:
    flow = build("ConcurrentWorkflow", team("a", "b"))
    assert flow == {"type": "concurrent", "branches": ["a", "b"], "on_error": "continue"}


def test_rearrange_without_parallel_steps_is_sequential() -> None:
    flow = build("AgentRearrange", team("a", "b"), flow="a -> b -> a")
    assert flow == {"type": "sequential", "steps": ["a", "b", "a"]}


def test_rearrange_with_parallel_steps_is_a_layered_graph() -> None:
    flow = build("AgentRearrange", team("a", "b", "c", "d"), flow="a -> b, c -> d")
    assert flow["type"] == "graph" and flow["output"] == "d"
    assert flow["nodes"]["d"]["depends_on"] == ["b", "c"]
    assert flow["nodes"]["b"]["depends_on"] == ["a"]


def test_mixture_layers_then_the_last_agent_aggregates() -> None:
    flow = build("MixtureOfAgents", team("a", "b", "agg"), loops=2)
    assert flow["nodes"]["a-2"]["depends_on"] == ["a", "b", "agg"]
    assert flow["output"] == "agg-3"
    assert flow["nodes"]["agg-3"]["depends_on"] == ["a-2", "b-2", "agg-2"]


def test_majority_voting_adds_a_consensus_agent() -> None:
    agents = team("a", "b")
    flow = build("MajorityVoting", agents)
    assert flow == {"type": "concurrent", "branches": ["a", "b"], "aggregator": "consensus"}
    assert agents.specs["consensus"]["model"] == "m"
    assert build("MajorityVoting", team("a", "b"), loops=2)["type"] == "graph"


def test_router_adds_a_router_agent() -> None:
    agents = team("router", "b")
    flow = build("MultiAgentRouter", agents)
    assert flow == {
        "type": "router",
        "router": "router-2",
        "routes": ["router", "b"],
        "max_hops": 1,
    }


def test_hierarchical_uses_the_director_role_or_makes_one() -> None:
    named = build("HiearchicalSwarm", team("boss", "w", role={"boss": "director"}), loops=3)
    assert named == {"type": "hierarchical", "director": "boss", "workers": ["w"], "loops": 3}
    made = team("w1", "w2")
    assert build("HierarchicalSwarm", made)["director"] == "director"
    with pytest.raises(SpecError, match="at least one worker"):
        build("HierarchicalSwarm", team("boss", role={"boss": "director"}))


def test_group_chat_gives_each_agent_a_turn_per_loop() -> None:
    flow = build("GroupChat", team("a", "b"), loops=3)
    assert flow == {"type": "group_chat", "speakers": ["a", "b"], "max_turns": 6}


@pytest.mark.parametrize("kind", ["HeavySwarm", "auto", "CouncilAsAJudge"])
def test_unsupported_types_list_the_supported_ones(kind: str) -> None:
    with pytest.raises(SpecError, match="not supported") as caught:
        build(kind, team("a"))
    assert caught.value.fix is not None and all(t in caught.value.fix for t in SUPPORTED)


def test_graph_type_without_edges_explains() -> None:
    with pytest.raises(SpecError, match="needs nodes and edges"):
        build("GraphWorkflow", team("a"))


@pytest.mark.parametrize("text", ["a -> ", "a, -> b", ""])
def test_empty_steps_are_rejected(text: str) -> None:
    with pytest.raises(SpecError, match="empty step"):
        parse_flow(text, team("a", "b"), "f")


def test_rearrange_needs_a_flow() -> None:
    with pytest.raises(SpecError, match="needs a flow"):
        build("AgentRearrange", team("a"))


def test_layered_single_group_has_no_dependencies() -> None:
    assert layered([["a", "b"]]) == {
        "type": "graph",
        "nodes": {"a": {"agent": "a", "depends_on": []}, "b": {"agent": "b", "depends_on": []}},
    }
