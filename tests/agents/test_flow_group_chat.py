"""`group_chat` flows: turns in order on one transcript, bounded by `max_turns`, DONE stops."""

from __future__ import annotations

from typing import Any

import yaml
from llm_helpers import Events

from swarmstack.agents import SwarmRuntime
from swarmstack.agents.flow_group_chat import chat_prompt
from swarmstack.spec.loader import parse_spec
from swarmstack.testing import FakeLLM


async def test_speakers_take_turns_until_max_turns(
    fake_llm: FakeLLM, make_ctx: Any, events: Events
) -> None:
    llm = {"kind": "llm", "model": "m", "base_url": fake_llm.base_url, "stream": False}
    document = {
        "name": "chat",
        "agents": {
            "ann": {**llm, "system_prompt": "[[say:I think yes]]"},
            "bob": {**llm, "system_prompt": "[[say:I think no]]"},
        },
        "flow": {"type": "group_chat", "speakers": ["ann", "bob"], "max_turns": 3},
    }
    runtime = SwarmRuntime(parse_spec(yaml.safe_dump(document), "chat.yaml", {}))
    try:
        result = await runtime.run("Should we?", make_ctx())
    finally:
        await runtime.aclose()
    assert result == [
        {"role": "ann", "content": "I think yes"},
        {"role": "bob", "content": "I think no"},
        {"role": "ann", "content": "I think yes"},
    ]
    assert [e["step"] for e in events.of("step_started")] == ["turn1:ann", "turn2:bob", "turn3:ann"]
    last_prompt = fake_llm.state.requests[-1]["messages"][-1]["content"]
    assert "bob: I think no" in last_prompt and "user: Should we?" in last_prompt


async def test_done_ends_the_chat(fake_llm: FakeLLM, make_ctx: Any) -> None:
    llm = {"kind": "llm", "model": "m", "base_url": fake_llm.base_url, "stream": False}
    document = {
        "name": "chat",
        "agents": {"ann": {**llm, "system_prompt": "[[say:DONE]]"}},
        "flow": {"type": "group_chat", "speakers": ["ann"], "max_turns": 5},
    }
    runtime = SwarmRuntime(parse_spec(yaml.safe_dump(document), "chat.yaml", {}))
    try:
        assert await runtime.run("x", make_ctx()) == []
    finally:
        await runtime.aclose()


def test_prompt_names_the_speaker_and_the_turn() -> None:
    text = chat_prompt([{"role": "user", "content": "hi"}], "bob", 2)
    assert text.startswith("You are bob in a group chat, turn 2") and "user: hi" in text
