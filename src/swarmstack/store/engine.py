"""Connections to the store: SQLite (embedded default) or PostgreSQL, with one API.

`Database.write()` yields a connection in a write transaction (BEGIN IMMEDIATE on SQLite, so
concurrent writers queue on the lock instead of failing half-way); `Database.read()` yields one
for reads. Faults are translated by `translate()`: only connectivity and transient faults
(connection lost, server shutting down, too many connections, lock timeouts, serialization
failures) become `StoreUnavailable` (HTTP 503, retryable); a value the database refuses (bad
bytes, too long, out of range) is `StoreRejected`, and a unique-key clash is `StoreConflict`,
both permanent, so callers can isolate the one bad row instead of retrying an outage forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from swarmstack.errors import (
    SettingsError,
    StoreConflict,
    StoreRefused,
    StoreRejected,
    StoreUnavailable,
    SwarmstackError,
)
from swarmstack.store.clock import db_now
from swarmstack.store.pool_ping import IdlePing
from swarmstack.store.sqlite_driver import one_trip_dbapi
from swarmstack.store.write_lock import FileWriteLock

# PostgreSQL SQLSTATE classes that mean "the server or the link is not usable right now":
# 08 connection exception, 25 invalid transaction state (e.g. a read-only standby after a
# failover), 40 transaction rollback (serialization failure, deadlock), 53 insufficient
# resources, 55 lock not available, 57 operator intervention (shutdown), 58 system error.
# Source: PostgreSQL manual, Appendix A "PostgreSQL Error Codes".
_PG_UNAVAILABLE_CLASSES = frozenset({"08", "25", "40", "53", "55", "57", "58"})
# The server answered but refused us: 28 invalid authorization (wrong password, unknown role,
# pg_hba.conf), 3D000 no such database. A settings fault, not a data fault.
_PG_REFUSED_CLASSES = frozenset({"28"})
_PG_REFUSED = frozenset({"3D000"})
_STORE_URL = "the store URL (SWARMSTACK_STORE__URL, DATABASE_URL or [store] url)"
_REFUSED_FIX = (
    f"fix the user, password or database name in {_STORE_URL}; create a missing database "
    "with `createdb NAME`"
)
# Nothing listens at the host and port, or the host name does not resolve.
_UNREACHABLE = (ConnectionRefusedError, socket.gaierror)
_UNREACHABLE_FIX = f"start the database server, or fix the host and port in {_STORE_URL}"
# A unique or primary key clash: PostgreSQL 23505 covers both; SQLite names them apart.
_UNIQUE_VIOLATIONS = frozenset(
    {"23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}
)
# SQLite result codes that mean "try again later" (busy, locked, I/O, full, cannot open).
# Source: https://www.sqlite.org/rescode.html
_SQLITE_UNAVAILABLE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_CANTOPEN",
    "SQLITE_READONLY",
    "SQLITE_PROTOCOL",
    "SQLITE_NOMEM",
    "SQLITE_INTERRUPT",
)
_STORE_FAULTS = (DBAPIError, PoolTimeout, OSError, UnicodeError, OverflowError)

_ORPHAN_WAIT_S = 35.0  # busy_timeout (30 s) and a margin: the longest an orphan waits

_SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",  # first: the WAL switch below may itself wait on a lock
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)


class Database:
    """The store's engines and transaction helpers."""

    def __init__(
        self, url: str, *, pool_size: int = 10, max_overflow: int = 10, ping_after_idle: float = 0.0
    ) -> None:
        self.url = _check_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self.idle_ping: IdlePing | None = None
        if self.is_sqlite:
            _ensure_parent(self.url)
            self.writer = _sqlite_engine(self.url, immediate=True)
            self.reader = _sqlite_engine(self.url, immediate=False)
        else:
            self.writer = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=max_overflow
            )
            self.idle_ping = IdlePing(ping_after_idle)  # instead of pool_pre_ping
            self.idle_ping.attach(self.writer)
            # Reads run without BEGIN/ROLLBACK: under READ COMMITTED every statement takes its
            # own snapshot anyway, so a read transaction bought nothing but two round trips
            # (about 10 % of a task read's CPU here). It shares the writer's pool.
            self.reader = self.writer.execution_options(isolation_level="AUTOCOMMIT")
        self._closing: set[asyncio.Future[Any]] = set()  # work outliving a cancelled caller
        self._file_lock = _file_lock_of(self.url) if self.is_sqlite else None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside a write transaction, committed on success.

        On SQLite the wait for the write lock (BEGIN IMMEDIATE, up to `busy_timeout` while
        another process writes) runs in the driver's thread, where a cancellation cannot reach
        it: cancelling the caller there used to abandon the connection half-open (SQLAlchemy
        then force-stops aiosqlite's thread and its pending close is destroyed with the loop).
        So the lock is taken in a shielded task: a caller cancelled meanwhile gets its
        CancelledError at once, and the connection is rolled back and returned to the pool as
        soon as the lock arrives."""
        if not self.is_sqlite:
            try:
                async with self.writer.begin() as conn:
                    yield conn
            except _STORE_FAULTS as exc:
                raise translate(exc) from exc
            return
        conn = await self._sqlite_begin()
        try:
            yield conn
            await conn.commit()
        except _STORE_FAULTS as exc:
            await self._give_back(conn)
            raise translate(exc) from exc
        except BaseException:
            await self._give_back(conn)
            raise
        await self._give_back(conn)

    async def _give_back(self, conn: AsyncConnection) -> None:
        """End `conn`'s transaction (rolled back unless committed), let other processes'
        writers in, then return `conn` to the pool: in that order, so that a coroutine of
        this process that gets `conn` next takes the file lock itself."""
        if conn.in_transaction():
            with contextlib.suppress(*_STORE_FAULTS):
                await conn.rollback()
        if self._file_lock is not None:
            self._file_lock.release()
        await _quietly_close(conn)

    async def _sqlite_begin(self) -> AsyncConnection:
        """A writer connection in a BEGIN IMMEDIATE transaction, opened in a shielded task."""
        opening = asyncio.ensure_future(self._begin())
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(self._close_orphan)
            raise
        except _STORE_FAULTS as exc:
            raise translate(exc) from exc

    async def _begin(self) -> AsyncConnection:
        """The writer connection (one per process), this process's turn at the file lock,
        then BEGIN IMMEDIATE."""
        conn = await self.writer.connect()
        try:
            if self._file_lock is not None:
                await self._file_lock.acquire()
            await conn.begin()
        except BaseException:
            await self._give_back(conn)
            raise
        return conn

    def _close_orphan(self, opening: asyncio.Future[AsyncConnection]) -> None:
        """Give back a connection whose caller was cancelled while it waited for the lock."""
        if opening.cancelled() or opening.exception() is not None:
            return
        closing = asyncio.ensure_future(self._give_back(opening.result()))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads: on PostgreSQL in autocommit (each statement is its own
        READ COMMITTED snapshot; for one snapshot over several reads see `store.snapshot`), on
        SQLite a pooled reader connection. Raises StoreUnavailable when the store is down."""
        try:
            async with self.reader.connect() as conn:
                yield conn
        except _STORE_FAULTS as exc:
            raise translate(exc) from exc

    async def now(self) -> float:
        """The database server's clock, seconds since the epoch (see `store.clock`)."""
        async with self.read() as conn:
            return float((await conn.execute(select(db_now()))).scalar_one())

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def sqlite_script(self, script: str) -> None:
        """Run `script` on the SQLite writer outside a transaction, stepping every statement to
        its end (`PRAGMA incremental_vacuum(N)` frees one page per step: run through
        `execute`, it would free one page only)."""
        running = asyncio.ensure_future(self._script(script))
        try:  # shielded as `write` is: it too may wait for the write lock in the thread
            await asyncio.shield(running)
        except asyncio.CancelledError:
            self._closing.add(running)
            running.add_done_callback(self._closing.discard)
            running.add_done_callback(_retrieve)
            raise
        except _STORE_FAULTS as exc:
            raise translate(exc) from exc

    async def _script(self, script: str) -> None:
        async with self.writer.connect() as conn:
            raw = await conn.get_raw_connection()
            if self._file_lock is not None:
                await self._file_lock.acquire()
            try:
                await raw.driver_connection.executescript(script)  # type: ignore[union-attr]
            finally:
                if self._file_lock is not None:
                    self._file_lock.release()

    async def pg_maintain(self, statement: str) -> None:
        """PostgreSQL: run one maintenance statement (`VACUUM`, `ANALYZE`) on a pooled
        connection in autocommit mode (VACUUM cannot run in a transaction). Both take only
        SHARE UPDATE EXCLUSIVE locks, so reads, claims and writes go on; with SKIP_LOCKED they
        pass over a table another vacuum or DDL holds instead of waiting for it. Raises
        StoreUnavailable when the store is down."""
        try:
            async with self.writer.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.execute(text(statement))
        except _STORE_FAULTS as exc:
            raise translate(exc) from exc

    async def dispose(self) -> None:
        """Close every pooled connection (after the orphans of cancelled writes are back)."""
        if self._closing:
            await asyncio.wait(set(self._closing), timeout=_ORPHAN_WAIT_S)
        if self._file_lock is not None:
            self._file_lock.close()
        await self.writer.dispose()
        if self.is_sqlite:  # on PostgreSQL the reader shares the writer's pool
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


def _file_lock_of(url: str) -> FileWriteLock | None:
    """The cross-process writer lock of a SQLite file (None in memory)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return FileWriteLock(Path(database + "-writer.lock"))


def _ensure_parent(url: str) -> None:
    """Create the folder of a SQLite file, private (0700) as `up` makes its data directory:
    a store created by `restore` or `store copy` holds key hashes and users too."""
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)


def _retrieve(done: asyncio.Future[Any]) -> None:
    """Mark the outcome of a task nobody awaits any more as seen (no "never retrieved")."""
    if not done.cancelled():
        done.exception()


async def _quietly_close(conn: AsyncConnection) -> None:
    """Roll back and return `conn` to the pool; a fault here is the pool's to handle."""
    with contextlib.suppress(*_STORE_FAULTS):
        await conn.close()


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=1 if immediate else 4,
        max_overflow=0,
        connect_args={"timeout": 30},
        module=one_trip_dbapi(),  # one trip to the driver's thread per statement
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


def translate(exc: BaseException) -> SwarmstackError:
    """The swarmstack error for a database fault: `StoreUnavailable` for connectivity and
    transient faults, `StoreConflict` for a unique-key clash, `StoreRejected` for a refused
    value. Pure: looks only at the exception, its SQLSTATE or SQLite result code and causes."""
    detail = _detail(exc)
    code = _code_of(exc) or ""
    if code[:2] in _PG_REFUSED_CLASSES or code in _PG_REFUSED:
        return StoreRefused(
            f"the database refused the connection: {detail}", delay_s=2.0, fix=_REFUSED_FIX
        )
    if _is_unavailable(exc):
        unreachable = any(isinstance(c, _UNREACHABLE) for c in _causes(exc))
        return StoreUnavailable(
            f"the task store is unavailable: {detail}",
            delay_s=2.0,
            fix=_UNREACHABLE_FIX if unreachable else None,
        )
    if _code_of(exc) in _UNIQUE_VIOLATIONS:
        return StoreConflict(f"the store refused a duplicate key: {detail}")
    return StoreRejected(
        f"the store refused a value: {detail}",
        fix="this is a swarmstack bug if the value came through the API; please report it",
    )


def _is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeout | OSError):
        return True
    if isinstance(exc, UnicodeError | OverflowError):
        return False
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    code = _code_of(exc)
    if code is None:
        return any(isinstance(c, OSError | TimeoutError) for c in _causes(exc)) or not any(
            isinstance(c, UnicodeError | OverflowError | ValueError | TypeError)
            for c in _causes(exc)
        )
    if code.startswith("SQLITE_"):
        return code.startswith(_SQLITE_UNAVAILABLE)
    return code[:2] in _PG_UNAVAILABLE_CLASSES


def _code_of(exc: BaseException) -> str | None:
    """The SQLSTATE (PostgreSQL) or SQLite result code name behind `exc`, if any."""
    for cause in _causes(exc):
        for attr in ("sqlstate", "sqlite_errorname"):
            value = getattr(cause, attr, None)
            if isinstance(value, str) and value:
                return value
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc`, its DBAPI `orig`, and their causes, without cycles."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [getattr(item, "orig", None), item.__cause__, item.__context__]
    return seen


def _detail(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc) or type(exc).__name__
    return text.splitlines()[0][:200]
