"""The rollout controller's vocabulary: plans, states, measurements, verdicts and actions.

Pure data (frozen dataclasses, JSON round-trip through `to_dict` / `from_dict`), shared by the
pure state machine (`core.rollout`), the store (which keeps a swarm's `RolloutState` as JSON),
the controller loop and the API. Times are seconds since the epoch on the database's clock;
weights are percents of new tasks (0..100) sent to the candidate version.

Semantics follow Argo Rollouts and Flagger where they overlap (see docs/deployments.md):
a step without a pause moves on at once, `pause_s=None` waits for `promote`; an analysis
verdict is pass / fail / inconclusive; `failure_limit` failed analyses are tolerated, one more
aborts; inconclusive pauses for a human; abort sends every new task back to stable at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

Strategy = Literal["all-at-once", "canary", "blue-green"]


class Phase(StrEnum):
    """Where a swarm's rollout is."""

    HEALTHY = "healthy"  # no candidate: all traffic on stable
    PROGRESSING = "progressing"  # walking the steps (canary) or previewing (blue-green)
    PAUSED = "paused"  # waiting for promote / resume (a `pause: {}` step, inconclusive, a command)
    ABORTED = "aborted"  # candidate rejected: all traffic on stable until a new deploy or retry


class Verdict(StrEnum):
    """The outcome of one analysis (or of one check in it)."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class Step:
    """One canary step: send `weight` percent to the candidate, then hold for `pause_s` seconds
    (0: move on at once; None: wait for promote)."""

    weight: int
    pause_s: float | None = 0.0


@dataclass(frozen=True, slots=True)
class AnalysisPlan:
    """Thresholds for the candidate, each judged only with at least `min_samples` finished tasks
    of the candidate in the window (fewer: inconclusive, never a pass). A threshold of None is
    not checked. Costs in USD per task, latency in seconds, rates as fractions 0..1."""

    interval_s: float = 30.0
    min_samples: int = 20
    max_error_rate: float | None = 0.05
    max_p95_latency_s: float | None = 10.0
    max_cost_per_task: float | None = None
    max_tokens_per_task: float | None = None
    max_budget_exceeded_rate: float | None = None
    # Relative gates against stable measured over the same window: the candidate may be at most
    # this factor of stable's value (e.g. 1.5 = 50 % worse); None: not compared.
    max_cost_ratio: float | None = None
    max_tokens_ratio: float | None = None
    max_latency_ratio: float | None = None
    failure_limit: int = 0  # failed analyses tolerated; one more aborts


@dataclass(frozen=True, slots=True)
class RolloutPlan:
    """How a candidate replaces stable (from the spec's `rollout:` block or a deploy override)."""

    strategy: Strategy = "canary"
    steps: tuple[Step, ...] = (Step(10, 60.0), Step(50, 60.0))
    analysis: AnalysisPlan = field(default_factory=AnalysisPlan)
    auto_promote: bool = True  # blue-green: promote after a passing analysis of the preview
    scale_down_delay_s: float = 30.0  # blue-green: keep the old version warm this long


@dataclass(frozen=True, slots=True)
class VersionStats:
    """What one version did in an analysis window (finished tasks only)."""

    samples: int = 0
    errors: int = 0  # failed, timed_out and budget_exceeded outcomes
    budget_exceeded: int = 0
    p95_latency_s: float | None = None
    cost_per_task: float | None = None  # USD
    tokens_per_task: float | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """One threshold of an analysis: the measured value, the limit and its verdict."""

    name: str
    value: float | None
    limit: float
    verdict: Verdict
    note: str = ""  # why an inconclusive check is inconclusive, for humans


@dataclass(frozen=True, slots=True)
class Analysis:
    """One analysis run: when, over which window, the worst verdict and every check."""

    at: float
    window_start: float
    verdict: Verdict
    checks: tuple[Check, ...]
    candidate: VersionStats
    stable: VersionStats
    # Inconclusive only for want of finished tasks (candidate's, or stable's for a ratio): the
    # rollout keeps its phase and waits for more, where any other inconclusive pauses it.
    low_samples: bool = False


@dataclass(frozen=True, slots=True)
class RolloutState:
    """A swarm's rollout as stored; `candidate` is None when there is no rollout."""

    stable: str
    candidate: str | None = None
    strategy: Strategy = "canary"
    phase: Phase = Phase.HEALTHY
    step: int = 0  # index into the plan's steps (canary)
    weight: int = 0  # percent of new tasks sent to the candidate
    started_at: float = 0.0  # when the candidate was deployed
    step_started_at: float = 0.0  # when the current step's weight was set
    last_analysis_at: float | None = None
    failed_analyses: int = 0
    pause_reason: str | None = None
    previous: str | None = None  # blue-green: the old stable, kept warm after promotion
    retire_at: float | None = None  # blue-green: when `previous` may be unloaded
    # A low-samples analysis leaves its window open: the next one measures from here, so a
    # quiet candidate gathers samples across intervals instead of starting from zero each time.
    pending_window_start: float | None = None
    analyses: tuple[Analysis, ...] = ()  # the newest few, newest last

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (for the store and the API)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RolloutState:
        """The inverse of `to_dict`; raises KeyError/TypeError/ValueError on malformed data."""
        analyses = tuple(
            Analysis(
                at=a["at"],
                window_start=a["window_start"],
                verdict=Verdict(a["verdict"]),
                checks=tuple(
                    Check(
                        c["name"], c["value"], c["limit"], Verdict(c["verdict"]), c.get("note", "")
                    )
                    for c in a["checks"]
                ),
                candidate=VersionStats(**a["candidate"]),
                stable=VersionStats(**a["stable"]),
                low_samples=a.get("low_samples", False),
            )
            for a in data.get("analyses", ())
        )
        plain = {k: v for k, v in data.items() if k != "analyses"}
        plain["phase"] = Phase(plain.get("phase", Phase.HEALTHY))
        return cls(**plain, analyses=analyses)


# --- actions: what the controller must do after a transition (the I/O around the machine) -------
@dataclass(frozen=True, slots=True)
class SetWeight:
    """Route `weight` percent of new tasks to the candidate (0: all to stable)."""

    weight: int


@dataclass(frozen=True, slots=True)
class Promote:
    """The candidate becomes stable for all new tasks."""

    version: str


@dataclass(frozen=True, slots=True)
class RerunOnStable:
    """Re-queue on `stable` every task of `candidate` that failed (or is queued) since `since`,
    keeping its id and attempts, so clients see the stable version's answer."""

    candidate: str
    stable: str
    since: float


@dataclass(frozen=True, slots=True)
class Retire:
    """`version` takes no new tasks and may be unloaded by workers once idle."""

    version: str


@dataclass(frozen=True, slots=True)
class Record:
    """Write a line to the rollout history (`action` e.g. step, pause, promote, abort)."""

    action: str
    message: str


Action = SetWeight | Promote | RerunOnStable | Retire | Record
