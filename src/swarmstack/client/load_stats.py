"""The pure arithmetic of `swarmstack loadtest`: arrival schedules, percentiles, histogram
buckets and the error-rate gate. No I/O and no clock: `client.load` measures, this module only
computes, so every rule here is tested exhaustively with plain numbers.

Units: seconds for every time and latency, requests per second for rates.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

QUANTILES = (0.5, 0.9, 0.99)


@dataclass(frozen=True)
class Summary:
    """Latency figures of one kind of request (seconds); `count` 0 leaves the others 0."""

    count: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float

    def as_dict(self) -> dict[str, float | int]:
        """The figures as JSON numbers, latencies in milliseconds (`*_ms`)."""
        found: dict[str, float | int] = {"count": self.count}
        for name in ("p50", "p90", "p99", "max", "mean"):
            found[f"{name}_ms"] = round(getattr(self, name) * 1000, 3)
        return found


@dataclass(frozen=True)
class Bucket:
    """A histogram bucket: latencies in [`low`, `high`) seconds, `count` of them."""

    low: float
    high: float
    count: int


def percentile(ordered: Sequence[float], q: float) -> float:
    """The `q`-quantile (0 < q <= 1) of `ordered` (ascending) by the nearest-rank method: the
    smallest value with at least a fraction `q` of the sample at or below it, i.e. element
    ceil(q * n) counting from 1 (Hyndman & Fan 1996, definition 1; the usual load-testing
    definition, which never interpolates a latency nobody saw).

    Raises ValueError for an empty sample or q outside (0, 1].
    """
    if not ordered:
        raise ValueError("percentile of an empty sample")
    if not 0 < q <= 1:
        raise ValueError(f"quantile must be in (0, 1], got {q}")
    rank = math.ceil(q * len(ordered) - 1e-9)  # 1e-9: 0.9 * 10 is 9.000000000000002
    return ordered[max(rank, 1) - 1]


def summarize(latencies: Iterable[float]) -> Summary:
    """Count, p50/p90/p99 (nearest rank), max and mean of `latencies` in seconds."""
    ordered = sorted(latencies)
    if not ordered:
        return Summary(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    p50, p90, p99 = (percentile(ordered, q) for q in QUANTILES)
    return Summary(len(ordered), p50, p90, p99, ordered[-1], math.fsum(ordered) / len(ordered))


def bucket_edges(low_s: float, high_s: float, per_decade: int = 5) -> list[float]:
    """Log-spaced edges from `low_s` up to the first edge >= `high_s`: `per_decade` buckets per
    factor of ten (5: 1, 1.58, 2.51, 3.98, 6.31, 10 ...), so 1 ms and 10 s both resolve.

    Raises ValueError unless 0 < low_s and per_decade >= 1.
    """
    if low_s <= 0 or per_decade < 1:
        raise ValueError("edges need low_s > 0 and per_decade >= 1")
    edges = [low_s]
    step = 10 ** (1 / per_decade)
    while edges[-1] < high_s:
        edges.append(edges[-1] * step)
    return edges


def histogram(latencies: Sequence[float], per_decade: int = 5) -> list[Bucket]:
    """`latencies` (seconds) counted in log-spaced buckets from the decade below the smallest
    to past the largest; empty buckets inside the range are kept (a gap is information)."""
    if not latencies:
        return []
    smallest = max(min(latencies), 1e-6)
    low = 10 ** math.floor(math.log10(smallest))
    edges = bucket_edges(low, max(latencies) * (1 + 1e-9), per_decade)
    if len(edges) == 1:
        edges.append(edges[0] * 10 ** (1 / per_decade))
    counts = Counter(_bucket_of(edges, value) for value in latencies)
    buckets = [Bucket(a, b, counts.get(i, 0)) for i, (a, b) in enumerate(pairwise(edges))]
    return _trimmed(buckets)


def _bucket_of(edges: Sequence[float], value: float) -> int:
    for i in range(len(edges) - 1):
        if value < edges[i + 1]:
            return i
    return len(edges) - 2


def _trimmed(buckets: list[Bucket]) -> list[Bucket]:
    """Without the empty buckets before the first and after the last counted one."""
    counted = [i for i, b in enumerate(buckets) if b.count]
    return buckets[counted[0] : counted[-1] + 1] if counted else []


def schedule(rate: float, count: int | None = None, duration_s: float | None = None) -> list[float]:
    """Open-loop arrivals: the intended send times (seconds from the start) of a steady `rate`
    per second, `i / rate` for request i; `count` requests, or as many as fit in `duration_s`
    (arrivals at t < duration_s). Latency is measured from these times, not from when a request
    actually left, so a server that falls behind cannot hide its queue in the client
    (coordinated omission, as Gil Tene named it).

    Raises ValueError for a rate <= 0, or unless exactly one of count and duration_s is given.
    """
    if rate <= 0 or not math.isfinite(rate):
        raise ValueError(f"rate must be a positive number of requests per second, got {rate}")
    if (count is None) == (duration_s is None):
        raise ValueError("give exactly one of count and duration_s")
    total = count if count is not None else math.ceil((duration_s or 0) * rate - 1e-9)
    return [i / rate for i in range(max(total, 0))]


def error_rate(errors: int, total: int) -> float:
    """Errors as a fraction of requests (0.0 when nothing was sent)."""
    return errors / total if total else 0.0


def gate_passes(errors: int, total: int, max_error_rate: float) -> bool:
    """Whether the run is within `max_error_rate` (a fraction: 0 allows no error at all)."""
    return error_rate(errors, total) <= max_error_rate


def error_kind(status: int | None = None, exception: BaseException | None = None) -> str:
    """The kind an error is counted under: `http <status>`, `timeout` or `connection`
    (`exception` an httpx-style exception whose class name says which)."""
    if status is not None:
        return f"http {status}"
    name = type(exception).__name__.lower() if exception is not None else ""
    return "timeout" if "timeout" in name else "connection"
