"""Value objects that cross layers: tasks as stored, tasks to submit, outcomes to record."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from swarmstack.core.ids import TaskId, WorkerId
from swarmstack.core.states import TaskStatus


@dataclass(frozen=True, slots=True)
class NewTask:
    """A task a client asked for, before it is stored."""

    id: TaskId
    swarm: str
    input: Any
    priority: int
    max_attempts: int
    timeout_s: float
    submitted_by: str
    created_at: float
    idempotency_key: str | None = None
    request_hash: str | None = None
    session: str | None = None
    version: str | None = None
    session_policy: str = "enqueue"
    owner: str | None = None  # the submitting principal's id
    tenant: str | None = None
    traceparent: str | None = None  # W3C trace context of the submit (tracing on)
    # The client named `version` (not stored): a retired one is refused, never replaced.
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """A task as the store holds it."""

    id: TaskId
    swarm: str
    status: TaskStatus
    priority: int
    input: Any
    attempts: int
    max_attempts: int
    timeout_s: float
    created_at: float
    submitted_by: str = ""
    result: Any = None
    error: str | None = None
    trace: list[dict[str, Any]] | None = None
    usage: dict[str, Any] | None = None
    started_at: float | None = None
    finished_at: float | None = None
    lease_owner: WorkerId | None = None
    lease_expires_at: float | None = None
    run_at: float = 0.0
    version: str | None = None
    session: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    attempt_errors: list[dict[str, Any]] = field(default_factory=list)
    owner: str | None = None
    tenant: str | None = None
    traceparent: str | None = None


class OutcomeKind(StrEnum):
    """What an attempt ended with."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    BUDGET_EXCEEDED = "budget_exceeded"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The end of one attempt, as a worker reports it."""

    task_id: TaskId
    worker: WorkerId
    attempt: int
    kind: OutcomeKind
    finished_at: float
    result: Any = None
    error: str | None = None
    retryable: bool = False
    trace: list[dict[str, Any]] | None = None
    usage: dict[str, Any] | None = None
    started_at: float | None = None
    session_messages: list[dict[str, Any]] | None = None
    session_keep: int = 50
    retry_after_s: float | None = None  # the provider's requested wait (Retry-After), seconds


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One entry of a task's event stream; `id` orders events globally."""

    id: int
    task_id: TaskId
    type: str
    data: dict[str, Any]
    created_at: float


@dataclass(frozen=True, slots=True)
class TaskPage:
    """One page of a task listing."""

    items: list[TaskRecord]
    next_cursor: str | None
