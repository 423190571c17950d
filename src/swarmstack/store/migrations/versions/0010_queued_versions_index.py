"""ix_tasks_queued_versions: which versions have queued tasks, without reading the backlog

Workers (every `worker.version_refresh`, 1 s) and the leader ask which (swarm, version) pairs
have queued tasks. That was a DISTINCT over every queued task of the swarms, 75 ms with 130,000
queued on SQLite and growing with the backlog. This partial index holds only queued, versioned
tasks, and `store.tasks.queued_versions` walks it by a skip scan: one index probe per version.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WHERE = sa.text("status = 'queued' AND version IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_tasks_queued_versions",
        "tasks",
        ["swarm", "version"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_queued_versions", table_name="tasks")
