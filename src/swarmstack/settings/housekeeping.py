"""Settings of what runs beside the task path: retention and storage upkeep, and traces.

Part of `settings.models` (which re-exports both groups); `[retention]` and `[tracing]` in
config.toml, `SWARMSTACK_RETENTION__*` and `SWARMSTACK_TRACING__*` in the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from swarmstack.spec.durations import Duration


class RetentionSettings(BaseModel):
    """How long finished tasks, idempotency keys and full event streams are kept; the leader
    prunes what is older in small batches (a swarm's spec `retention:` overrides these)."""

    enabled: bool = Field(True, description="Prune, expire keys and compact events at all.")
    succeeded: Duration = Field(7 * 86400.0, gt=0, description="Keep succeeded tasks this long.")
    failed: Duration = Field(
        30 * 86400.0, gt=0, description="Keep failed tasks (the dead letter) this long."
    )
    other: Duration = Field(
        7 * 86400.0,
        gt=0,
        description="Keep cancelled, timed_out and budget_exceeded tasks this long.",
    )
    idempotency: Duration = Field(
        86400.0, gt=0, description="Honour an Idempotency-Key this long after submit."
    )
    events: Duration = Field(
        3600.0,
        gt=0,
        description="Keep a finished task's step events in full this long, then compact them.",
    )
    batch_size: int = Field(500, ge=1, le=10_000, description="Rows per prune transaction.")
    max_batches: int = Field(8, ge=1, description="Most prune transactions per round.")
    interval: Duration = Field(10.0, gt=0, description="Time between prune rounds.")
    stats_interval: Duration = Field(
        60.0, gt=0, description="Time between refreshes of the store size gauges."
    )
    archive_dir: Path | None = Field(
        None,
        description="Write pruned tasks (attempts, events) as gzip JSON Lines here first.",
    )
    vacuum_pages: int = Field(
        2000, ge=0, description="SQLite pages returned to the OS after each prune round."
    )
    vacuum_rows: int = Field(
        200,
        ge=0,
        description="PostgreSQL: the leader VACUUMs a table once it holds this many dead tuples "
        "(checked every second; 0: leave it to the server's autovacuum).",
    )
    analyze_interval: Duration = Field(
        300.0,
        gt=0,
        description="PostgreSQL: the least time between the leader's ANALYZEs of a store table "
        "(each leaves dead rows in the pg_statistic catalog; only tables modified past "
        "autovacuum's threshold are analysed).",
    )


class TracingSettings(BaseModel):
    """OpenTelemetry spans of each task's life, exported over OTLP (docs/operations.md)."""

    enabled: bool = Field(
        False,
        description="Record spans (submit, queue wait, steps, LLM and tool calls, record) and "
        "export them over OTLP as the standard OTEL_* variables say (default: "
        "http://localhost:4318).",
    )
    service_name: str = Field(
        "swarmstack",
        min_length=1,
        max_length=100,
        description="`service.name` of the spans (OTEL_SERVICE_NAME wins when set).",
    )
