"""A consistent view of a running store, for `store.backup` to read its tables from.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database file into a
temporary file in one step, under a read transaction: in WAL mode writers go on meanwhile and
the copy is the database as of one moment. The tables are then read from the copy at leisure.
PostgreSQL: one `REPEATABLE READ READ ONLY` transaction, whose reads all see the database as of
its first query (the guarantee `pg_dump` relies on); writers go on meanwhile.
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.store.engine import Database, translate


@asynccontextmanager
async def snapshot(db: Database, scratch: Path) -> AsyncIterator[AsyncConnection]:
    """A connection whose reads all see `db` as of one moment; SQLite copies the file into
    `scratch` (a folder) first. Raises StoreUnavailable when the store cannot be read."""
    if db.is_sqlite:
        copy = scratch / "snapshot.db"
        await asyncio.to_thread(sqlite_copy, make_url(db.url).database or "", copy)
        frozen = Database(f"sqlite+aiosqlite:///{copy}")
        try:
            async with frozen.read() as conn:
                yield conn
        finally:
            await frozen.dispose()
            for path in (copy, *(copy.with_name(copy.name + e) for e in ("-wal", "-shm"))):
                path.unlink(missing_ok=True)
        return
    async with db.read() as conn:
        readonly = await conn.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        async with readonly.begin():
            yield readonly


# SQLite result codes of a failed write: the source is opened read-only, so these are about the
# copy at `target` (a full disk, a file size limit), not the store (sqlite.org/rescode.html).
_WRITE_FAULTS = frozenset(
    {"SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_TRUNCATE"}
)


def sqlite_copy(source: str, target: Path) -> None:
    """Copy the SQLite database at `source` to `target` with the online backup API. Raises
    StoreUnavailable when the store cannot be read, OSError when `target` cannot be written."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", None) in _WRITE_FAULTS:
            raise OSError(errno.ENOSPC, f"{exc} (writing {target})") from exc
        raise translate(exc) from exc
