"""The loadtest's arithmetic, on plain numbers."""

from __future__ import annotations

import itertools
import math

import httpx
import pytest

from swarmstack.client.load_stats import (
    Bucket,
    bucket_edges,
    error_kind,
    error_rate,
    gate_passes,
    histogram,
    percentile,
    schedule,
    summarize,
)

TEN = [float(i) for i in range(1, 11)]  # 1..10


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0.01, 1.0), (0.1, 1.0), (0.11, 2.0), (0.5, 5.0), (0.9, 9.0), (0.91, 10.0), (0.99, 10.0)],
)
def test_percentile_is_the_nearest_rank(q: float, expected: float) -> None:
    assert percentile(TEN, q) == expected


def test_percentile_of_one_value_is_that_value() -> None:
    assert [percentile([7.0], q) for q in (0.001, 0.5, 1.0)] == [7.0, 7.0, 7.0]


def test_percentile_never_interpolates() -> None:
    values = sorted([0.1, 0.2, 0.3, 5.0])
    assert {percentile(values, q / 100) for q in range(1, 101)} <= set(values)


@pytest.mark.parametrize("q", [0.0, -0.5, 1.01, math.nan])
def test_percentile_refuses_a_quantile_outside_0_1(q: float) -> None:
    with pytest.raises(ValueError, match="quantile"):
        percentile(TEN, q)


def test_percentile_refuses_an_empty_sample() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentile([], 0.5)


def test_summary_of_a_sample_and_of_nothing() -> None:
    found = summarize(reversed(TEN))
    assert (found.count, found.p50, found.p90, found.p99, found.max) == (10, 5.0, 9.0, 10.0, 10.0)
    assert found.mean == 5.5
    assert found.as_dict()["p99_ms"] == 10000.0
    assert summarize([]).as_dict() == {
        "count": 0,
        "p50_ms": 0.0,
        "p90_ms": 0.0,
        "p99_ms": 0.0,
        "max_ms": 0.0,
        "mean_ms": 0.0,
    }


def test_bucket_edges_are_log_spaced_per_decade() -> None:
    edges = bucket_edges(0.001, 0.01, per_decade=5)
    assert len(edges) == 6
    assert edges[-1] == pytest.approx(0.01)
    ratios = {round(b / a, 9) for a, b in itertools.pairwise(edges)}
    assert ratios == {round(10 ** (1 / 5), 9)}


@pytest.mark.parametrize(("low", "per_decade"), [(0.0, 5), (-1.0, 5), (0.001, 0)])
def test_bucket_edges_refuse_bad_arguments(low: float, per_decade: int) -> None:
    with pytest.raises(ValueError, match="edges"):
        bucket_edges(low, 1.0, per_decade)


def test_histogram_counts_every_value_once_in_its_bucket() -> None:
    values = [0.0012, 0.0013, 0.004, 0.05, 0.05, 0.9]
    buckets = histogram(values)
    assert sum(b.count for b in buckets) == len(values)
    for value in values:
        assert sum(b.low <= value < b.high for b in buckets) == 1
    assert buckets[0].count and buckets[-1].count  # trimmed to the counted range
    assert any(b.count == 0 for b in buckets)  # gaps inside the range stay


def test_histogram_of_equal_values_and_of_nothing() -> None:
    (only,) = [b for b in histogram([0.02] * 5) if b.count]
    assert only.count == 5 and only.low <= 0.02 < only.high
    assert histogram([]) == []
    assert histogram([0.0]) == [Bucket(1e-6, pytest.approx(1e-6 * 10**0.2), 1)]


def test_schedule_by_count_and_by_duration() -> None:
    assert schedule(4, count=5) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert schedule(4, duration_s=1.0) == [0.0, 0.25, 0.5, 0.75]
    assert len(schedule(1000, duration_s=2.5)) == 2500
    assert schedule(3, count=0) == []


@pytest.mark.parametrize(
    ("rate", "count", "duration"),
    [(0, 5, None), (-1, 5, None), (math.inf, 5, None), (1, None, None), (1, 5, 1.0)],
)
def test_schedule_refuses_bad_arguments(
    rate: float, count: int | None, duration: float | None
) -> None:
    with pytest.raises(ValueError, match=r"rate|exactly one"):
        schedule(rate, count, duration)


def test_error_rate_and_the_gate() -> None:
    assert error_rate(0, 0) == 0.0
    assert error_rate(1, 4) == 0.25
    assert gate_passes(0, 100, 0.0)
    assert not gate_passes(1, 100, 0.0)
    assert gate_passes(1, 100, 0.01)
    assert not gate_passes(2, 100, 0.01)


def test_error_kinds() -> None:
    assert error_kind(status=503) == "http 503"
    assert error_kind(exception=httpx.ReadTimeout("slow")) == "timeout"
    assert error_kind(exception=httpx.PoolTimeout("slow")) == "timeout"
    assert error_kind(exception=httpx.ConnectError("refused")) == "connection"
    assert error_kind(exception=ConnectionResetError()) == "connection"
