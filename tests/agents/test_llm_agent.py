"""LLMCallable against the fake OpenAI-compatible server: the code that talks to real endpoints."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import agents_testkit
import pytest
from llm_helpers import Events, agent, unique

from swarmstack.agents.llm import ChatClient, LLMCallable
from swarmstack.errors import LLMProviderError, LLMTimeout, LLMUnavailable
from swarmstack.spec.agents import LLMAgent
from swarmstack.testing import FakeLLM


async def test_streamed_answer_becomes_batched_token_events(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, events: Events
) -> None:
    words = " ".join(f"word{i}" for i in range(40))
    output = await agent(fake_llm, chat)(words, make_ctx(), None)
    assert output == f"echo: {words}"
    tokens = events.of("token")
    assert "".join(t["text"] for t in tokens) == output
    assert 1 < len(tokens) < 40, "tokens are batched, not one event per chunk"
    assert all(t["agent"] == "writer" for t in tokens)
    body = fake_llm.state.requests[-1]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_whole_answer_and_headers(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, events: Events
) -> None:
    llm = agent(
        fake_llm,
        chat,
        stream=False,
        system_prompt="Be brief.",
        temperature=0.1,
        headers={"X-Team": "research"},
    )
    assert await llm({"topic": "bees"}, make_ctx(), None) == 'echo: {"topic": "bees"}'
    body, headers = fake_llm.state.requests[-1], fake_llm.state.headers[-1]
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["temperature"] == 0.1
    assert "stream_options" not in body
    assert headers["authorization"] == "Bearer sk-test-123"
    assert headers["x-team"] == "research"
    assert events.of("token") == []


@pytest.mark.parametrize("stream", [True, False])
async def test_parallel_tool_calls_and_a_failing_tool(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, events: Events, stream: bool
) -> None:
    llm = agent(
        fake_llm,
        chat,
        stream=stream,
        tools=["agents_testkit:add", "agents_testkit:lookup", "agents_testkit:explode"],
    )
    prompt = (
        '[[call:add {"a": 2, "b": 3}]] [[call:lookup {"city": "Oslo"}]] '
        '[[call:explode {"reason": "test"}]] [[call:add {"b": 1}]]'
    )
    output = await llm(prompt, make_ctx(), None)
    assert output.startswith("tool results: 5 | ")
    assert '{"city": "Oslo", "sky": "clear"}' in output
    assert "error: explode raised RuntimeError: boom: test" in output
    assert "error: invalid arguments for add: a: Field required" in output
    tools = [e["tool"] for e in events.of("tool_call")]
    assert sorted(tools) == ["add", "add", "explode", "lookup"]
    offered = [t["function"]["name"] for t in fake_llm.state.requests[-1]["tools"]]
    assert offered == ["add", "lookup", "explode"]


async def test_tool_calls_of_one_answer_run_at_the_same_time(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    agents_testkit.BARRIER.clear()
    tools = ["agents_testkit:meet_left", "agents_testkit:meet_right"]
    prompt = '[[call:meet_left {"note": "1"}]] [[call:meet_right {"note": "2"}]]'
    run = agent(fake_llm, chat, tools=tools)(prompt, make_ctx(), None)
    assert await asyncio.wait_for(run, 2) == "tool results: left:1 | right:2"


async def test_429_is_retried_honouring_retry_after(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    before = len(fake_llm.state.requests)
    started = time.monotonic()
    prompt = unique("[[status:429:2]] [[retry-after:0.1]] hi")
    assert (await agent(fake_llm, chat)(prompt, make_ctx(), None)).startswith("echo: hi")
    assert len(fake_llm.state.requests) - before == 3
    assert time.monotonic() - started >= 0.2


async def test_5xx_retries_run_out_with_the_providers_message(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    before = len(fake_llm.state.requests)
    with pytest.raises(LLMUnavailable) as caught:
        await agent(fake_llm, chat)(unique("[[status:503]]"), make_ctx(), None)
    assert len(fake_llm.state.requests) - before == 3
    assert caught.value.http_status == 503
    assert "HTTP 503: fake provider: injected HTTP 503" in str(caught.value)
    assert f"gpt-4o-mini at {fake_llm.base_url}/chat/completions answered" in str(caught.value)


async def test_4xx_is_permanent_and_not_retried(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    before = len(fake_llm.state.requests)
    with pytest.raises(LLMProviderError, match="HTTP 401: fake provider: injected HTTP 401"):
        await agent(fake_llm, chat, stream=False)(unique("[[status:401]]"), make_ctx(), None)
    assert len(fake_llm.state.requests) - before == 1


async def test_a_slow_call_times_out(fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any) -> None:
    started = time.monotonic()
    with pytest.raises(LLMTimeout, match=r"took longer than 0\.2s"):
        await agent(fake_llm, chat, timeout=0.2)("[[slow:5]] hi", make_ctx(), None)
    assert time.monotonic() - started < 1


async def test_unreachable_endpoint_is_temporary(chat: ChatClient, make_ctx: Any) -> None:
    spec = LLMAgent(kind="llm", model="m", base_url="http://127.0.0.1:9/v1", stream=False)
    with pytest.raises(LLMUnavailable, match="unreachable: ConnectError"):
        await LLMCallable("x", spec, chat)("hi", make_ctx(), None)


async def test_cancelling_stops_the_call_within_a_second(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, events: Events
) -> None:
    fake_llm.state.disconnected.clear()
    task = asyncio.create_task(agent(fake_llm, chat)("[[hang]] go on forever", make_ctx(), None))
    await events.wait_for("token")
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1
    assert await asyncio.to_thread(fake_llm.state.disconnected.wait, 1.0)


async def test_cancelling_a_whole_answer_closes_the_connection(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    fake_llm.state.disconnected.clear()
    fake_llm.state.received.clear()
    llm = agent(fake_llm, chat, stream=False)
    task = asyncio.create_task(llm("[[hang]] never answer", make_ctx(), None))
    assert await asyncio.to_thread(fake_llm.state.received.wait, 1.0)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1
    assert await asyncio.to_thread(fake_llm.state.disconnected.wait, 1.0)


async def test_a_tool_outside_the_allow_list_is_never_run(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, events: Events
) -> None:
    """Excessive agency (OWASP LLM06): a model that names a tool the spec did not list (one
    that exists in the code base, even) gets an error back and nothing runs."""
    llm = agent(fake_llm, chat, tools=["agents_testkit:add"])
    output = await llm('[[call:explode {"reason": "injected"}]]', make_ctx(), None)
    assert "error: no tool named 'explode'" in output
    assert "boom" not in output
    offered = [t["function"]["name"] for t in fake_llm.state.requests[-1]["tools"]]
    assert offered == ["add"]
