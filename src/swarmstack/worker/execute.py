"""Run one claimed task through its swarm and turn what happened into an `Outcome`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
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
    *,
    now: Callable[[], float] = time.time,
    checkpoints: dict[str, Any] | None = None,
) -> Outcome:
    """Run `task` once under its timeout; cancellation propagates to the caller. `now` is the
    clock that dates the outcome (the worker's); `checkpoints` are the outputs of steps an
    earlier attempt finished (`worker.checkpoints`)."""
    ctx = TaskContext(
        task_id=task.id,
        swarm=task.swarm,
        attempt=task.attempts,
        emit=emit,
        history=history or [],
        checkpoints=checkpoints or {},
    )
    ctx.deadline = ctx.started + task.timeout_s  # the task's own timeout, which may override
    started = now()
    try:
        async with asyncio.timeout(task.timeout_s):
            result = await runtime.run(task.input, ctx)
    except TimeoutError:
        error: Exception = TaskTimeout(
            f"task timed out after {task.timeout_s:g}s",
            fix="raise runtime.timeout or make the agents faster",
        )
        return _failed(task, worker, ctx, (started, now()), error, OutcomeKind.TIMED_OUT, True)
    except BudgetExceeded as exc:
        metrics.budget_exceeded.labels(task.swarm, exc.limit or "unknown").inc()
        return _failed(task, worker, ctx, (started, now()), exc, OutcomeKind.BUDGET_EXCEEDED, False)
    except TaskTimeout as exc:
        return _failed(task, worker, ctx, (started, now()), exc, OutcomeKind.TIMED_OUT, True)
    except PermanentError as exc:
        return _failed(task, worker, ctx, (started, now()), exc, OutcomeKind.FAILED, False)
    except (TemporaryError, Exception) as exc:
        return _failed(task, worker, ctx, (started, now()), exc, OutcomeKind.FAILED, True)
    return Outcome(
        task.id,
        worker,
        task.attempts,
        OutcomeKind.SUCCEEDED,
        now(),
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
    span: tuple[float, float],
    exc: Exception,
    kind: OutcomeKind,
    retryable: bool,
) -> Outcome:
    started, finished = span
    message = str(exc) or type(exc).__name__
    retry_after = exc.delay_s if isinstance(exc, TemporaryError) and exc.delay_s > 0 else None
    return Outcome(
        task.id,
        worker,
        task.attempts,
        kind,
        finished,
        error=message,
        retryable=retryable,
        trace=ctx.trace or None,
        usage=_usage(ctx),
        started_at=started,
        retry_after_s=retry_after,
    )


def _usage(ctx: TaskContext) -> dict[str, Any] | None:
    return ctx.usage.as_dict() if ctx.usage.llm_calls or ctx.usage.total_tokens else None
