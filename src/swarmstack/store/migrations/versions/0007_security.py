"""security: users, refresh tokens, the audit log, richer API keys, and task owners/tenants

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_KEY_COLUMNS = (
    ("prefix", sa.String(16)),
    ("description", sa.String(500)),
    ("expires_at", sa.Float()),
    ("last_used_at", sa.Float()),
    ("tenant", sa.String(64)),
    ("created_by", sa.String(80)),
    ("rate_limit", sa.Float()),
    ("max_queued", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        for name, type_ in _KEY_COLUMNS:
            batch.add_column(sa.Column(name, type_))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("owner", sa.String(40)))
        batch.add_column(sa.Column("tenant", sa.String(64)))
        batch.alter_column("session", type_=sa.String(250), existing_type=sa.String(200))
    with op.batch_alter_table("session_messages") as batch:
        batch.alter_column(
            "session", type_=sa.String(250), existing_type=sa.String(200), existing_nullable=False
        )
    op.create_index(op.f("ix_tasks_owner_status"), "tasks", ["owner", "status"])
    op.create_index(op.f("ix_tasks_tenant_created_at"), "tasks", ["tenant", "created_at"])
    _create_users()
    _create_refresh_tokens()
    _create_audit_log()


def _create_users() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("tenant", sa.String(64)),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.Float()),
        sa.Column("last_login_at", sa.Float()),
        sa.Column("tokens_after", sa.Float()),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )


def _create_refresh_tokens() -> None:
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("family", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
    )
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"])
    op.create_index(op.f("ix_refresh_tokens_family"), "refresh_tokens", ["family"])


def _create_audit_log() -> None:
    event_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "audit_log",
        sa.Column("id", event_id, autoincrement=True, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("principal", sa.String(120), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("refresh_tokens")
    op.drop_table("users")
    op.drop_index(op.f("ix_tasks_tenant_created_at"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_owner_status"), table_name="tasks")
    with op.batch_alter_table("session_messages") as batch:
        batch.alter_column(
            "session", type_=sa.String(200), existing_type=sa.String(250), existing_nullable=False
        )
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("session", type_=sa.String(200), existing_type=sa.String(250))
        batch.drop_column("tenant")
        batch.drop_column("owner")
    with op.batch_alter_table("api_keys") as batch:
        for name, _type in reversed(_KEY_COLUMNS):
            batch.drop_column(name)
