"""Request and response bodies of the task API."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from swarmstack.core.ids import client_session, session_scope
from swarmstack.core.records import TaskRecord
from swarmstack.core.states import Priority, TaskStatus
from swarmstack.spec.durations import Duration

PriorityName = Literal["low", "normal", "high"]
MAX_INPUT_DEPTH = 64


def _no_unstorable(value: str) -> str:
    """Refuse NUL, other C0 controls and lone surrogates in names and keys (no store keeps
    NUL in text on PostgreSQL; lone surrogates have no UTF-8 form)."""
    for i, char in enumerate(value):
        if char < " " or "\ud800" <= char <= "\udfff" or char == "\x7f":
            raise ValueError(
                f"contains the control or unpaired surrogate character U+{ord(char):04X} at "
                f"character {i}; use printable text"
            )
    return value


def _strict_json(value: Any) -> Any:
    """Refuse what strict JSON (RFC 8259) cannot hold: NaN and Infinity (which Python's JSON
    reader accepts), lone surrogates in strings, and nesting deeper than MAX_INPUT_DEPTH."""
    if _storable(value, 0):
        return value
    return _refuse_unstorable(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(item: Any, depth: int) -> bool:
    """Whether `_refuse_unstorable` lets `item` at `depth` pass (the same checks without the
    paths that only its message needs: about 3 times faster on a small input)."""
    if depth > MAX_INPUT_DEPTH:
        return False
    if isinstance(item, str):
        return _SURROGATE.search(item) is None
    if isinstance(item, dict):
        for key, child in item.items():
            if not (_storable(key, depth + 1) and _storable(child, depth + 1)):
                return False
        return True
    if isinstance(item, list):
        for child in item:  # noqa: SIM110  (a loop: all() over a generator costs 40 % more)
            if not _storable(child, depth + 1):
                return False
        return True
    return not isinstance(item, float) or math.isfinite(item)


def _refuse_unstorable(value: Any) -> Any:
    """`_strict_json`'s walk that names where the first unstorable value is (ValueError)."""
    todo: list[tuple[Any, str, int]] = [(value, "", 0)]
    while todo:
        item, path, depth = todo.pop()
        where = f"'{path}'" if path else "the top level"
        if depth > MAX_INPUT_DEPTH:
            raise ValueError(f"nests deeper than {MAX_INPUT_DEPTH} levels at {where}")
        if isinstance(item, float) and not math.isfinite(item):
            name = "NaN" if math.isnan(item) else ("Infinity" if item > 0 else "-Infinity")
            raise ValueError(f"holds {name} at {where}, which JSON cannot represent; use null")
        if isinstance(item, str) and any("\ud800" <= c <= "\udfff" for c in item):
            raise ValueError(f"holds an unpaired UTF-16 surrogate at {where}; send valid text")
        if isinstance(item, dict):
            for key, child in item.items():
                todo.append((key, f"{path}.{key}" if path else str(key), depth + 1))
                todo.append((child, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(item, list):
            todo += [(child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item)]
    return value


# The pattern documents (in the OpenAPI schema) what the validator enforces: no C0 control
# characters or DEL; lone surrogates cannot arrive in a path and are refused in bodies.
class _DocumentedPattern:
    """Adds the pattern to the generated schema and keeps the rest (a field's min_length and
    max_length), which WithJsonSchema would replace."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = "^[^\\u0000-\\u001f\\u007f]*$"
        return schema


StorableName = Annotated[str, AfterValidator(_no_unstorable), _DocumentedPattern()]
JsonValue = Annotated[Any, AfterValidator(_strict_json)]


class TaskIn(BaseModel):
    """A task to run."""

    model_config = ConfigDict(extra="forbid")

    swarm: StorableName | None = Field(
        None, max_length=64, description="Swarm name; default: the first loaded swarm."
    )
    input: JsonValue = Field(description="The task input handed to the first agent.")
    priority: PriorityName | None = Field(None, description="low | normal | high.")
    timeout: Annotated[Duration, Field(gt=0)] | None = Field(
        None, description="Per-attempt timeout override."
    )
    session: StorableName | None = Field(
        None, max_length=200, description="Session this task joins."
    )
    version: StorableName | None = Field(
        None,
        max_length=64,
        description="Run on this version of the swarm (a preview); default: as routed.",
    )


MAX_BATCH = 1000  # tasks per POST /api/v1/tasks/batch


class BatchTaskIn(TaskIn):
    """One task of a batch: a single submit's body, and its own idempotency key."""

    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="As the Idempotency-Key header of a single submit, for this task alone.",
    )


class BatchIn(BaseModel):
    """Up to 1,000 tasks stored in one transaction."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[BatchTaskIn] = Field(min_length=1, max_length=MAX_BATCH)


class LegacyTaskIn(BaseModel):
    """The seed's request shape: `{"task": "...", "priority": "high"}`."""

    model_config = ConfigDict(extra="forbid")

    task: JsonValue = Field(description="The task input.")
    priority: PriorityName | None = Field(None, description="low | normal | high.")
    swarm: StorableName | None = Field(
        None, max_length=64, description="Swarm name; default: the first loaded swarm."
    )


class AttemptOut(BaseModel):
    """A failed attempt."""

    attempt: int
    version: str | None = Field(None, description="The version the attempt ran on.")
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
            session=client_session(task.session, session_scope(task.owner, task.tenant)),
            usage=task.usage,
            trace=task.trace,
            attempt_errors=[AttemptOut(**a) for a in task.attempt_errors],
        )


class TaskList(BaseModel):
    """One page of tasks, newest first."""

    items: list[TaskOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class BatchItemOut(BaseModel):
    """What became of one task of a batch: `status` is what a single submit of it would have
    answered (202 stored, 200 an earlier task under its idempotency key, else the status of
    `problem`), with the task or the RFC 9457 problem document."""

    index: int = Field(description="The task's position in the request's `tasks`.")
    status: int
    task: TaskOut | None = None
    problem: dict[str, Any] | None = None


class BatchOut(BaseModel):
    """The answer to a batch, one item per task in the request's order."""

    accepted: int = Field(description="Tasks stored (or found under their idempotency key).")
    refused: int = Field(description="Tasks refused; each item's `problem` says why.")
    tasks: list[BatchItemOut]
