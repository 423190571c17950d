"""Task states and the legal moves between them.

Invariant: every status change the store makes is one guarded UPDATE whose WHERE admits only
`sources_of(new)` (see `store/transitions.py`), so an outcome (a terminal state) is never
replaced and a client sees exactly one result per task.
"""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    """Where a task is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    BUDGET_EXCEEDED = "budget_exceeded"

    @property
    def terminal(self) -> bool:
        """True for outcomes, which never change again."""
        return self not in (TaskStatus.QUEUED, TaskStatus.RUNNING)


TERMINAL = frozenset(s for s in TaskStatus if s.terminal)

_ALLOWED: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.QUEUED: frozenset({TaskStatus.RUNNING, TaskStatus.CANCELLED}),
    # RUNNING -> QUEUED is a retry, a released lease or an expired lease.
    TaskStatus.RUNNING: frozenset({TaskStatus.QUEUED} | TERMINAL),
}


def can_transition(current: TaskStatus, new: TaskStatus) -> bool:
    """Whether `current -> new` is a legal change."""
    return new in _ALLOWED.get(current, frozenset())


def sources_of(new: TaskStatus) -> frozenset[TaskStatus]:
    """States from which `new` may be reached (for guarded UPDATE ... WHERE status IN ...)."""
    return frozenset(s for s, targets in _ALLOWED.items() if new in targets)


class Priority:
    """The seed's priority names and their queue order (higher runs first)."""

    VALUES = {"low": 0, "normal": 5, "high": 10}
    NAMES = {v: k for k, v in VALUES.items()}

    @classmethod
    def value(cls, name: str) -> int:
        """Numeric priority of a name; unknown names are rejected by the API model first."""
        return cls.VALUES[name]

    @classmethod
    def name(cls, value: int) -> str:
        """Name of a numeric priority (the closest known one)."""
        return cls.NAMES.get(value) or min(cls.VALUES, key=lambda k: abs(cls.VALUES[k] - value))
