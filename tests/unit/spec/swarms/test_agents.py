"""Swarms agents as LLM agents: known keys mapped, the nested model block, options kept."""

from __future__ import annotations

import pytest

from swarmstack.errors import SpecError
from swarmstack.spec.swarms.agents import (
    DEFAULT_MODEL,
    convert_agent,
    convert_agents,
    free_name,
    slug,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Researcher", "researcher"),
        ("Data Analyst!", "data-analyst"),
        ("42", "a-42"),
        ("", "agent"),
    ],
)
def test_slug_makes_valid_names(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_free_name_adds_a_number() -> None:
    assert free_name("Director", {"director": {}, "director-2": {}}) == "director-3"


def test_flat_agent_maps_known_keys_and_keeps_the_rest() -> None:
    notes: list[str] = []
    name, spec, role = convert_agent(
        {
            "agent_name": "Analyst",
            "system_prompt": "Analyse.",
            "model_name": "gpt-4o-mini",
            "temperature": 0.2,
            "max_tokens": 300,
            "agent_description": "numbers",
            "role": "worker",
            "max_loops": 1,
            "retry_attempts": 3,
        },
        "f.yaml agents[0]",
        notes,
    )
    assert (name, role) == ("Analyst", "worker")
    assert spec == {
        "kind": "llm",
        "model": "gpt-4o-mini",
        "system_prompt": "Analyse.",
        "description": "numbers",
        "temperature": 0.2,
        "max_tokens": 300,
        "options": {"retry_attempts": 3},
    }
    assert notes == ["f.yaml agents[0]: kept retry_attempts as options (not used)"]


def test_nested_model_block_and_default_model() -> None:
    notes: list[str] = []
    _, nested, _ = convert_agent(
        {"agent_name": "w", "system_prompt": "x", "model": {"model_name": "m1", "temperature": 1}},
        "here",
        notes,
    )
    assert (nested["model"], nested["temperature"]) == ("m1", 1)
    _, bare, _ = convert_agent({"agent_name": "w", "system_prompt": "x"}, "here", notes)
    assert bare["model"] == DEFAULT_MODEL
    assert any("nested model" in n for n in notes) and any("no model_name" in n for n in notes)


def test_rules_lead_every_prompt() -> None:
    agents = convert_agents([{"agent_name": "a", "system_prompt": "Go."}], "f", rules="Be brief.")
    assert agents.specs["a"]["system_prompt"] == "Rules: Be brief.\n\nGo."


@pytest.mark.parametrize(
    ("raws", "message"),
    [
        ([], "has no agents"),
        (["text"], "is not a mapping"),
        ([{"system_prompt": "x"}], "has no agent_name"),
        ([{"agent_name": 123}], "agent_name must be a string, not int 123"),
        ([{"name": ["a"]}], "agent_name must be a string, not list"),
        ([{"agent_name": "a"}, {"agent_name": "a"}], "repeats agent name"),
    ],
)
def test_bad_agents_say_where(raws: object, message: str) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        convert_agents(raws, "f.yaml")
    assert caught.value.where is not None and caught.value.where.startswith("f.yaml agents")


def test_resolve_is_exact_then_case_insensitive() -> None:
    agents = convert_agents([{"agent_name": "Writer"}], "f")
    assert agents.resolve("Writer", "x") == agents.resolve(" writer ", "x") == "writer"
    with pytest.raises(SpecError, match="unknown agent 'Editor'"):
        agents.resolve("Editor", "f flow")
