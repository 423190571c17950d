"""What a version did in an analysis window, measured from real task rows on SQLite and
PostgreSQL: successes by the version that finished them, failures by the attempt's version."""

from __future__ import annotations

from types import SimpleNamespace

from swarmstack.core.ids import WorkerId, new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind
from swarmstack.core.rollout_types import VersionStats
from swarmstack.store import Store
from swarmstack.store.version_stats import p95, summary

W = WorkerId("w")
T0 = 1_700_000_000.0


def new(version: str) -> NewTask:
    return NewTask(new_task_id(), "s", {}, 5, 2, 30.0, "t", T0, version=version)


async def test_successes_and_failed_attempts_count_for_the_version_that_ran_them(
    store: Store,
) -> None:
    await store.tasks.submit_many([new("2.0"), new("2.0"), new("1.0")])
    claimed = await store.claims.claim(W, ["s"], 10, T0, 30)
    on_two = [t for t in claimed if t.version == "2.0"]
    [on_one] = [t for t in claimed if t.version == "1.0"]
    usage = {"cost_usd": 0.5, "total_tokens": 100}
    await store.claims.record(
        [
            Outcome(on_two[0].id, W, 1, OutcomeKind.SUCCEEDED, T0 + 4, result=1, usage=usage),
            Outcome(on_two[1].id, W, 1, OutcomeKind.FAILED, T0 + 1, error="x", retryable=True),
            Outcome(on_one.id, W, 1, OutcomeKind.SUCCEEDED, T0 + 2),
        ]
    )
    two = await store.deployments.stats("s", "2.0", T0)
    assert two == VersionStats(
        samples=2, errors=1, p95_latency_s=4.0, cost_per_task=0.5, tokens_per_task=100.0
    )
    one = await store.deployments.stats("s", "1.0", T0)
    assert (one.samples, one.errors, one.p95_latency_s) == (1, 0, 2.0)
    assert (await store.deployments.stats("s", "2.0", T0 + 10)).samples == 0  # out of window


def test_the_summary_of_nothing_has_no_values() -> None:
    assert summary([], []) == VersionStats()
    over = summary([], ["budget_exceeded", "failed"])
    assert (over.samples, over.errors, over.budget_exceeded) == (2, 2, 1)


def test_cost_and_tokens_are_per_successful_task() -> None:
    rows = [
        SimpleNamespace(started_at=0.0, finished_at=1.0, usage='{"cost_usd": 1.0}'),
        SimpleNamespace(started_at=None, finished_at=1.0, usage=None),
    ]
    stats = summary(rows, [])
    assert (stats.cost_per_task, stats.tokens_per_task, stats.p95_latency_s) == (0.5, 0.0, 1.0)


def test_p95_is_the_nearest_rank() -> None:
    assert p95([]) is None
    assert p95([3.0]) == 3.0
    assert p95([float(i) for i in range(1, 21)]) == 19.0
    assert p95([float(i) for i in range(1, 101)]) == 95.0
