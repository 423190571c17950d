"""LLM and tool calls as spans (OpenTelemetry's GenAI conventions), with tokens and cost."""

from __future__ import annotations

from typing import Any

import pytest
from llm_helpers import agent
from opentelemetry.trace import SpanKind, StatusCode
from tests.support.spans import recorded

from swarmstack.agents.llm import ChatClient
from swarmstack.errors import LLMProviderError
from swarmstack.testing import FakeLLM


async def test_an_llm_call_and_its_tools_are_spans(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    exporter = recorded()
    llm = agent(fake_llm, chat, tools=["agents_testkit:add", "agents_testkit:explode"])
    prompt = '[[call:add {"a": 2, "b": 3}]] [[call:explode {"reason": "test"}]]'
    await llm(prompt, make_ctx(), None)
    spans = exporter.get_finished_spans()
    chats = [s for s in spans if s.name == "chat gpt-4o-mini"]
    assert len(chats) == 2  # the call that asked for the tools, and the answer after them
    first = chats[0]
    assert first.kind is SpanKind.CLIENT and first.attributes is not None
    assert first.attributes["gen_ai.operation.name"] == "chat"
    assert first.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert first.attributes["gen_ai.agent.name"] == "writer"
    assert int(first.attributes["gen_ai.usage.input_tokens"]) > 0  # type: ignore[arg-type]
    assert int(first.attributes["gen_ai.usage.output_tokens"]) > 0  # type: ignore[arg-type]
    assert "swarmstack.cost_usd" in first.attributes
    tools = {s.name: s for s in spans if s.name.startswith("execute_tool")}
    assert set(tools) == {"execute_tool add", "execute_tool explode"}
    assert tools["execute_tool add"].status.status_code is StatusCode.UNSET
    assert tools["execute_tool explode"].status.status_code is StatusCode.ERROR


async def test_a_failed_call_is_an_error_span(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    exporter = recorded()
    llm = agent(fake_llm, chat, stream=False)
    with pytest.raises(LLMProviderError):
        await llm("[[status:400]] bad request", make_ctx(), None)
    (span,) = [s for s in exporter.get_finished_spans() if s.name.startswith("chat ")]
    assert span.status.status_code is StatusCode.ERROR
