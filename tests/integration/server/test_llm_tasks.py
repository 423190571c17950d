"""LLM agents through the whole service: token streaming, budgets, and the cancel kill switch."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from swarmstack.spec import SwarmSpec, parse_spec
from swarmstack.testing import FakeLLM
from tests.integration.server.conftest import Node


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def swarms(fake: FakeLLM) -> list[SwarmSpec]:
    def llm(name: str, runtime: str = "{retry_attempts: 0}") -> SwarmSpec:
        text = (
            f"name: {name}\nagents:\n  a: {{kind: llm, model: gpt-4o-mini, "
            f"base_url: '{fake.base_url}', api_key: test-key}}\nruntime: {runtime}\n"
        )
        return parse_spec(text, f"{name}.yaml", os.environ)

    return [llm("chat"), llm("tight", "{retry_attempts: 0, budget: {max_tokens: 5}}")]


async def test_llm_task_streams_tokens_and_records_usage(node: Node) -> None:
    response = await node.http.post(
        "/api/v1/tasks", params={"wait": 10}, json={"swarm": "chat", "input": "hello there"}
    )
    body = response.json()
    assert body["status"] == "succeeded", body
    assert "hello there" in body["result"]
    assert body["usage"]["total_tokens"] > 0
    events = await node.store.events.after(body["id"])
    assert "token" in [e.type for e in events]
    metrics = (await node.http.get("/metrics")).text
    assert 'swarmstack_llm_tokens_total{agent="a",kind="prompt",model="gpt-4o-mini"' in metrics


async def test_budget_stops_the_task_and_names_the_limit(node: Node) -> None:
    response = await node.http.post(
        "/api/v1/tasks",
        params={"wait": 10},
        json={"swarm": "tight", "input": "a long question " * 20},
    )
    body = response.json()
    assert body["status"] == "budget_exceeded", body
    assert "max_tokens" in body["error"]
    assert body["attempts"] == 1


async def test_cancel_stops_the_in_flight_llm_call_within_a_second(
    node: Node, fake: FakeLLM
) -> None:
    fake.state.disconnected.clear()
    fake.state.received.clear()
    task = (
        await node.http.post("/api/v1/tasks", json={"swarm": "chat", "input": "think [[hang]]"})
    ).json()
    assert await asyncio.to_thread(fake.state.received.wait, 10)
    cancelled = await node.http.post(f"/api/v1/tasks/{task['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert await asyncio.to_thread(fake.state.disconnected.wait, 1.0), (
        "the LLM connection was still open a second after the cancel"
    )
