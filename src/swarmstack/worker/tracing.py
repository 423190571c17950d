"""A task's spans on its worker: the queue wait it spent stored, then the run.

Both are children of the submit's span (`TaskRecord.traceparent`, see `core.tracecontext`), so a
trace reads submit -> queue wait -> task (steps, LLM calls, tool calls) -> record, across the
manager and worker processes. Span names and attributes: `queue wait` and `task <swarm>`
(`swarmstack.task.id`, `.swarm`, `.version`, `.attempt`, `.queue_wait_s` in seconds).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue

from swarmstack.core.records import TaskRecord
from swarmstack.core.tracecontext import parent_of, tracer

_NS = 1_000_000_000


@contextmanager
def task_span(task: TaskRecord) -> Iterator[Span]:
    """The `task <swarm>` span of one attempt, after a `queue wait` span from the task's
    creation (or last `run_at`) to its claim; both children of the submit's span."""
    parent = parent_of(task.traceparent)
    claimed = task.started_at if task.started_at is not None else time.time()
    queued_since = task.run_at if task.attempts > 1 and task.run_at else task.created_at
    attributes: dict[str, AttributeValue] = {
        "swarmstack.task.id": task.id,
        "swarmstack.swarm": task.swarm,
        "swarmstack.version": task.version or "",
        "swarmstack.attempt": task.attempts,
    }
    wait = tracer().start_span(
        "queue wait", context=parent, start_time=int(queued_since * _NS), attributes=attributes
    )
    wait.end(end_time=int(max(claimed, queued_since) * _NS))
    with tracer().start_as_current_span(
        f"task {task.swarm}",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={**attributes, "swarmstack.queue_wait_s": max(0.0, claimed - queued_since)},
    ) as span:
        yield span
