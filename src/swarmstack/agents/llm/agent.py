"""`kind: llm` agents: a chat model with tools, driven by the tool-calling loop.

Built by `SwarmRuntime` with the worker's shared `ChatClient`; called by `steps.run_step`.
One step: system prompt + input, then call the model; while it asks for tools, run them (in
parallel) and call it again, up to `max_steps` rounds. Every call is charged to the task
(`accounting.charge`) so budgets stop a runaway agent between calls, and `max_wall_time`
bounds the call in flight.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry.trace import SpanKind, StatusCode

from swarmstack.agents.context import TaskContext
from swarmstack.agents.llm.accounting import (
    CallCost,
    LLMMetrics,
    TokenBuffer,
    charge,
    measure,
    record_metrics,
)
from swarmstack.agents.llm.client import ChatClient, ChatRequest
from swarmstack.agents.llm.stream import ChatResult
from swarmstack.agents.llm.tools import Tool, load_tool, run_tool
from swarmstack.agents.python import to_jsonable
from swarmstack.agents.sync_pool import SyncPool
from swarmstack.core.tracecontext import tracer
from swarmstack.errors import BudgetExceeded
from swarmstack.spec.agents import LLMAgent
from swarmstack.spec.interpolate import secret_name

Messages = list[dict[str, Any]]


class LLMCallable:
    """An LLM agent bound to its spec, its tools and the shared client."""

    kind = "llm"

    def __init__(
        self,
        name: str,
        spec: LLMAgent,
        client: ChatClient,
        *,
        metrics: LLMMetrics | None = None,
        swarm: str = "",
    ) -> None:
        self.name = name
        self.spec = spec
        self.client = client
        self.metrics = metrics
        self.tools: dict[str, Tool] = {}
        for index, entrypoint in enumerate(spec.tools):
            tool = load_tool(entrypoint, where=f"{swarm}: agents.{name}.tools[{index}]")
            self.tools[tool.name] = tool

    async def __call__(self, data: Any, ctx: TaskContext, pool: SyncPool | None) -> str:
        """Answer `data`; the final assistant text is the step output."""
        messages = first_messages(self.spec.system_prompt, data, ctx.history)
        for round_ in range(self.spec.max_steps):
            result = await self.ask(messages, ctx, extra_round=round_ > 0)
            messages.append(result.message())
            if not result.tool_calls:
                return result.content
            messages += await self.use_tools(result.tool_calls, ctx, pool)
        raise BudgetExceeded(
            f"agent {self.name!r} used its max_steps ({self.spec.max_steps}) "
            "tool-calling rounds without a final answer",
            limit="max_steps",
        )

    async def ask(self, messages: Messages, ctx: TaskContext, *, extra_round: bool) -> ChatResult:
        """One call to the model, charged to the task."""
        ctx.check_budget()
        labels = (ctx.swarm, self.name, self.spec.model)
        tokens = TokenBuffer(ctx, self.name) if self.spec.stream else None
        started = time.monotonic()
        # GenAI semantic conventions: https://opentelemetry.io/docs/specs/semconv/gen-ai/
        with tracer().start_as_current_span(
            f"chat {self.spec.model}",
            kind=SpanKind.CLIENT,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": self.spec.model,
                "gen_ai.agent.name": self.name,
            },
        ) as span:
            try:
                async with wall_clock(ctx):
                    result = await self.client.complete(self.request(messages, ctx), tokens)
            except BaseException as exc:
                record_metrics(self.metrics, labels, None)
                span.set_status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"[:200])
                raise
            finally:
                if tokens is not None:
                    tokens.flush()
            cost = measure(result, messages, self.spec)
            span.set_attributes(
                {
                    "gen_ai.usage.input_tokens": cost.prompt_tokens,
                    "gen_ai.usage.output_tokens": cost.completion_tokens,
                    "swarmstack.cost_usd": cost.cost_usd,
                    "swarmstack.tokens_estimated": cost.estimated,
                }
            )
        record_metrics(self.metrics, labels, cost)
        self._report(ctx, cost, time.monotonic() - started)
        charge(ctx, self.name, self.spec, cost, extra_round=extra_round)
        return result

    def _report(self, ctx: TaskContext, cost: CallCost, duration_s: float) -> None:
        ctx.emit(
            "llm_call",
            {
                "agent": self.name,
                "model": self.spec.model,
                "prompt_tokens": cost.prompt_tokens,
                "completion_tokens": cost.completion_tokens,
                "cost_usd": cost.cost_usd,
                "estimated": cost.estimated,
                "duration_ms": round(duration_s * 1000, 3),
            },
        )

    def request(self, messages: Messages, ctx: TaskContext) -> ChatRequest:
        """The HTTP request for one call; secrets are resolved now, never stored."""
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": messages,
            "stream": self.spec.stream,
        }
        if self.spec.stream:
            body["stream_options"] = {"include_usage": True}
        if self.spec.temperature is not None:
            body["temperature"] = self.spec.temperature
        if self.spec.max_tokens is not None:
            body["max_tokens"] = self.spec.max_tokens
        if self.tools:
            body["tools"] = [tool.schema() for tool in self.tools.values()]
        url = self.spec.base_url.rstrip("/") + "/chat/completions"
        left_s = ctx.remaining_s()
        deadline = None if left_s is None else time.monotonic() + left_s
        return ChatRequest(url, body, self.headers(ctx), self.spec.timeout, deadline)

    def headers(self, ctx: TaskContext) -> dict[str, str]:
        """Authorization from `api_key` (a `${secret:NAME}` or a literal), then `headers`."""
        headers: dict[str, str] = {}
        if self.spec.api_key:
            headers["Authorization"] = f"Bearer {resolve(self.spec.api_key, ctx)}"
        headers.update({k: resolve(v, ctx) for k, v in self.spec.headers.items()})
        return headers

    async def use_tools(
        self, calls: list[dict[str, Any]], ctx: TaskContext, pool: SyncPool | None
    ) -> Messages:
        """Run the requested tools at once; one `tool` message per call, in order."""
        return list(await asyncio.gather(*(self._tool(c, ctx, pool) for c in calls)))

    async def _tool(
        self, call: dict[str, Any], ctx: TaskContext, pool: SyncPool | None
    ) -> dict[str, Any]:
        function = call.get("function") or {}
        name = str(function.get("name", ""))
        started = time.monotonic()
        with tracer().start_as_current_span(
            f"execute_tool {name}",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": name,
                "gen_ai.tool.call.id": str(call.get("id", "")),
            },
        ) as span:
            ok, text = await run_tool(
                self.tools.get(name), name, function.get("arguments", ""), pool, ctx
            )
            if not ok:
                span.set_status(StatusCode.ERROR, text[:200])
        ctx.emit(
            "tool_call",
            {
                "agent": self.name,
                "tool": name,
                "ok": ok,
                "duration_ms": round((time.monotonic() - started) * 1000, 3),
                **({} if ok else {"error": text}),
            },
        )
        return {"role": "tool", "tool_call_id": call.get("id", ""), "content": text}


def first_messages(
    system_prompt: str, data: Any, history: Sequence[dict[str, str]] = ()
) -> Messages:
    """System prompt, the session's history, then the input: text as is, else as JSON."""
    system = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*system, *history, {"role": "user", "content": as_text(data)}]


def as_text(data: Any) -> str:
    """Text as is; anything else as JSON."""
    return data if isinstance(data, str) else json.dumps(to_jsonable(data))


def resolve(value: str, ctx: TaskContext) -> str:
    """A `${secret:NAME}` reference read through the task context, or the literal value."""
    name = secret_name(value)
    return ctx.secret(name) if name else value


@asynccontextmanager
async def wall_clock(ctx: TaskContext) -> AsyncIterator[None]:
    """Bounds a call by the task's remaining `max_wall_time`; overrun is BudgetExceeded."""
    limit = ctx.budget.max_wall_time if ctx.budget else None
    remaining = None if limit is None else max(limit - ctx.elapsed_s(), 0.0)
    timeout = asyncio.timeout(remaining)
    try:
        async with timeout:
            yield
    except TimeoutError:
        if not timeout.expired():
            raise
        ctx.check_budget()
        raise BudgetExceeded(
            "task exceeded its budget: max_wall_time", limit="max_wall_time"
        ) from None
