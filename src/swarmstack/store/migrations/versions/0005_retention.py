"""retention: indexes for the prune and compaction paths, the compaction mark, and
autovacuum settings that keep dead tuples of the busy tables low on PostgreSQL

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Vacuum the busy tables after 2 % of their rows changed (PostgreSQL's default waits for 20 %,
# which on a queue table of millions of rows lets dead tuples pile up between runs), and do not
# throttle their autovacuum with cost-based delays. See docs/architecture.md, "Storage".
_AUTOVACUUM = (
    "autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000, "
    "autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, "
    "autovacuum_vacuum_cost_delay = 0"
)
_BUSY = ("tasks", "task_events", "task_attempts")


def upgrade() -> None:
    op.add_column(
        "tasks",
        sa.Column("events_compacted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(op.f("ix_tasks_status_finished_at"), "tasks", ["status", "finished_at"])
    op.create_index(
        op.f("ix_tasks_events_compacted_finished_at"), "tasks", ["events_compacted", "finished_at"]
    )
    if op.get_context().dialect.name == "postgresql":
        for table in _BUSY:
            op.execute(f"ALTER TABLE {table} SET ({_AUTOVACUUM})")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        names = ", ".join(part.split("=")[0].strip() for part in _AUTOVACUUM.split(","))
        for table in _BUSY:
            op.execute(f"ALTER TABLE {table} RESET ({names})")
    op.drop_index(op.f("ix_tasks_events_compacted_finished_at"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_status_finished_at"), table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("events_compacted")
