"""Request and response bodies of the task API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from swarmstack.core.records import TaskRecord
from swarmstack.core.states import Priority, TaskStatus
from swarmstack.spec.durations import Duration

PriorityName = Literal["low", "normal", "high"]


class TaskIn(BaseModel):
    """A task to run."""

    model_config = ConfigDict(extra="forbid")

    swarm: str | None = Field(None, description="Swarm name; default: the first loaded swarm.")
    input: Any = Field(description="The task input handed to the first agent.")
    priority: PriorityName | None = Field(None, description="low | normal | high.")
    timeout: Annotated[Duration, Field(gt=0)] | None = Field(
        None, description="Per-attempt timeout override."
    )
    session: str | None = Field(None, max_length=200, description="Session this task joins.")


class LegacyTaskIn(BaseModel):
    """The seed's request shape: `{"task": "...", "priority": "high"}`."""

    model_config = ConfigDict(extra="forbid")

    task: Any = Field(description="The task input.")
    priority: PriorityName | None = Field(None, description="low | normal | high.")
    swarm: str | None = Field(None, description="Swarm name; default: the first loaded swarm.")


class AttemptOut(BaseModel):
    """A failed attempt."""

    attempt: int
    status: str
    error: str | None
    worker: str | None
    finished_at: float


class TaskOut(BaseModel):
    """A task as the API shows it."""

    id: str
    swarm: str
    version: str | None
    status: TaskStatus
    priority: PriorityName
    input: Any
    result: Any = None
    error: str | None = None
    attempts: int
    max_attempts: int
    timeout_s: float
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    session: str | None = None
    usage: dict[str, Any] | None = None
    trace: list[dict[str, Any]] | None = None
    attempt_errors: list[AttemptOut] = Field(default_factory=list)

    @classmethod
    def of(cls, task: TaskRecord) -> TaskOut:
        """The API view of a stored task."""
        return cls(
            id=task.id,
            swarm=task.swarm,
            version=task.version,
            status=task.status,
            priority=Priority.name(task.priority),
            input=task.input,
            result=task.result,
            error=task.error,
            attempts=task.attempts,
            max_attempts=task.max_attempts,
            timeout_s=task.timeout_s,
            created_at=task.created_at,
            started_at=task.started_at,
            finished_at=task.finished_at,
            session=task.session,
            usage=task.usage,
            trace=task.trace,
            attempt_errors=[AttemptOut(**a) for a in task.attempt_errors],
        )


class TaskList(BaseModel):
    """One page of tasks, newest first."""

    items: list[TaskOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
