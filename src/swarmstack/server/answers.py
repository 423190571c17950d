"""The submit routes' JSON answers, built as plain values and serialised in one call.

`TaskOut` and `BatchOut` (server.schemas) document these answers in the OpenAPI schema; the
values built here hold the same fields, in the same order, coerced to the same types
(`tests/unit/server/test_answers.py` compares the two), so clients see the same JSON. A batch
of 1,000 tasks is thereby answered without building and validating 2,000 models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import to_json

from swarmstack.core.ids import client_session, session_scope
from swarmstack.core.records import TaskRecord
from swarmstack.core.states import Priority
from swarmstack.errors import SwarmstackError
from swarmstack.server.problems import problem_of
from swarmstack.server.schemas import AttemptOut


def task_view(task: TaskRecord) -> dict[str, Any]:
    """The fields of `TaskOut.of(task)` as a dict of JSON-ready values (times in seconds
    since the epoch as floats, the priority by name, the session as the client named it)."""
    return {
        "id": task.id,
        "swarm": task.swarm,
        "version": task.version,
        "status": task.status.value,
        "priority": Priority.name(task.priority),
        "input": task.input,
        "result": task.result,
        "error": task.error,
        "attempts": int(task.attempts),
        "max_attempts": int(task.max_attempts),
        "timeout_s": float(task.timeout_s),
        "created_at": float(task.created_at),
        "started_at": None if task.started_at is None else float(task.started_at),
        "finished_at": None if task.finished_at is None else float(task.finished_at),
        "session": client_session(task.session, session_scope(task.owner, task.tenant)),
        "usage": task.usage,
        "trace": task.trace,
        "attempt_errors": [AttemptOut(**a).model_dump() for a in task.attempt_errors],
    }


def task_json(task: TaskRecord) -> bytes:
    """`TaskOut.of(task)` as JSON."""
    return to_json(task_view(task))


def batch_item(index: int, result: TaskRecord | SwarmstackError, path: str) -> dict[str, Any]:
    """A `BatchItemOut`: 202 and the stored task, 200 and a finished one found under its
    idempotency key, else the error's status and problem document."""
    if isinstance(result, SwarmstackError):
        return {
            "index": index,
            "status": result.status,
            "task": None,
            "problem": problem_of(result, path),
        }
    status = 200 if result.status.terminal else 202
    return {"index": index, "status": status, "task": task_view(result), "problem": None}


def batch_json(results: Sequence[TaskRecord | SwarmstackError], path: str) -> bytes:
    """The `BatchOut` of `results` (in the request's order) as JSON."""
    items = [batch_item(i, r, path) for i, r in enumerate(results)]
    refused = sum(1 for r in results if isinstance(r, SwarmstackError))
    return to_json({"accepted": len(items) - refused, "refused": refused, "tasks": items})
