"""ix_tasks_claim: the claim's order read straight off an index

The claim picks `ORDER BY priority DESC, run_at, id LIMIT n` among a swarm's queued tasks. The
index it had, (status, swarm, priority, run_at), is ascending in `priority`, so neither SQLite
nor PostgreSQL could read that order off it: each claim sorted every queued row of the swarm,
and a claim of 100 tasks took 20-30 ms with 21,000 queued on SQLite (docs/benchmarks.md). The
new index is in the claim's own order, `id` included, so a claim reads only its batch.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_tasks_status_swarm_priority_run_at", table_name="tasks")
    op.create_index(
        "ix_tasks_claim",
        "tasks",
        ["status", "swarm", sa.text("priority DESC"), "run_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_claim", table_name="tasks")
    op.create_index(
        "ix_tasks_status_swarm_priority_run_at", "tasks", ["status", "swarm", "priority", "run_at"]
    )
