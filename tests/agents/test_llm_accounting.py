"""Tokens, cost, metrics and budgets of LLM agents, against the fake server."""

from __future__ import annotations

import time
from typing import Any

import pytest
from llm_helpers import Events, agent

from swarmstack.agents.llm import ChatClient
from swarmstack.errors import BudgetExceeded
from swarmstack.metrics import Metrics
from swarmstack.spec.agents import Budget
from swarmstack.testing import FakeLLM

LOOP = '[[repeat]] [[call:add {"a": 1}]]'


async def test_usage_cost_and_metrics_are_recorded(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, events: Events
) -> None:
    metrics = Metrics()
    ctx = make_ctx()
    await agent(fake_llm, chat, metrics)("count me", ctx, None)
    call = events.of("llm_call")[0]
    assert call["estimated"] is False
    assert call["prompt_tokens"] > 0
    expected = (call["prompt_tokens"] * 0.15 + call["completion_tokens"] * 0.60) / 1e6
    assert call["cost_usd"] == pytest.approx(expected)
    assert ctx.usage.prompt_tokens == call["prompt_tokens"]
    assert ctx.usage.llm_calls == 1
    labels = {"swarm": "test", "agent": "writer", "model": "gpt-4o-mini"}
    sample = metrics.registry.get_sample_value
    assert (
        sample("swarmstack_llm_tokens_total", {**labels, "kind": "prompt"}) == call["prompt_tokens"]
    )
    assert (
        sample("swarmstack_llm_tokens_total", {**labels, "kind": "completion"})
        == call["completion_tokens"]
    )
    assert sample("swarmstack_llm_cost_usd_total", labels) == pytest.approx(expected)
    assert sample("swarmstack_llm_requests_total", {**labels, "result": "ok"}) == 1


async def test_missing_usage_is_estimated(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, events: Events
) -> None:
    ctx = make_ctx()
    await agent(fake_llm, chat, price={"prompt_per_mtok": 1e6, "completion_per_mtok": 0})(
        "[[no-usage]] abcdefgh", ctx, None
    )
    call = events.of("llm_call")[0]
    assert call["estimated"] is True
    assert call["completion_tokens"] == 4  # "echo: abcdefgh" is 14 chars, ~4 per token
    assert call["cost_usd"] == pytest.approx(call["prompt_tokens"])


async def test_failed_calls_are_counted(fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any) -> None:
    metrics = Metrics()
    with pytest.raises(Exception, match="HTTP 400"):
        await agent(fake_llm, chat, metrics)("[[status:400]]", make_ctx(), None)
    labels = {"swarm": "test", "agent": "writer", "model": "gpt-4o-mini", "result": "error"}
    assert metrics.registry.get_sample_value("swarmstack_llm_requests_total", labels) == 1


@pytest.mark.parametrize(
    ("budget", "limit"),
    [
        (Budget(max_tokens=50), "max_tokens"),
        (Budget(max_cost_usd=0.000001), "max_cost_usd"),
        (Budget(max_steps=2), "max_steps"),
    ],
)
async def test_task_budgets_stop_a_runaway_tool_loop(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, budget: Budget, limit: str
) -> None:
    ctx = make_ctx(budget)
    llm = agent(fake_llm, chat, tools=["agents_testkit:add"], max_steps=50)
    with pytest.raises(BudgetExceeded, match=f"task exceeded its budget: {limit}") as caught:
        await llm(LOOP, ctx, None)
    assert caught.value.limit == limit
    assert 1 <= ctx.usage.llm_calls < 50


async def test_wall_time_budget_stops_the_call_in_flight(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match="max_wall_time") as caught:
        await agent(fake_llm, chat)("[[hang]]", make_ctx(Budget(max_wall_time=0.3)), None)
    assert caught.value.limit == "max_wall_time"
    assert time.monotonic() - started < 1


async def test_agent_max_steps_stops_the_tool_loop(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    ctx = make_ctx()
    llm = agent(fake_llm, chat, tools=["agents_testkit:add"], max_steps=3)
    with pytest.raises(BudgetExceeded, match=r"max_steps \(3\) tool-calling rounds"):
        await llm(LOOP, ctx, None)
    assert ctx.usage.llm_calls == 3


async def test_agent_budget_is_its_own_share(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    llm = agent(fake_llm, chat, budget={"max_tokens": 10})
    with pytest.raises(BudgetExceeded, match="agent 'writer' exceeded its budget: max_tokens"):
        await llm("a long enough prompt to pass ten tokens", make_ctx(), None)
