"""Run one claimed task through its swarm and turn what happened into an `Outcome`."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from swarmstack.agents import SwarmRuntime, TaskContext
from swarmstack.agents.context import EventSink
from swarmstack.agents.llm.agent import as_text
from swarmstack.core.ids import WorkerId
from swarmstack.core.records import Outcome, OutcomeKind, TaskRecord
from swarmstack.errors import BudgetExceeded, PermanentError, TaskTimeout, TemporaryError
from swarmstack.metrics import Metrics


async def execute(
    task: TaskRecord,
    runtime: SwarmRuntime,
    worker: WorkerId,
    emit: EventSink,
    metrics: Metrics,
    history: list[dict[str, str]] | None = None,
) -> Outcome:
    """Run `task` once under its timeout; cancellation propagates to the caller."""
    ctx = TaskContext(
        task_id=task.id, swarm=task.swarm, attempt=task.attempts, emit=emit, history=history or []
    )
    started = time.time()
    try:
        async with asyncio.timeout(task.timeout_s):
            result = await runtime.run(task.input, ctx)
    except TimeoutError:
        error: Exception = TaskTimeout(
            f"task timed out after {task.timeout_s:g}s",
            fix="raise runtime.timeout or make the agents faster",
        )
        return _failed(task, worker, ctx, started, error, OutcomeKind.TIMED_OUT, True)
    except BudgetExceeded as exc:
        metrics.budget_exceeded.labels(task.swarm, exc.limit or "unknown").inc()
        return _failed(task, worker, ctx, started, exc, OutcomeKind.BUDGET_EXCEEDED, False)
    except TaskTimeout as exc:
        return _failed(task, worker, ctx, started, exc, OutcomeKind.TIMED_OUT, True)
    except PermanentError as exc:
        return _failed(task, worker, ctx, started, exc, OutcomeKind.FAILED, False)
    except (TemporaryError, Exception) as exc:
        return _failed(task, worker, ctx, started, exc, OutcomeKind.FAILED, True)
    return Outcome(
        task.id,
        worker,
        task.attempts,
        OutcomeKind.SUCCEEDED,
        time.time(),
        result=result,
        trace=ctx.trace or None,
        usage=_usage(ctx),
        started_at=started,
        session_messages=_exchange(task, result),
        session_keep=runtime.spec.sessions.max_messages,
    )


def _exchange(task: TaskRecord, result: Any) -> list[dict[str, Any]] | None:
    """The user/assistant messages a session keeps from this task."""
    if task.session is None:
        return None
    return [
        {"role": "user", "content": as_text(task.input)},
        {"role": "assistant", "content": as_text(result)},
    ]


def _failed(
    task: TaskRecord,
    worker: WorkerId,
    ctx: TaskContext,
    started: float,
    exc: Exception,
    kind: OutcomeKind,
    retryable: bool,
) -> Outcome:
    message = str(exc) or type(exc).__name__
    return Outcome(
        task.id,
        worker,
        task.attempts,
        kind,
        time.time(),
        error=message,
        retryable=retryable,
        trace=ctx.trace or None,
        usage=_usage(ctx),
        started_at=started,
    )


def _usage(ctx: TaskContext) -> dict[str, Any] | None:
    return ctx.usage.as_dict() if ctx.usage.llm_calls or ctx.usage.total_tokens else None
