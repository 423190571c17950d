"""Retention decisions, pure: which finished tasks are old enough to go, and what a finished
task's step events compact to. The store runs the statements; the leader runs the rounds.

A swarm's spec `retention:` block overrides the `[retention]` settings key by key. Rules group
swarms that share their windows, so a round runs a handful of statements however many swarms
there are: one per (window, statuses) for the swarms with overrides, and one for all others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from swarmstack.core.states import TERMINAL, TaskStatus
from swarmstack.settings.models import RetentionSettings
from swarmstack.spec.retention import Retention

OTHER = (TaskStatus.CANCELLED, TaskStatus.TIMED_OUT, TaskStatus.BUDGET_EXCEEDED)
# Events a client reads after a task finished: its life (attempts, retries, moves off a retired
# version, the outcome). Everything else (step_started, step_finished, tokens, ...) is folded
# into one summary.
LIFECYCLE = frozenset(
    {"started", "retrying", "rerouted", "compacted", *(s.value for s in TERMINAL)}
)
SUMMARY_TYPE = "compacted"


@dataclass(frozen=True, slots=True)
class Windows:
    """How long one swarm keeps things, in seconds."""

    succeeded_s: float
    failed_s: float
    other_s: float
    idempotency_s: float
    events_s: float

    def by_status(self) -> dict[float, tuple[str, ...]]:
        """Final statuses grouped by how long they are kept."""
        groups: dict[float, list[str]] = {}
        for status, keep in (
            (TaskStatus.SUCCEEDED, self.succeeded_s),
            (TaskStatus.FAILED, self.failed_s),
            *((s, self.other_s) for s in OTHER),
        ):
            groups.setdefault(keep, []).append(status.value)
        return {keep: tuple(statuses) for keep, statuses in groups.items()}

    @property
    def longest_s(self) -> float:
        """The longest any finished task of this swarm is kept."""
        return max(self.succeeded_s, self.failed_s, self.other_s)


def windows_of(settings: RetentionSettings, override: Retention | None = None) -> Windows:
    """The settings' windows with each key `override` sets replacing the setting."""
    o = override or Retention()
    return Windows(
        succeeded_s=o.succeeded or settings.succeeded,
        failed_s=o.failed or settings.failed,
        other_s=o.other or settings.other,
        idempotency_s=o.idempotency or settings.idempotency,
        events_s=o.events or settings.events,
    )


@dataclass(frozen=True, slots=True)
class Scope:
    """Which swarms a rule covers: those in `only`, or (when `only` is None) all but `exclude`."""

    only: frozenset[str] | None
    exclude: frozenset[str] = frozenset()

    def covers(self, swarm: str) -> bool:
        """Whether this scope includes `swarm`."""
        return swarm in self.only if self.only is not None else swarm not in self.exclude


@dataclass(frozen=True, slots=True)
class Plan:
    """The default windows and the swarms whose spec changes them."""

    default: Windows
    overrides: Mapping[str, Windows]

    def scopes(self) -> list[tuple[Scope, Windows]]:
        """Each distinct set of windows with the swarms it covers; the default covers every
        swarm without an override (also swarms no loaded spec names)."""
        shared: dict[Windows, set[str]] = {}
        for swarm, windows in self.overrides.items():
            if windows != self.default:
                shared.setdefault(windows, set()).add(swarm)
        overridden = frozenset(s for swarms in shared.values() for s in swarms)
        scopes = [(Scope(None, overridden), self.default)]
        return scopes + [(Scope(frozenset(s)), w) for w, s in shared.items()]

    def prune_rules(self) -> list[tuple[Scope, tuple[str, ...], float]]:
        """(scope, final statuses, keep seconds) for every prune statement of a round."""
        return [
            (scope, statuses, keep)
            for scope, windows in self.scopes()
            for keep, statuses in sorted(windows.by_status().items())
        ]

    def longest_by_status(self) -> dict[str, float]:
        """Per final status, the longest any swarm keeps it (what the store-age alert allows)."""
        longest: dict[str, float] = {}
        for _, windows in self.scopes():
            for keep, statuses in windows.by_status().items():
                for status in statuses:
                    longest[status] = max(keep, longest.get(status, 0.0))
        return longest

    @property
    def longest_s(self) -> float:
        """The longest any finished task is kept under this plan."""
        return max([self.default.longest_s, *(w.longest_s for w in self.overrides.values())])


def plan_of(settings: RetentionSettings, overrides: Mapping[str, Retention | None]) -> Plan:
    """The plan for the loaded swarms' spec overrides."""
    return Plan(
        windows_of(settings),
        {swarm: windows_of(settings, o) for swarm, o in overrides.items() if o is not None},
    )


@dataclass(frozen=True, slots=True)
class Compaction:
    """What one task's events become: the row that turns into the summary, its data, and the
    rows to delete."""

    keep_id: int
    summary: dict[str, object]
    delete_ids: tuple[int, ...]


def compact(events: Sequence[tuple[int, str, float]]) -> Compaction | None:
    """The compaction of one task's (id, type, created_at) events that are not lifecycle
    events; None when there is nothing to fold. The summary takes the place (and id) of the
    first folded event, so event order and ids stay as clients saw them."""
    folded = sorted(e for e in events if e[1] not in LIFECYCLE)
    if not folded:
        return None
    counts = Counter(kind for _, kind, _ in folded)
    summary: dict[str, object] = {
        "events": len(folded),
        "types": dict(sorted(counts.items())),
        "first_at": folded[0][2],
        "last_at": max(at for _, _, at in folded),
    }
    return Compaction(folded[0][0], summary, tuple(i for i, _, _ in folded[1:]))


def compactions(rows: Iterable[tuple[str, int, str, float]]) -> dict[str, Compaction]:
    """Per task id, the compaction of its (task_id, id, type, created_at) event rows."""
    by_task: dict[str, list[tuple[int, str, float]]] = {}
    for task_id, event_id, kind, at in rows:
        by_task.setdefault(task_id, []).append((event_id, kind, at))
    found = {task_id: compact(events) for task_id, events in by_task.items()}
    return {task_id: c for task_id, c in found.items() if c is not None}
