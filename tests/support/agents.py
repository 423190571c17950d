"""Agents used by the tests' swarms (real code run by real workers)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any


async def echo(data: Any) -> Any:
    """Return the input unchanged."""
    return data


async def inflate(data: dict[str, Any]) -> dict[str, Any]:
    """Return `data["text"]` repeated `data["times"]` times (an output far larger than the
    request that asked for it)."""
    return {"text": str(data["text"]) * int(data["times"])}


async def nap(data: Any) -> dict[str, Any]:
    """Sleep `data["s"]` seconds (default 0.05) on the event loop."""
    seconds = float(data.get("s", 0.05)) if isinstance(data, dict) else 0.05
    await asyncio.sleep(seconds)
    return {"slept": seconds, "pid": os.getpid()}


def blocking_nap(data: Any) -> dict[str, Any]:
    """Block a thread for `data["s"]` seconds (a sync agent)."""
    seconds = float(data.get("s", 0.05)) if isinstance(data, dict) else 0.05
    time.sleep(seconds)
    return {"slept": seconds}


def flaky(data: dict[str, Any]) -> dict[str, Any]:
    """Fail until the marker file records `data["fail_times"]` failures, then succeed."""
    marker = Path(data["marker"])
    count = int(marker.read_text()) if marker.exists() else 0
    if count < int(data["fail_times"]):
        marker.write_text(str(count + 1))
        raise RuntimeError(f"flaky failure {count + 1}")
    return {"failures_before_success": count}


def always_fails(data: Any) -> Any:
    """Raise every time."""
    raise ValueError("this agent always fails")


def upper(data: Any) -> str:
    """Upper-case text."""
    return str(data).upper()


def exclaim(data: Any) -> str:
    """Add an exclamation mark."""
    return f"{data}!"


def remember(data: Any, ctx: Any) -> dict[str, Any]:
    """Report the session history this task was given."""
    return {"said": data, "history": [m["content"] for m in ctx.history]}


_PRODUCED: dict[str, Any] = {
    "nul": "a\x00b",
    "surrogate": "a\ud800b",
    "nan": float("nan"),
    "object": object(),
}


def produce(data: dict[str, Any]) -> Any:
    """Raise `data["raise"]` as a ValueError, or return the bad value named by `data["return"]`
    (what a buggy agent or LLM might hand back)."""
    if "raise" in data:
        raise ValueError(data["raise"])
    return _PRODUCED[data["return"]]


STUCK_RELEASE = threading.Event()  # set by a test to let `stuck` calls return at last
STOPPED = threading.Event()  # set by `cooperative` when it noticed the cancel
STARTED = threading.Event()  # set by `cooperative` when its thread runs


def stuck(data: Any) -> str:
    """A sync agent that ignores cancellation: blocks until the test releases it."""
    STUCK_RELEASE.wait()
    return "late"


def cooperative(data: Any, ctx: Any) -> str:
    """A sync agent that works in small slices and checks `ctx` between them."""
    STARTED.set()
    try:
        while True:
            ctx.raise_if_cancelled()
            STUCK_RELEASE.wait(0.005)  # one slice of work
    finally:
        STOPPED.set()


def spin_forever(data: dict[str, Any]) -> str:
    """Write this process's pid to `data["marker"]`, then never return (process isolation)."""
    Path(data["marker"]).write_text(str(os.getpid()))
    while True:
        time.sleep(0.05)


def whoami(data: Any) -> dict[str, Any]:
    """The pid that ran the call."""
    return {"pid": os.getpid(), "input": data}


def _closure() -> Any:
    def inner(data: Any) -> Any:
        return data

    return inner


closure_agent = _closure()


def overloaded(data: Any) -> Any:
    """What an LLM agent raises when the provider answered 429 with `Retry-After: 45`."""
    from swarmstack.errors import LLMUnavailable

    raise LLMUnavailable("provider busy (HTTP 429)", delay_s=45.0, http_status=429)


def board_director(data: Any, ctx: Any) -> str:
    """A hierarchical director whose review fails (temporarily) in the task's first attempt."""
    from swarmstack.errors import TemporaryError

    text = str(data)
    if text.startswith("Review"):
        if ctx.attempt == 1:
            raise TemporaryError("the director lost its connection", delay_s=0.01)
        return "approved"
    if "Previous loop results" in text:
        return '{"plan": "done", "orders": []}'
    return '{"plan": "split", "orders": [{"agent_name": "analyst", "task": "size it"}]}'


async def crash_director(data: Any) -> str:
    """A hierarchical director that hangs in its review where RESUME_TEST_HANG_REVIEW is set
    (the worker a crash test kills)."""
    text = str(data)
    if text.startswith("Review"):
        if os.environ.get("RESUME_TEST_HANG_REVIEW"):
            await asyncio.sleep(3600)
        return "approved"
    if "Previous loop results" in text:
        return '{"plan": "done", "orders": []}'
    return '{"plan": "split", "orders": [{"agent_name": "analyst", "task": "size it"}]}'


def counted_upper(data: Any) -> str:
    """Upper-case text, appending a line to the file RESUME_TEST_MARKER for each call."""
    with open(os.environ["RESUME_TEST_MARKER"], "a") as marker:
        marker.write("call\n")
    return str(data).upper()
