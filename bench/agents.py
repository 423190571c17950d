"""Agents the benchmarks run: a no-op, a 0.5 s sleeper (I/O-bound, like an LLM call), and for
the rollout scenarios one that fails half its tasks and two that report spend."""

from __future__ import annotations

import asyncio
from typing import Any

from swarmstack.agents import TaskContext


async def noop(data: Any) -> Any:
    """Return the input: measures the platform, not the agent."""
    return data


async def nap(data: Any) -> str:
    """Wait half a second on the event loop."""
    await asyncio.sleep(0.5)
    return "rested"


async def flaky(data: Any) -> Any:
    """Fail every task whose input `n` is odd (half of a counting load), deterministically."""
    if int(data.get("n", 0)) % 2:
        raise RuntimeError(f"flaky: odd input {data['n']}")
    return data


async def priced(data: Any, ctx: TaskContext) -> Any:
    """Return the input and report $0.001 of spend, as one LLM call would."""
    ctx.charge(prompt_tokens=100, completion_tokens=20, cost_usd=0.001, llm_calls=1)
    return data


async def pricey(data: Any, ctx: TaskContext) -> Any:
    """The same answer as `priced` at five times the cost."""
    ctx.charge(prompt_tokens=100, completion_tokens=20, cost_usd=0.005, llm_calls=1)
    return data
