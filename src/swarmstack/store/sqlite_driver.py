"""SQLite statements in one trip to the driver's thread instead of four.

aiosqlite runs each call on the connection's own thread, and SQLAlchemy's adapter makes four
calls per statement (open a cursor, execute, fetch the rows, close the cursor): four hand-offs
between the event loop and that thread, each a queue put, a thread wake-up and a
`call_soon_threadsafe` back. Under load those hand-offs, not SQLite, were most of a store call's
time (docs/benchmarks.md, (a)). This adapter keeps SQLAlchemy's aiosqlite dialect and its fault
handling and replaces only the cursor: one function runs the statement, fetches its rows and
closes the cursor on the thread, and the rows come back in one hand-off.

It relies on `aiosqlite.Connection._execute` (run a function on the connection's thread) and
`_conn` (its sqlite3 connection), both in aiosqlite since 0.17; the version is pinned in
pyproject.toml and tests/integration/store/test_sqlite_driver.py checks the adapter against it.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

if TYPE_CHECKING:
    from sqlalchemy.connectors.asyncio import AsyncIODBAPIConnection


@dataclass(slots=True)
class Ran:
    """What a finished statement left: the cursor attributes SQLAlchemy reads, and its rows."""

    description: Any = None
    rowcount: int = -1
    lastrowid: int | None = None
    rows: list[Any] = field(default_factory=list)
    arraysize: int = 1

    async def close(self) -> None:
        """Nothing to close: the cursor was closed on the driver's thread."""


def _run(conn: sqlite3.Connection, operation: str, parameters: Any) -> Ran:
    """On the driver's thread: execute, fetch every row, close the cursor."""
    cursor = conn.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return Ran(cursor.description, cursor.rowcount, cursor.lastrowid, rows)
    finally:
        cursor.close()


def _run_many(conn: sqlite3.Connection, operation: str, seq: Sequence[Any]) -> Ran:
    """On the driver's thread: executemany, then close the cursor."""
    cursor = conn.cursor()
    try:
        cursor.executemany(operation, seq)
        return Ran(None, cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statements each take one trip to the driver's thread."""

    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = Ran()  # type: ignore[assignment]  # no cursor is opened up front
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            ran: Ran = await driver._execute(_run, driver._conn, operation, parameters)  # type: ignore[no-untyped-call]
        self._cursor = ran  # type: ignore[assignment]
        self._rows = collections.deque(ran.rows)
        return None

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            ran: Ran = await driver._execute(  # type: ignore[no-untyped-call]
                _run_many, driver._conn, operation, seq_of_parameters
            )
        self._cursor = ran  # type: ignore[assignment]
        return None

    async def _async_soft_close(self) -> None:
        """The cursor is closed already; its description stays readable."""

    def close(self) -> None:
        """Drop unread rows."""
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection adapter with `OneTripCursor` as its cursor."""

    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module for `create_async_engine(..., module=...)`."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        """A connection as aiosqlite's adapter makes it, with the one-trip cursor."""
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True
        return OneTripConnection(self, cast("AsyncIODBAPIConnection", await_(connection)))


def one_trip_dbapi() -> OneTripDBAPI:
    """The module to pass as `module=` when creating a SQLite engine."""
    return OneTripDBAPI(aiosqlite, sqlite3)
