"""Connections to the store: SQLite (embedded default) or PostgreSQL, with one API.

`Database.write()` yields a connection in a write transaction (BEGIN IMMEDIATE on SQLite, so
concurrent writers queue on the lock instead of failing half-way); `Database.read()` yields one
for reads. Connection faults become `StoreUnavailable` (HTTP 503, retryable).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from swarmstack.errors import SettingsError, StoreUnavailable

_SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",  # first: the WAL switch below may itself wait on a lock
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)


class Database:
    """The store's engines and transaction helpers."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = _check_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        if self.is_sqlite:
            _ensure_parent(self.url)
            self.writer = _sqlite_engine(self.url, immediate=True)
            self.reader = _sqlite_engine(self.url, immediate=False)
        else:
            self.writer = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
            )
            self.reader = self.writer

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside a write transaction, committed on success."""
        try:
            async with self.writer.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except (OperationalError, DBAPIError, PoolTimeout, OSError) as exc:
            raise _unavailable(exc) from exc

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads."""
        try:
            async with self.reader.connect() as conn:
                yield conn
        except (OperationalError, DBAPIError, PoolTimeout, OSError) as exc:
            raise _unavailable(exc) from exc

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def _check_url(url: str) -> str:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise SettingsError(
            f"store URL {url!r} is not a valid database URL",
            fix="use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user:pass@host/db",
        ) from exc
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite").render_as_string(False))
    if backend == "postgresql":
        return str(parsed.set(drivername="postgresql+asyncpg").render_as_string(False))
    raise SettingsError(
        f"store backend {backend}+{driver} is not supported",
        fix="use SQLite (embedded default) or PostgreSQL",
    )


def _ensure_parent(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    engine = create_async_engine(
        url, pool_size=1 if immediate else 4, max_overflow=0, connect_args={"timeout": 30}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _unavailable(exc: Exception) -> StoreUnavailable:
    detail = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
    return StoreUnavailable(f"the task store is unavailable: {detail}", delay_s=2.0)
