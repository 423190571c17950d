"""One step of a flow: call an agent, time it, record it in the trace and as events."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from opentelemetry.trace import StatusCode

from swarmstack.agents.context import TaskContext, Usage, counted
from swarmstack.agents.sync_pool import SyncPool
from swarmstack.core.tracecontext import tracer
from swarmstack.errors import AgentError, SwarmstackError, TaskTimeout


class AgentCall(Protocol):
    """A built agent: anything that maps a step input to an output."""

    name: str

    async def __call__(self, data: Any, ctx: TaskContext, pool: SyncPool | None) -> Any:
        """Run the agent on `data`."""
        ...


async def run_step(
    agent: AgentCall,
    data: Any,
    ctx: TaskContext,
    pool: SyncPool | None,
    *,
    step: str,
    timeout_s: float | None = None,
    announce: bool = True,
) -> Any:
    """Run `agent` as step `step`; errors become SwarmstackErrors that name the step. A step
    an earlier attempt finished (`ctx.checkpoints`) is not run: its output is taken as is."""
    if step in ctx.checkpoints:
        return restore(ctx, step, agent.name)
    started, spent = time.monotonic(), Usage()
    if announce:
        ctx.emit("step_started", {"step": step, "agent": agent.name})
    with tracer().start_as_current_span(
        f"step {step}",
        attributes={"swarmstack.step": step, "gen_ai.agent.name": agent.name},
    ) as span:
        try:
            with counted(spent):
                output = await _call(agent, data, ctx, pool, timeout_s)
        except Exception as exc:
            error = _as_error(exc, step, agent.name, timeout_s)
            _record(ctx, step, agent.name, started, spent, error=error.message, emit=announce)
            span.set_status(StatusCode.ERROR, error.message)
            raise error from exc
    ctx.charge(steps=1)
    _record(ctx, step, agent.name, started, spent, output=output, emit=announce)
    return output


async def _call(
    agent: AgentCall,
    data: Any,
    ctx: TaskContext,
    pool: SyncPool | None,
    timeout_s: float | None,
) -> Any:
    if timeout_s is None:
        return await agent(data, ctx, pool)
    async with asyncio.timeout(timeout_s):
        return await agent(data, ctx, pool)


def _as_error(exc: Exception, step: str, agent: str, timeout_s: float | None) -> SwarmstackError:
    if isinstance(exc, TimeoutError):
        return TaskTimeout(f"step {step!r} (agent {agent!r}) timed out after {timeout_s:g}s")
    if isinstance(exc, SwarmstackError):
        return exc
    return AgentError(f"step {step!r} (agent {agent!r}) raised {type(exc).__name__}: {exc}")


def restore(ctx: TaskContext, step: str, agent: str) -> Any:
    """The output an earlier attempt recorded for `step`, in the trace as `restored`."""
    output = ctx.checkpoints[step]
    entry = {"step": step, "agent": agent, "duration_ms": 0.0, **spend(Usage()), "output": output}
    ctx.trace.append({**entry, "restored": True})
    ctx.emit("step_restored", {"step": step, "agent": agent})
    return output


def checkpoints_of(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Step outputs by step name from a task's (type, data) events: its `step_finished` ones and
    what earlier attempts restored. Pure."""
    return {
        data["step"]: data["output"]
        for kind, data in events
        if kind == "step_finished" and "step" in data and "output" in data
    }


def spend(spent: Usage) -> dict[str, Any]:
    """A step's tokens and cost as its trace entry and events hold them. Pure."""
    return {
        "tokens": spent.total_tokens,
        "prompt_tokens": spent.prompt_tokens,
        "completion_tokens": spent.completion_tokens,
        "cost_usd": round(spent.cost_usd, 8),
    }


def _record(
    ctx: TaskContext,
    step: str,
    agent: str,
    started: float,
    spent: Usage,
    *,
    output: Any = None,
    error: str | None = None,
    emit: bool = True,
) -> None:
    entry: dict[str, Any] = {
        "step": step,
        "agent": agent,
        "duration_ms": round((time.monotonic() - started) * 1000, 3),
        **spend(spent),
    }
    if error is not None:
        entry["error"] = error
    else:
        entry["output"] = output
    ctx.trace.append(entry)
    if emit:
        ctx.emit("step_failed" if error else "step_finished", entry)
