"""What one version of a swarm did in a rollout analysis window, measured from the store.

Called by `deployments.DeploymentStore.stats`, which the leader's rollout controller reads for
the candidate and for stable over the same window.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.rollout_types import VersionStats
from swarmstack.core.states import TaskStatus
from swarmstack.store.tables import task_attempts, tasks

STATS_ROWS = 20_000  # rows read of each kind (successes, failed attempts) per measurement


async def version_stats(
    conn: AsyncConnection, swarm: str, version: str, since: float
) -> VersionStats:
    """What `version` of `swarm` did since `since`: successes are tasks it finished
    (`finished_at` on the worker's clock), errors are its failed attempts (failed, timed
    out, over budget, lease lost), so a candidate failure re-run on stable still counts
    against the candidate. Latency is the run time of successful attempts; cost and tokens
    are per successful task. Reads at most STATS_ROWS rows of each kind."""
    done = (
        await conn.execute(
            select(tasks.c.started_at, tasks.c.finished_at, tasks.c.usage)
            .where(
                tasks.c.swarm == swarm,
                tasks.c.version == version,
                tasks.c.status == TaskStatus.SUCCEEDED.value,
                tasks.c.finished_at >= since,
            )
            .limit(STATS_ROWS)
        )
    ).all()
    failed = (
        await conn.execute(
            select(task_attempts.c.status)
            .join(tasks, tasks.c.id == task_attempts.c.task_id)
            .where(
                tasks.c.swarm == swarm,
                task_attempts.c.version == version,
                task_attempts.c.finished_at >= since,
            )
            .limit(STATS_ROWS)
        )
    ).all()
    return summary(done, [str(r.status) for r in failed])


def summary(done: Sequence[Any], failures: Sequence[str]) -> VersionStats:
    """The stats of successful task rows `done` (started_at, finished_at, usage) and the
    statuses of failed attempts `failures`."""
    durations = sorted(
        max(0.0, r.finished_at - r.started_at) for r in done if r.started_at is not None
    )
    usages = [json.loads(r.usage) for r in done if r.usage]
    costs = [float(u.get("cost_usd") or 0.0) for u in usages]
    tokens = [float(u.get("total_tokens") or 0) for u in usages]
    return VersionStats(
        samples=len(done) + len(failures),
        errors=len(failures),
        budget_exceeded=sum(1 for s in failures if s == "budget_exceeded"),
        p95_latency_s=p95(durations),
        cost_per_task=sum(costs) / len(done) if done else None,
        tokens_per_task=sum(tokens) / len(done) if done else None,
    )


def p95(sorted_values: Sequence[float]) -> float | None:
    """The 95th percentile by the nearest-rank method (Hyndman & Fan definition 1)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(0.95 * len(sorted_values)))
    return sorted_values[rank - 1]
