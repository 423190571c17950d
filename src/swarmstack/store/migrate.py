"""Bring a store's schema to the newest Alembic revision (called at every start).

Concurrent starts are safe: on SQLite the migration runs inside an IMMEDIATE transaction; on
PostgreSQL under a transaction-scoped advisory lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from swarmstack.store.engine import Database

_LOCK_ID = 0x5357524D  # "SWRM"


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


async def migrate(db: Database, revision: str = "head") -> None:
    """Upgrade the schema to `revision`."""
    async with db.write() as conn:
        if not db.is_sqlite:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        await conn.run_sync(_upgrade, revision)


def _upgrade(sync_conn: Any, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = sync_conn
    command.upgrade(config, revision)
