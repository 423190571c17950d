"""Agents, tools and rules that test specs name as `agents_testkit:...`."""

from __future__ import annotations

import asyncio
from typing import Any

BARRIER: dict[str, asyncio.Event] = {}
CANCELLED: list[str] = []


def add(a: int, b: int = 1) -> int:
    """Add two numbers.

    Args:
        a: the first number
        b: the second number
    """
    return a + b


async def lookup(city: str) -> dict[str, Any]:
    """Weather of a city."""
    await asyncio.sleep(0)
    return {"city": city, "sky": "clear"}


def explode(reason: str) -> str:
    """A tool that always fails."""
    raise RuntimeError(f"boom: {reason}")


def upper(data: Any) -> str:
    """Upper-case the input."""
    return str(data).upper()


def tag_a(data: Any) -> str:
    return f"a({data})"


def tag_b(data: Any) -> str:
    return f"b({data})"


def fail(data: Any) -> str:
    raise ValueError("branch failed on purpose")


async def slow(data: Any) -> str:
    """Waits until cancelled; records the cancellation."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        CANCELLED.append("slow")
        raise
    return "never"


async def ping(data: Any) -> str:
    """Meets `pong` half-way: only finishes if both run at the same time."""
    BARRIER.setdefault("ping", asyncio.Event()).set()
    await BARRIER.setdefault("pong", asyncio.Event()).wait()
    return f"ping({data})"


async def pong(data: Any) -> str:
    BARRIER.setdefault("pong", asyncio.Event()).set()
    await BARRIER.setdefault("ping", asyncio.Event()).wait()
    return f"pong({data})"


def join(data: Any) -> dict[str, Any]:
    return {"joined": data}


def route_once(data: Any) -> str | None:
    """Rule: send plain input to `upper`, stop once it is upper case."""
    return None if str(data).isupper() else "upper"


def bad_rule(data: Any) -> str:
    return "nowhere"


async def meet_left(note: str) -> str:
    """Finishes only if `meet_right` runs at the same time (proves parallel tool calls).

    Args:
        note: any text
    """
    BARRIER.setdefault("left", asyncio.Event()).set()
    await BARRIER.setdefault("right", asyncio.Event()).wait()
    return f"left:{note}"


async def meet_right(note: str) -> str:
    """The other half of `meet_left`."""
    BARRIER.setdefault("right", asyncio.Event()).set()
    await BARRIER.setdefault("left", asyncio.Event()).wait()
    return f"right:{note}"


def director(data: Any) -> str:
    """A director that orders both workers in its first loop and stops in the next."""
    if "Previous loop results" in str(data):
        return '{"plan": "done", "orders": []}'
    if str(data).startswith("Review"):
        return "looks fine"
    return (
        '{"plan": "split", "orders": [{"agent_name": "left", "task": "L"},'
        ' {"agent_name": "RIGHT", "task": "R"}, {"agent_name": "ghost", "task": "G"}]}'
    )
