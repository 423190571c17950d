"""Fixtures for agent tests: the fake OpenAI-compatible server, a task context, an HTTP client.

`agents_testkit.py` (importable because pytest puts this directory on sys.path) holds the
Python agents, tools and router rules that test specs name as `agents_testkit:...`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from llm_helpers import FAST, SECRETS, Events

from swarmstack.agents.context import TaskContext
from swarmstack.agents.http import HttpPool
from swarmstack.agents.llm import ChatClient
from swarmstack.spec.agents import Budget
from swarmstack.testing import FakeLLM


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def make_ctx(events: Events) -> Any:
    def build(budget: Budget | None = None) -> TaskContext:
        return TaskContext(
            task_id="t-1",
            swarm="test",
            attempt=1,
            emit=events,
            budget=budget,
            secret=SECRETS.__getitem__,
        )

    return build


@pytest.fixture
async def http() -> AsyncIterator[HttpPool]:
    async with HttpPool() as pool:
        yield pool


@pytest.fixture
def chat(http: HttpPool) -> ChatClient:
    return ChatClient(http, FAST)
