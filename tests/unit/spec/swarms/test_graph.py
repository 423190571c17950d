"""GraphWorkflow JSON: edge forms, the three document shapes, loops unrolled."""

from __future__ import annotations

from typing import Any

import pytest

from swarmstack.errors import SpecError
from swarmstack.spec.swarms.agents import convert_agents
from swarmstack.spec.swarms.graph import edge_pairs, graph_agents, graph_flow, unrolled


def test_edge_forms_fan_out_and_in() -> None:
    edges: list[Any] = [
        {"source": "a", "target": "b"},
        ["a", ["c", "d"]],
        [["c", "d"], "e"],
        [["x", "y"], ["z", "w"]],
    ]
    pairs = edge_pairs(edges, "g")
    assert pairs[:5] == [("a", "b"), ("a", "c"), ("a", "d"), ("c", "e"), ("d", "e")]
    assert len(pairs) == 9


@pytest.mark.parametrize("edges", [["a"], [{"source": "a"}], "a->b"])
def test_bad_edges_explain(edges: Any) -> None:
    with pytest.raises(SpecError):
        edge_pairs(edges, "g")


def test_api_request_graph() -> None:
    doc = {
        "agents": [{"agent_name": n, "model_name": "m"} for n in ("Plan", "A", "B", "Join")],
        "edges": [{"source": "Plan", "target": "A"}, ["Plan", "B"], [["A", "B"], "Join"]],
        "end_points": ["Join"],
    }
    agents = convert_agents(graph_agents(doc, "g"), "g")
    flow = graph_flow(doc, agents, "g")
    assert flow["output"] == "Join"
    assert flow["nodes"]["Join"] == {"agent": "join", "depends_on": ["A", "B"]}


def test_full_export_reads_agents_from_nodes() -> None:
    doc = {
        "schema_version": "1.0.0",
        "nodes": [
            {"id": "n1", "type": "NodeType.AGENT", "agent": {"agent_name": "First"}},
            {"id": "n2", "type": "agent", "agent": {"agent_name": "Second"}},
        ],
        "edges": [{"source": "n1", "target": "n2", "metadata": {}}],
    }
    agents = convert_agents(graph_agents(doc, "g"), "g")
    flow = graph_flow(doc, agents, "g")
    assert flow["nodes"] == {
        "n1": {"agent": "first", "depends_on": []},
        "n2": {"agent": "second", "depends_on": ["n1"]},
    }


def test_topology_spec_without_agents_says_how_to_fix() -> None:
    doc = {"nodes": [{"id": "a", "agent_name": "A"}], "edges": []}
    with pytest.raises(SpecError, match="no agent definition") as caught:
        graph_agents(doc, "g")
    assert caught.value.fix is not None and "agents:" in caught.value.fix


def test_unknown_edge_node_and_subgraph_are_errors() -> None:
    agents = convert_agents([{"agent_name": "a"}], "g")
    with pytest.raises(SpecError, match="unknown node 'b'"):
        graph_flow({"edges": [["a", "b"]]}, agents, "g")
    with pytest.raises(SpecError, match="subgraph"):
        graph_agents({"nodes": [{"id": "s", "type": "subgraph"}], "edges": []}, "g")


def test_loops_chain_entries_to_the_previous_ends() -> None:
    flow = unrolled({"a": "a", "b": "b"}, {"a": [], "b": ["a"]}, ["b"], 2)
    assert flow["nodes"]["a-loop2"]["depends_on"] == ["b"]
    assert flow["output"] == "b-loop2"
