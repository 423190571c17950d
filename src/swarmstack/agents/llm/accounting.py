"""What an LLM call costs the task: tokens, dollars, events, metrics and budgets.

Used by `agent.LLMCallable` after every call. Metrics go to an injected `LLMMetrics` (the
worker passes `swarmstack.metrics.metrics`), because `agents` and `metrics` are sibling layers
that do not import each other.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from swarmstack.agents.context import TaskContext, Usage, exceeded_limit
from swarmstack.agents.llm.pricing import cost_usd, estimate_tokens
from swarmstack.agents.llm.stream import ChatResult
from swarmstack.errors import BudgetExceeded
from swarmstack.spec.agents import LLMAgent


class _Inc(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class _Labelled(Protocol):
    def labels(self, *labelvalues: Any, **labelkwargs: Any) -> _Inc: ...


class LLMMetrics(Protocol):
    """The three counters LLM agents update (satisfied by `swarmstack.metrics.Metrics`)."""

    @property
    def llm_tokens(self) -> _Labelled: ...  # swarm, agent, model, kind=prompt|completion

    @property
    def llm_cost(self) -> _Labelled: ...  # swarm, agent, model

    @property
    def llm_requests(self) -> _Labelled: ...  # swarm, agent, model, result=ok|error


@dataclass(frozen=True, slots=True)
class CallCost:
    """Tokens and dollars of one call; `estimated` when the server sent no usage."""

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    estimated: bool


def measure(result: ChatResult, messages: list[dict[str, Any]], spec: LLMAgent) -> CallCost:
    """Usage from the response, or estimated from the text when the server gave none."""
    estimated = result.prompt_tokens is None or result.completion_tokens is None
    prompt = result.prompt_tokens
    completion = result.completion_tokens
    if prompt is None:
        prompt = estimate_tokens(json.dumps(messages))
    if completion is None:
        completion = estimate_tokens(result.content + json.dumps(result.tool_calls))
    return CallCost(
        prompt, completion, cost_usd(spec.model, prompt, completion, spec.price), estimated
    )


def record_metrics(
    metrics: LLMMetrics | None, labels: tuple[str, str, str], cost: CallCost | None
) -> None:
    """Count the call (ok when `cost` is given, else error) and its tokens and spend."""
    if metrics is None:
        return
    metrics.llm_requests.labels(*labels, "ok" if cost else "error").inc()
    if cost is not None:
        metrics.llm_tokens.labels(*labels, "prompt").inc(cost.prompt_tokens)
        metrics.llm_tokens.labels(*labels, "completion").inc(cost.completion_tokens)
        metrics.llm_cost.labels(*labels).inc(cost.cost_usd)


def charge(
    ctx: TaskContext, agent: str, spec: LLMAgent, cost: CallCost, *, extra_round: bool
) -> None:
    """Add the call to the task's usage (and the agent's share); raise BudgetExceeded if over.

    A tool-calling round after the first call of a step counts as a step, so `max_steps`
    stops a runaway tool loop as well as a long flow.
    """
    steps = 1 if extra_round else 0
    share = agent_usage(ctx, agent)
    share.prompt_tokens += cost.prompt_tokens
    share.completion_tokens += cost.completion_tokens
    share.cost_usd += cost.cost_usd
    share.steps += steps
    share.llm_calls += 1
    ctx.charge(
        prompt_tokens=cost.prompt_tokens,
        completion_tokens=cost.completion_tokens,
        cost_usd=cost.cost_usd,
        steps=steps,
        llm_calls=1,
    )
    if (limit := exceeded_limit(spec.budget, share, ctx.elapsed_s())) is not None:
        raise BudgetExceeded(
            f"agent {agent!r} exceeded its budget: {limit}", limit=limit.split(" ")[0]
        )


def agent_usage(ctx: TaskContext, agent: str) -> Usage:
    """The agent's share of the task's usage (kept in `ctx.extras`)."""
    shares: dict[str, Usage] = ctx.extras.setdefault("agent_usage", {})
    return shares.setdefault(agent, Usage())


class TokenBuffer:
    """Batches streamed text into `token` events: one per `max_chars` or `max_delay_s`.

    Flushing is checked when text arrives, so a stalled stream holds at most `max_chars - 1`
    characters until its next chunk or its end.
    """

    def __init__(
        self,
        ctx: TaskContext,
        agent: str,
        *,
        max_chars: int = 64,
        max_delay_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx, self.agent = ctx, agent
        self.max_chars, self.max_delay_s, self.clock = max_chars, max_delay_s, clock
        self.parts: list[str] = []
        self.size = 0
        self.since = 0.0

    def __call__(self, text: str) -> None:
        """Buffer `text`; emit when the batch is big or old enough."""
        if not self.parts:
            self.since = self.clock()
        self.parts.append(text)
        self.size += len(text)
        if self.size >= self.max_chars or self.clock() - self.since >= self.max_delay_s:
            self.flush()

    def flush(self) -> None:
        """Emit what is buffered."""
        if self.parts:
            self.ctx.emit("token", {"agent": self.agent, "text": "".join(self.parts)})
            self.parts, self.size = [], 0
