"""Tool calls in every shape deployed OpenAI-compatible servers send, end to end through the
LLM agent and the fake server (`[[tool-shape:...]]`, see `swarmstack.testing.fake_shapes`)."""

from __future__ import annotations

from typing import Any

import pytest
from llm_helpers import Events, agent, unique

from swarmstack.agents.llm import ChatClient
from swarmstack.testing import FakeLLM
from swarmstack.testing.fake_shapes import SHAPES

TOOLS = ["agents_testkit:add", "agents_testkit:lookup"]
CALLS = '[[call:add {"a": 2, "b": 3}]] [[call:lookup {"city": "Oslo"}]]'
EXPECTED = 'tool results: 5 | {"city": "Oslo", "sky": "clear"}'


@pytest.mark.parametrize("shape", SHAPES)
async def test_streamed_tool_calls_of_every_shape(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, events: Events, shape: str
) -> None:
    llm = agent(fake_llm, chat, tools=TOOLS)
    assert await llm(f"[[tool-shape:{shape}]] {CALLS}", make_ctx(), None) == EXPECTED
    assert sorted(e["tool"] for e in events.of("tool_call")) == ["add", "lookup"]
    assert all(e["ok"] for e in events.of("tool_call"))
    _replies_match_calls(fake_llm.state.requests[-1]["messages"])


@pytest.mark.parametrize("shape", ["openai", "object-args", "no-id"])
async def test_whole_answers_with_object_arguments_or_no_id(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, shape: str
) -> None:
    llm = agent(fake_llm, chat, tools=TOOLS, stream=False)
    assert await llm(f"[[tool-shape:{shape}]] {CALLS}", make_ctx(), None) == EXPECTED
    _replies_match_calls(fake_llm.state.requests[-1]["messages"])


@pytest.mark.parametrize("stream", [True, False])
async def test_invalid_json_arguments_go_back_to_the_model(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, events: Events, stream: bool
) -> None:
    llm = agent(fake_llm, chat, tools=TOOLS, stream=stream)
    output = await llm(unique('[[call:add {"a": 2,]] [[call:add "seven"]]'), make_ctx(), None)
    first, second = output.removeprefix("tool results: ").split(" | ")
    assert first.startswith("error: invalid arguments for add: not valid JSON")
    assert second == "error: invalid arguments for add: expected a JSON object, got str"
    assert [e["ok"] for e in events.of("tool_call")] == [False, False]


def _replies_match_calls(messages: list[dict[str, Any]]) -> None:
    """The assistant message sent back holds string arguments and ids the tool replies name."""
    assistant = next(m for m in messages if m.get("tool_calls"))
    ids = [call["id"] for call in assistant["tool_calls"]]
    assert all(ids) and len(set(ids)) == len(ids)
    assert all(isinstance(c["function"]["arguments"], str) for c in assistant["tool_calls"])
    assert [m["tool_call_id"] for m in messages if m["role"] == "tool"] == ids
