"""Which Swarms format a document is, and the spec document it becomes."""

from __future__ import annotations

from typing import Any

import pytest

from swarmstack.errors import SpecError
from swarmstack.spec.swarms import validated
from swarmstack.spec.swarms.convert import convert

AGENTS = [
    {"agent_name": "Researcher", "system_prompt": "Find facts.", "model_name": "gpt-4o-mini"},
    {"agent_name": "Writer", "system_prompt": "Write.", "model_name": "gpt-4o-mini"},
]


def with_endpoint(spec: dict[str, Any]) -> dict[str, Any]:
    for agent in spec["agents"].values():
        agent["base_url"] = "http://127.0.0.1:1/v1"
    return spec


def test_agent_yaml_with_architecture() -> None:
    doc = {
        "agents": AGENTS,
        "swarm_architecture": {
            "name": "Research Swarm",
            "description": "d",
            "swarm_type": "SequentialWorkflow",
            "task": "Write about bees",
        },
    }
    imported = convert(doc, "a.yaml", "a")
    assert imported.spec["name"] == "research-swarm"
    assert imported.spec["flow"] == {"type": "sequential", "steps": ["researcher", "writer"]}
    assert imported.task == "Write about bees"
    validated(with_endpoint(imported.spec), "a.yaml")


def test_agent_yaml_flow_string_is_read_as_rearrange_flow() -> None:
    doc = {
        "agents": AGENTS,
        "swarm_architecture": {
            "name": "s",
            "swarm_type": "AgentRearrange",
            "flow": "Writer -> Researcher",
        },
    }
    flow = convert(doc, "a.yaml", "a").spec["flow"]
    assert flow == {"type": "sequential", "steps": ["writer", "researcher"]}


def test_agents_without_architecture_run_in_sequence_with_a_note() -> None:
    imported = convert({"agents": AGENTS}, "a.yaml", "my file")
    assert imported.spec["name"] == "my-file"
    assert imported.spec["flow"]["type"] == "sequential"
    assert any("no swarm_architecture" in n for n in imported.notes)


def test_swarm_spec_json() -> None:
    doc = {
        "name": "Panel",
        "agents": AGENTS,
        "swarm_type": "ConcurrentWorkflow",
        "rules": "Cite sources.",
        "task": "Bees?",
        "max_loops": 1,
    }
    imported = convert(doc, "s.json", "s")
    assert imported.spec["flow"]["type"] == "concurrent"
    assert imported.spec["agents"]["writer"]["system_prompt"].startswith("Rules: Cite sources.")
    validated(with_endpoint(imported.spec), "s.json")


def test_agent_completion_is_one_agent_without_flow() -> None:
    imported = convert({"agent_config": AGENTS[0], "task": "Hi"}, "c.json", "c")
    assert "flow" not in imported.spec and list(imported.spec["agents"]) == ["researcher"]
    assert imported.task == "Hi"


def test_graph_document() -> None:
    doc = {"name": "g", "agents": AGENTS, "edges": [["Researcher", "Writer"]]}
    imported = convert(doc, "g.json", "g")
    assert imported.spec["flow"]["output"] == "Writer"
    validated(with_endpoint(imported.spec), "g.json")


def test_a_plain_list_of_agents_runs_in_sequence() -> None:
    imported = convert(AGENTS, "list.json", "team")
    assert imported.spec["flow"] == {"type": "sequential", "steps": ["researcher", "writer"]}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([1, 2], "is not a Swarms definition"),
        ([], "is not a Swarms definition"),
        ({"hello": 1}, "is not a Swarms definition"),
        ({"agents": AGENTS, "swarm_type": "SequentialWorkflow", "max_loops": "auto"}, "max_loops"),
        ({"agents": AGENTS, "swarm_architecture": "x"}, "is not a mapping"),
    ],
)
def test_bad_documents_say_what_and_where(doc: Any, message: str) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        convert(doc, "bad.json", "bad")
    assert caught.value.where is not None and caught.value.where.startswith("bad.json")


def test_invalid_values_are_listed_by_path() -> None:
    doc = {"agents": [{**AGENTS[0], "temperature": 7}], "swarm_type": "SequentialWorkflow"}
    spec = with_endpoint(convert(doc, "t.json", "t").spec)
    with pytest.raises(SpecError) as caught:
        validated(spec, "t.json")
    assert any("agents.researcher" in p and "temperature" in p for p in caught.value.problems)
