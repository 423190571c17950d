"""Bucketing task rows into the overview's series."""

from __future__ import annotations

from swarmstack.store.task_series import bucketed, percentile


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50 and percentile(values, 0.99) == 99
    assert percentile([], 0.5) is None


def test_outcomes_errors_latency_depth_and_spend_per_bucket() -> None:
    usage = '{"total_tokens": 30, "cost_usd": 0.5}'
    rows = [
        (0.0, 1.0, 2.0, "succeeded", "a", usage),  # bucket 0, 2 s
        (0.0, 11.0, 14.0, "failed", "b", None),  # waited through bucket 0, finished in 1
        (15.0, None, None, "queued", "a", None),  # still queued at the end of bucket 1
    ]
    s = bucketed(rows, 0.0, 20.0, 2)
    assert s.times == [0.0, 10.0] and s.throughput == [1, 1]
    assert s.error_rate == [0.0, 1.0] and s.p50 == [2.0, None]
    assert s.queue_depth == [1, 1]
    assert s.tokens == {"a": [30, 0]} and s.cost == {"a": [0.5, 0.0]}
