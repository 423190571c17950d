"""deployments, rollouts, rollout_history and task_attempts.version: versions and traffic

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("swarm", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("code_version", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint("swarm", "version", name=op.f("uq_deployments_swarm_version")),
        sa.UniqueConstraint(
            "swarm", "content_hash", name=op.f("uq_deployments_swarm_content_hash")
        ),
    )
    op.create_table(
        "rollouts",
        sa.Column("swarm", sa.String(length=64), nullable=False),
        sa.Column("stable", sa.String(length=64), nullable=False),
        sa.Column("candidate", sa.String(length=64), nullable=True),
        sa.Column("weight", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("swarm", name=op.f("pk_rollouts")),
    )
    op.create_table(
        "rollout_history",
        sa.Column("id", EVENT_ID, autoincrement=True, nullable=False),
        sa.Column("swarm", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("previous", sa.String(length=64), nullable=True),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_history")),
    )
    op.create_index(op.f("ix_rollout_history_swarm"), "rollout_history", ["swarm"], unique=False)
    with op.batch_alter_table("task_attempts") as batch:
        batch.add_column(sa.Column("version", sa.String(length=64), nullable=True))
    with op.batch_alter_table("workers") as batch:
        batch.add_column(sa.Column("versions", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("versions")
    with op.batch_alter_table("task_attempts") as batch:
        batch.drop_column("version")
    op.drop_index(op.f("ix_rollout_history_swarm"), table_name="rollout_history")
    op.drop_table("rollout_history")
    op.drop_table("rollouts")
    op.drop_table("deployments")
