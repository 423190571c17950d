"""Time series of task activity for the console's overview charts.

One bounded read of the columns that are never sealed (times, status, swarm, usage) for the
tasks active in the window, then bucketed in Python: throughput (outcomes per bucket), error
rate (share of outcomes that are not `succeeded` or `cancelled`), latency percentiles (created
to finished, succeeded tasks), queue depth at each bucket's end, and tokens and cost per swarm.
At most `ROW_CAP` rows are read (the newest); `Series.capped` says when that bound was hit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from swarmstack.core.states import TaskStatus
from swarmstack.store.codec import loads
from swarmstack.store.engine import Database
from swarmstack.store.tables import tasks

ROW_CAP = 100_000
_LIVE = (TaskStatus.QUEUED.value, TaskStatus.RUNNING.value)
_NOT_ERRORS = {TaskStatus.SUCCEEDED.value, TaskStatus.CANCELLED.value}


@dataclass(slots=True)
class Series:
    """Bucket start times (epoch seconds) and one value per bucket for each series."""

    times: list[float]
    throughput: list[int]
    error_rate: list[float | None]
    p50: list[float | None]
    p95: list[float | None]
    p99: list[float | None]
    queue_depth: list[int]
    tokens: dict[str, list[int]] = field(default_factory=dict)
    cost: dict[str, list[float]] = field(default_factory=dict)
    capped: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "times": self.times,
            "throughput": self.throughput,
            "error_rate": self.error_rate,
            "p50": self.p50,
            "p95": self.p95,
            "p99": self.p99,
            "queue_depth": self.queue_depth,
            "tokens": self.tokens,
            "cost": self.cost,
            "capped": self.capped,
        }


def percentile(sorted_values: list[float], q: float) -> float | None:
    """The nearest-rank `q` percentile (0 < q <= 1) of ascending values; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


async def task_series(
    db: Database, since: float, until: float, buckets: int = 30, tenant: str | None = None
) -> Series:
    """Activity from `since` to `until` in `buckets` equal buckets (of one tenant if given)."""
    c = tasks.c
    query = (
        select(c.created_at, c.started_at, c.finished_at, c.status, c.swarm, c.usage)
        .where(
            c.created_at < until,
            or_(c.created_at >= since, c.finished_at >= since, c.status.in_(_LIVE)),
        )
        .order_by(c.created_at.desc())
        .limit(ROW_CAP + 1)
    )
    if tenant:
        query = query.where(c.tenant == tenant)
    async with db.read() as conn:
        rows = [tuple(r) for r in await conn.execute(query)]
    capped = len(rows) > ROW_CAP
    return bucketed(rows[:ROW_CAP], since, until, buckets, capped)


def bucketed(
    rows: list[tuple[Any, ...]], since: float, until: float, buckets: int, capped: bool = False
) -> Series:
    """The series of (created_at, started_at, finished_at, status, swarm, usage) rows."""
    width = (until - since) / buckets
    times = [since + i * width for i in range(buckets)]
    done = [0] * buckets
    errors = [0] * buckets
    latencies: list[list[float]] = [[] for _ in range(buckets)]
    tokens: dict[str, list[int]] = {}
    cost: dict[str, list[float]] = {}
    depth = [0] * buckets
    for created, started, finished, status, swarm, usage in rows:
        for i, start in enumerate(times):
            end = start + width
            waiting = started is None or started > end
            if created <= end and waiting and (finished is None or finished > end):
                depth[i] += 1
        if finished is None or not since <= finished < until:
            continue
        i = min(int((finished - since) / width), buckets - 1)
        done[i] += 1
        if status not in _NOT_ERRORS:
            errors[i] += 1
        if status == TaskStatus.SUCCEEDED.value:
            latencies[i].append(finished - created)
        spent = loads(usage) if usage else None
        if isinstance(spent, dict):
            tokens.setdefault(swarm, [0] * buckets)[i] += int(spent.get("total_tokens") or 0)
            cost.setdefault(swarm, [0.0] * buckets)[i] += float(spent.get("cost_usd") or 0.0)
    for values in latencies:
        values.sort()
    return Series(
        times=times,
        throughput=done,
        error_rate=[errors[i] / done[i] if done[i] else None for i in range(buckets)],
        p50=[percentile(v, 0.50) for v in latencies],
        p95=[percentile(v, 0.95) for v in latencies],
        p99=[percentile(v, 0.99) for v in latencies],
        queue_depth=depth,
        tokens=tokens,
        cost={k: [round(x, 8) for x in v] for k, v in cost.items()},
        capped=capped,
    )
