"""Logical export and import of the store's tables, batch by batch, the same on both backends.

Called by `store.backup` (tables to and from an archive) and `store.copy` (tables from one store
into another). Tables are read from the database itself (reflected), not from `store.tables`, so
a store at an older schema revision exports as it is. Rows are read in primary-key order, `batch`
rows at a time (keyset pagination: memory stays bounded however large a table is), and carried
as JSON values: text, integers, floats (times are epoch seconds), booleans, None, and bytes as
`{"b64": ...}`. Each value is first made the Python type of its column, so a row reads the same
from SQLite and PostgreSQL and `Digest` gives both the same checksum. Sealed columns are text
and are carried as stored (ciphertext), never opened.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Column, MetaData, Table, func, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.errors import StoreRejected
from swarmstack.store.tables import metadata

BATCH = 1000  # rows per read and per insert
VERSION_TABLE = "alembic_version"
_ORDER = {t.name: i for i, t in enumerate(metadata.sorted_tables)}
_MOD = 1 << 256


async def store_tables(conn: AsyncConnection, skip: Sequence[str] = ()) -> list[Table]:
    """The store's tables on `conn`, reflected, in foreign-key order (`store.tables` order);
    without Alembic's table and `skip`. Only swarmstack's own tables: a PostgreSQL database the
    store shares with other applications keeps their tables, and a backup, a copy or an
    emptiness check never touches them (no migration ever dropped a table, so every table a
    store at an older revision can hold is in `store.tables`)."""
    found = MetaData()
    await conn.run_sync(lambda sync: found.reflect(sync, only=lambda name, _m: name in _ORDER))
    names = [n for n in found.tables if n not in skip]
    names.sort(key=lambda n: _ORDER[n])
    return [found.tables[n] for n in names]


async def revision(conn: AsyncConnection) -> str | None:
    """The Alembic revision of the store's schema, or None when it has none."""
    tables = await conn.run_sync(lambda sync: sync.dialect.get_table_names(sync))
    if VERSION_TABLE not in tables:
        return None
    return (await conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))).scalar()


def key_of(table: Table) -> Column[Any]:
    """The single primary-key column of `table` (the order rows are read in). Raises
    StoreRejected for a table without one."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1:
        raise StoreRejected(f"table {table.name} has no single-column primary key to page by")
    return keys[0]


async def read_batches(
    conn: AsyncConnection, table: Table, after: Any = None, batch: int = BATCH
) -> AsyncIterator[list[list[Any]]]:
    """`table`'s rows with a key above `after` (all with None), in key order, as lists of JSON
    values in `table.columns` order, `batch` rows at a time."""
    key = key_of(table)
    while True:
        query = select(table).order_by(key).limit(batch)
        if after is not None:
            query = query.where(key > after)
        rows = [encode(table, row) for row in await conn.execute(query)]
        if not rows:
            return
        yield rows
        after = rows[-1][list(table.columns).index(key)]
        if len(rows) < batch:
            return


def encode(table: Table, row: Sequence[Any]) -> list[Any]:
    """A row as JSON values (see the module docstring), in `table.columns` order."""
    return [_json_value(c, v) for c, v in zip(table.columns, row, strict=True)]


def _json_value(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sqltypes.Boolean):
        return bool(value)
    if isinstance(kind, sqltypes.Float):
        return float(value)
    if isinstance(kind, sqltypes.Integer):
        return int(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def dumps_row(values: Sequence[Any]) -> bytes:
    """One row's JSON values as a line of UTF-8 JSON (with its newline)."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode(table: Table, columns: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """Column values to insert into `table` from JSON `values` named by `columns`."""
    return {
        name: _db_value(table.columns[name], value)
        for name, value in zip(columns, values, strict=True)
    }


def _db_value(column: Column[Any], value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    return _json_value(column, value)


def missing_columns(table: Table, columns: Sequence[str]) -> list[str]:
    """The `columns` that `table` lacks (an export from another schema)."""
    return [name for name in columns if name not in table.columns]


async def insert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (column values from `decode`) into `table`."""
    if rows:
        await conn.execute(table.insert(), rows)


async def count(conn: AsyncConnection, table: Table) -> int:
    """The rows of `table`."""
    return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def reset_sequences(conn: AsyncConnection, tables: Sequence[Table]) -> None:
    """PostgreSQL: move each table's id sequence past its largest id, so new rows do not clash
    with imported ones (a no-op for tables without one, and on SQLite)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        key = key_of(table)
        if not isinstance(key.type, sqltypes.Integer):
            continue
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX({key.name}), 1), "
                f"MAX({key.name}) IS NOT NULL) FROM {table.name}"
            ),
            {"t": table.name, "c": key.name},
        )


class Digest:
    """A checksum of a table's rows that does not depend on their order (rows sort differently
    on the two backends): the sum of the SHA-256 of each row's canonical JSON, mod 2^256."""

    def __init__(self) -> None:
        self.total = 0
        self.rows = 0

    def add(self, columns: Sequence[str], values: Sequence[Any]) -> None:
        """Count one row given as JSON values named by `columns`."""
        canonical = json.dumps(
            dict(zip(columns, values, strict=True)),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        self.total = (
            self.total + int.from_bytes(hashlib.sha256(canonical.encode()).digest())
        ) % _MOD
        self.rows += 1

    def hexdigest(self) -> str:
        """The checksum as 64 hex characters."""
        return f"{self.total:064x}"


async def digest(conn: AsyncConnection, table: Table, batch: int = BATCH) -> Digest:
    """The `Digest` of every row of `table`."""
    found = Digest()
    names = [c.name for c in table.columns]
    async for rows in read_batches(conn, table, batch=batch):
        for values in rows:
            found.add(names, values)
    return found
