"""Bring a store's schema to the newest Alembic revision (called at every start).

Concurrent starts are safe: on SQLite the migration runs inside an IMMEDIATE transaction; on
PostgreSQL under a transaction-scoped advisory lock.

SQLite files are switched to `auto_vacuum=INCREMENTAL` first, so the pages retention frees can be
returned to the OS (`PRAGMA incremental_vacuum`). An existing file needs one full VACUUM for the
switch (it rewrites the file: seconds per GB, and it waits for other connections' writes); new
files switch instantly. See https://www.sqlite.org/pragma.html#pragma_auto_vacuum.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.store.engine import Database

_LOCK_ID = 0x5357524D  # "SWRM"
_INCREMENTAL = 2  # PRAGMA auto_vacuum: 0 none, 1 full, 2 incremental
log = logging.getLogger(__name__)


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


async def migrate(db: Database, revision: str = "head") -> None:
    """Upgrade the schema to `revision`."""
    if db.is_sqlite:
        await asyncio.to_thread(incremental_vacuum_mode, make_url(db.url).database or "")
    async with db.write() as conn:
        if not db.is_sqlite:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        await conn.run_sync(_upgrade, revision)


async def upgrade_on(conn: AsyncConnection, revision: str) -> None:
    """Upgrade the schema to `revision` inside the caller's write transaction on `conn` (on
    PostgreSQL under the advisory lock `migrate` takes), so it commits or rolls back with the
    caller's other work. A new SQLite file needs `incremental_vacuum_mode` first."""
    if conn.dialect.name != "sqlite":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    await conn.run_sync(_upgrade, revision)


def _upgrade(sync_conn: Any, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = sync_conn
    command.upgrade(config, revision)


def incremental_vacuum_mode(path: str) -> bool:
    """Switch the SQLite file at `path` to auto_vacuum=INCREMENTAL; whether it had to."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return False
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] == _INCREMENTAL:
            return False
        conn.execute(f"PRAGMA auto_vacuum={_INCREMENTAL}")
        if conn.execute("SELECT COUNT(*) FROM sqlite_schema").fetchone()[0]:
            log.warning("switching %s to incremental auto-vacuum: one VACUUM, once", path)
        conn.execute("VACUUM")
        return True
    finally:
        conn.close()
