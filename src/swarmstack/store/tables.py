"""The schema, defined once. Alembic migrations must produce exactly this (a test checks).

Times are seconds since the epoch (floats) so SQLite and PostgreSQL compare them the same way.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite so ids autoincrement on both.
EventId = BigInteger().with_variant(Integer(), "sqlite")

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("swarm", String(64), nullable=False),
    Column("version", String(64)),
    Column("status", String(20), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("input", Text, nullable=False),
    Column("result", Text),
    Column("error", Text),
    Column("trace", Text),
    Column("usage", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),
    Column("timeout_s", Float, nullable=False),
    Column("idempotency_key", String(300), unique=True),
    Column("request_hash", String(64)),
    Column("session", String(250)),  # scoped: "<tenant or owner>:<the client's session>"
    Column("submitted_by", String(80), nullable=False),
    Column("owner", String(40)),  # the submitting principal's id (object-level authorisation)
    Column("tenant", String(64)),  # the submitting principal's tenant, if any
    Column("traceparent", String(55)),  # W3C trace context of the submit (when tracing is on)
    Column("lease_owner", String(80)),
    Column("lease_expires_at", Float),
    Column("run_at", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    # Set once a finished task's step events are folded into one summary (core.retention).
    Column("events_compacted", Boolean, nullable=False, default=False, server_default=false()),
    Index(None, "status", "finished_at"),  # prune: finished tasks older than their window
    Index(None, "events_compacted", "finished_at"),  # compaction: the oldest not yet done
    Index(None, "lease_expires_at"),
    Index(None, "lease_owner"),
    Index(None, "created_at"),
    Index(None, "session"),
    Index(None, "owner", "status"),  # a principal's tasks, and its cap on queued ones
    Index(None, "tenant", "created_at"),
)

# The claim's order (priority DESC, run_at, id) read straight off the index, so a claim costs its
# batch, not the backlog: with `priority` ascending the database sorted every queued row of the
# swarm on each claim (migration 0009).
Index(
    "ix_tasks_claim",
    tasks.c.status,
    tasks.c.swarm,
    tasks.c.priority.desc(),
    tasks.c.run_at,
    tasks.c.id,
)

# Which versions have queued tasks, read in O(versions) by a skip scan (store.tasks
# `queued_versions`): only queued, versioned tasks are in it (migration 0010).
_QUEUED_VERSIONED = text("status = 'queued' AND version IS NOT NULL")
Index(
    "ix_tasks_queued_versions",
    tasks.c.swarm,
    tasks.c.version,
    sqlite_where=_QUEUED_VERSIONED,
    postgresql_where=_QUEUED_VERSIONED,
)

task_attempts = Table(
    "task_attempts",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("task_id", String(40), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("version", String(64)),  # the version it ran on (rollout analysis counts it)
    Column("worker", String(80)),
    Column("status", String(20), nullable=False),
    Column("error", Text),
    Column("started_at", Float),
    Column("finished_at", Float, nullable=False),
)

task_events = Table(
    "task_events",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("task_id", String(40), nullable=False, index=True),
    Column("type", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

session_messages = Table(
    "session_messages",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("session", String(250), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("prefix", String(16)),  # the first characters of the key, to recognise it in lists
    Column("description", String(500)),
    Column("expires_at", Float),
    Column("last_used_at", Float),
    Column("tenant", String(64)),
    Column("created_by", String(80)),
    Column("rate_limit", Float),  # requests per second; NULL: the role's limit
    Column("max_queued", Integer),  # queued tasks at once; NULL: the role's cap
)

# --- principals who sign in, their refresh tokens, and the audit log -----------------------
users = Table(
    "users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("tenant", String(64)),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", Float),
    Column("last_login_at", Float),
    Column("tokens_after", Float),  # access tokens issued before this (a password change) fail
    Column("created_at", Float, nullable=False),
    Column("created_by", String(80), nullable=False),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", String(40), primary_key=True),  # the token's `jti`
    Column("user_id", String(40), nullable=False, index=True),
    Column("family", String(40), nullable=False, index=True),  # one sign-in and its refreshes
    Column("expires_at", Float, nullable=False),
    Column("used", Boolean, nullable=False, default=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("principal", String(120), nullable=False),
    Column("action", String(60), nullable=False),
    Column("target", String(300), nullable=False),
    Column("source", String(64), nullable=False),
    Column("result", String(20), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "at"),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("swarms", Text, nullable=False),
    Column("in_flight", Integer, nullable=False, default=0),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
    Column("versions", Text),  # JSON list of swarm@version the worker can run
)

managers = Table(
    "managers",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
)

leader_leases = Table(
    "leader_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("owner", String(80), nullable=False),
    Column("expires_at", Float, nullable=False),
)

# --- deployments: immutable versions of swarms, and where each swarm's traffic goes ---------
deployments = Table(
    "deployments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("swarm", String(64), nullable=False),
    Column("version", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("spec", Text, nullable=False),
    Column("code_version", String(100)),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("message", Text, nullable=False),
    UniqueConstraint("swarm", "version"),
    UniqueConstraint("swarm", "content_hash"),
)

rollouts = Table(
    "rollouts",
    metadata,
    Column("swarm", String(64), primary_key=True),
    Column("stable", String(64), nullable=False),
    Column("candidate", String(64)),
    Column("weight", SmallInteger, nullable=False),
    Column("state", Text, nullable=False),
    Column("plan", Text),  # a deploy's strategy override for its candidate, as JSON
    Column("generation", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
)

rollout_history = Table(
    "rollout_history",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("swarm", String(64), nullable=False, index=True),
    Column("action", String(40), nullable=False),
    Column("version", String(64)),
    Column("previous", String(64)),
    Column("by", String(80), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
