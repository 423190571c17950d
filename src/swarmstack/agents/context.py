"""What an agent sees while it runs one task: identity, events, usage and budgets.

Created by the worker for each attempt; agents receive it as `ctx` when their signature asks.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarmstack.errors import AgentCancelled, BudgetExceeded, InvalidInput
from swarmstack.spec.agents import Budget

EventSink = Callable[[str, dict[str, Any]], None]

# Set (by `sync_pool`) in the context a sync call runs in: that one call was abandoned.
call_stop: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "swarmstack_call_stop", default=None
)
_STOP_LOCK = threading.Lock()  # makes each attempt's `stop` Event once, whichever thread asks


@dataclass(slots=True)
class Usage:
    """Tokens, cost and steps spent by a task so far."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    steps: int = 0
    llm_calls: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def add(self, spent: Usage) -> None:
        """Add `spent` to these counts."""
        self.prompt_tokens += spent.prompt_tokens
        self.completion_tokens += spent.completion_tokens
        self.cost_usd += spent.cost_usd
        self.steps += spent.steps
        self.llm_calls += spent.llm_calls

    def as_dict(self) -> dict[str, Any]:
        """JSON form, stored on the task."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": round(self.cost_usd, 8),
            "steps": self.steps,
            "llm_calls": self.llm_calls,
        }


# The usage of each step that the running code is part of, innermost last (`counted`). What a
# task spends is added to these too, so a step counts its own calls (and those of its inner
# steps) but not those of sibling steps running at the same time: asyncio tasks and sync-pool
# calls copy the context they start in.
running_steps: contextvars.ContextVar[tuple[Usage, ...]] = contextvars.ContextVar(
    "swarmstack_running_steps", default=()
)


@contextlib.contextmanager
def counted(spent: Usage) -> Iterator[Usage]:
    """Within the block, every charge of the task is added to `spent` as well."""
    entered = running_steps.set((*running_steps.get(), spent))
    try:
        yield spent
    finally:
        running_steps.reset(entered)


def resolve_secret(name: str, secrets_dir: Path | None = None) -> str:
    """A secret from a mounted file (`secrets_dir/NAME`) or the environment, read at call time."""
    directory = secrets_dir or Path(os.environ.get("SWARMSTACK_SECRETS_DIR", "/run/secrets"))
    candidate = directory / name
    if candidate.is_file():
        return candidate.read_text(encoding="utf-8").strip()
    if name in os.environ:
        return os.environ[name]
    raise InvalidInput(
        f"secret {name} is not set",
        fix=f"export {name}=... or mount a file named {name} under {directory}",
    )


@dataclass(slots=True)
class TaskContext:
    """Per-attempt context handed to agents and flows."""

    task_id: str
    swarm: str
    attempt: int
    emit: EventSink
    budget: Budget | None = None
    usage: Usage = field(default_factory=Usage)
    started: float = field(default_factory=time.monotonic)
    trace: list[dict[str, Any]] = field(default_factory=list)
    secret: Callable[[str], str] = resolve_secret
    extras: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, str]] = field(default_factory=list)
    deadline: float | None = None
    _stop: threading.Event | None = field(default=None, repr=False)  # see `stop`
    checkpoints: dict[str, Any] = field(default_factory=dict)  # step -> output, earlier attempts

    def charge(
        self,
        *,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost_usd: float = 0.0,
        steps: int = 0,
        llm_calls: int = 0,
    ) -> None:
        """Add spend to the task's usage (and to the steps it is part of: `counted`), then
        stop the task if a budget is now exceeded."""
        spent = Usage(prompt_tokens, completion_tokens, cost_usd, steps, llm_calls)
        for usage in (self.usage, *running_steps.get()):
            usage.add(spent)
        self.check_budget()

    def check_budget(self) -> None:
        """Raise BudgetExceeded naming the first limit the task went over."""
        if (limit := exceeded_limit(self.budget, self.usage, self.elapsed_s())) is not None:
            raise BudgetExceeded(f"task exceeded its budget: {limit}", limit=limit.split(" ")[0])

    def elapsed_s(self) -> float:
        """Seconds since the attempt started."""
        return time.monotonic() - self.started

    @property
    def stop(self) -> threading.Event:
        """Set once the attempt ended early (cancelled, timed out or failed): code still running
        for it in threads should stop. Made at first use, since most attempts never need one
        (an Event is a lock, a condition and a deque: about 1 KB per task in flight)."""
        if self._stop is None:
            with _STOP_LOCK:
                if self._stop is None:
                    self._stop = threading.Event()
        return self._stop

    @property
    def cancelled(self) -> bool:
        """True once the task was cancelled or timed out, or this sync call was abandoned
        (its step timed out); safe to read from any thread."""
        call = call_stop.get()
        stop = self._stop
        return (stop is not None and stop.is_set()) or (call is not None and call.is_set())

    def raise_if_cancelled(self) -> None:
        """Raise AgentCancelled when `cancelled`: the cooperative stop for sync code."""
        if self.cancelled:
            raise AgentCancelled(f"task {self.task_id} was cancelled or timed out")

    def cancel(self) -> None:
        """Tell code still running for this attempt (in threads) to stop."""
        self.stop.set()

    def remaining_s(self) -> float | None:
        """Seconds left before the attempt's deadline or its `max_wall_time`; None: no limit."""
        limits = []
        if self.deadline is not None:
            limits.append(self.deadline - time.monotonic())
        if self.budget is not None and self.budget.max_wall_time is not None:
            limits.append(self.budget.max_wall_time - self.elapsed_s())
        return max(min(limits), 0.0) if limits else None


def trim_history(messages: list[dict[str, str]], max_tokens: int | None) -> list[dict[str, str]]:
    """The newest messages whose estimated size (4 characters a token) fits `max_tokens`."""
    if max_tokens is None:
        return messages
    kept: list[dict[str, str]] = []
    budget = max_tokens * 4
    for message in reversed(messages):
        budget -= len(message["content"])
        if budget < 0:
            break
        kept.append(message)
    return kept[::-1]


def exceeded_limit(budget: Budget | None, usage: Usage, elapsed_s: float) -> str | None:
    """The first limit `usage` went over, described, or None. Pure."""
    if budget is None:
        return None
    checks = [
        ("max_tokens", budget.max_tokens, usage.total_tokens),
        ("max_cost_usd", budget.max_cost_usd, usage.cost_usd),
        ("max_steps", budget.max_steps, usage.steps),
        ("max_wall_time", budget.max_wall_time, elapsed_s),
    ]
    for name, limit, used in checks:
        if limit is not None and used > limit:
            return f"{name} ({used:g} used, limit {limit:g})"
    return None
