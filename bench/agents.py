"""Agents the benchmarks run: a no-op and a 0.5 s sleeper (I/O-bound, like an LLM call)."""

from __future__ import annotations

import asyncio
from typing import Any


async def noop(data: Any) -> Any:
    """Return the input: measures the platform, not the agent."""
    return data


async def nap(data: Any) -> str:
    """Wait half a second on the event loop."""
    await asyncio.sleep(0.5)
    return "rested"
