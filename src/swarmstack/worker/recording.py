"""Metrics for recorded outcomes."""

from __future__ import annotations

from collections.abc import Sequence

from swarmstack.core.states import TaskStatus
from swarmstack.metrics import Metrics
from swarmstack.store import Applied


def observe(applied: Sequence[Applied], metrics: Metrics) -> None:
    """Count outcomes and retries and observe latencies of applied outcomes."""
    for done in applied:
        outcome, version = done.outcome, done.version or "default"
        if done.status is TaskStatus.QUEUED:
            metrics.retries.labels(done.swarm).inc()
            continue
        metrics.tasks_finished.labels(done.swarm, version, done.status.value).inc()
        metrics.task_latency.labels(done.swarm, version).observe(
            max(0.0, outcome.finished_at - done.created_at)
        )
        if outcome.started_at is not None:
            metrics.task_duration.labels(done.swarm, version, done.status.value).observe(
                max(0.0, outcome.finished_at - outcome.started_at)
            )
        for step in outcome.trace or []:
            metrics.step_duration.labels(done.swarm, step["agent"]).observe(
                step["duration_ms"] / 1000
            )
            if "error" in step:
                metrics.step_errors.labels(done.swarm, step["agent"]).inc()
