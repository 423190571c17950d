"""Helpers shared by the agent tests (a module of its own: test modules never import conftest)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from swarmstack.agents.llm import Backoff, ChatClient, LLMCallable
from swarmstack.metrics import Metrics
from swarmstack.spec.agents import LLMAgent
from swarmstack.testing import FakeLLM

SECRETS = {"FAKE_KEY": "sk-test-123"}
FAST = Backoff(attempts=3, base_delay_s=0.01, max_delay_s=0.5)


class Events:
    """Collects task events; `wait_for` resolves when an event of a type arrives."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []
        self._waiters: dict[str, asyncio.Event] = {}

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        self.items.append((kind, data))
        if kind in self._waiters:
            self._waiters[kind].set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [data for k, data in self.items if k == kind]

    async def wait_for(self, kind: str) -> None:
        if not self.of(kind):
            await self._waiters.setdefault(kind, asyncio.Event()).wait()


def agent(
    fake: FakeLLM, chat: ChatClient, metrics: Metrics | None = None, **fields: Any
) -> LLMCallable:
    spec = LLMAgent.model_validate(
        {
            "kind": "llm",
            "model": "gpt-4o-mini",
            "base_url": fake.base_url,
            "api_key": "${secret:FAKE_KEY}",
            **fields,
        }
    )
    return LLMCallable("writer", spec, chat, metrics=metrics, swarm="test")


def unique(text: str) -> str:
    """`text` made unique, so per-prompt fault counters of the shared server never collide."""
    return f"{text} ({uuid.uuid4().hex[:8]})"
