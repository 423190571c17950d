"""Rows to records and back: JSON columns, statuses and optional fields."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row

from swarmstack.core.ids import TaskId, WorkerId
from swarmstack.core.records import NewTask, TaskEvent, TaskRecord
from swarmstack.core.states import TaskStatus


def dumps(value: Any) -> str:
    """Compact JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | None) -> Any:
    """JSON or None."""
    return None if text is None else json.loads(text)


def new_task_row(task: NewTask) -> dict[str, Any]:
    """Column values of a task to insert."""
    return {
        "id": task.id,
        "swarm": task.swarm,
        "version": task.version,
        "status": TaskStatus.QUEUED.value,
        "priority": task.priority,
        "input": dumps(task.input),
        "attempts": 0,
        "max_attempts": task.max_attempts,
        "timeout_s": task.timeout_s,
        "idempotency_key": task.idempotency_key,
        "request_hash": task.request_hash,
        "session": task.session,
        "submitted_by": task.submitted_by,
        "run_at": task.created_at,
        "created_at": task.created_at,
    }


def task_from_row(row: Row[Any], attempt_errors: list[dict[str, Any]] | None = None) -> TaskRecord:
    """A TaskRecord from a full `tasks` row."""
    m = row._mapping
    return TaskRecord(
        id=TaskId(m["id"]),
        swarm=m["swarm"],
        status=TaskStatus(m["status"]),
        priority=m["priority"],
        input=loads(m["input"]),
        attempts=m["attempts"],
        max_attempts=m["max_attempts"],
        timeout_s=m["timeout_s"],
        created_at=m["created_at"],
        submitted_by=m["submitted_by"],
        result=loads(m["result"]),
        error=m["error"],
        trace=loads(m["trace"]),
        usage=loads(m["usage"]),
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        lease_owner=WorkerId(m["lease_owner"]) if m["lease_owner"] else None,
        lease_expires_at=m["lease_expires_at"],
        run_at=m["run_at"],
        version=m["version"],
        session=m["session"],
        idempotency_key=m["idempotency_key"],
        request_hash=m["request_hash"],
        attempt_errors=attempt_errors or [],
    )


def event_from_row(row: Row[Any]) -> TaskEvent:
    """A TaskEvent from a `task_events` row."""
    m = row._mapping
    return TaskEvent(
        id=m["id"],
        task_id=TaskId(m["task_id"]),
        type=m["type"],
        data=loads(m["data"]),
        created_at=m["created_at"],
    )
