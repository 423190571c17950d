"""Copy every row of one store into another (SQLite to PostgreSQL, or back), resumably.

Called by `swarmstack store copy` (`cli.copy_cli`). The destination is migrated to the newest
revision first, and must hold no rows unless it holds an unfinished copy from the same source.
Tables go in foreign-key order, `batch` rows at a time in primary-key order (`store.export`);
each batch is inserted in one destination transaction together with how far the table has got,
kept in the `swarmstack_copy` table of the destination. So an interrupted copy (a crash, ^C, a
lost connection) run again goes on after the last batch it committed, and never inserts a row
twice. At the end every table's row count and checksum must be equal on both sides; then the
progress table is dropped. The source is read as it is: stop the service first, or rows written
meanwhile are missed and the check fails. Sealed task data is copied as stored (ciphertext).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, MetaData, String, Table, Text, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.errors import Conflict, StoreRejected
from swarmstack.store import export
from swarmstack.store.engine import Database
from swarmstack.store.migrate import migrate

PROGRESS_TABLE = "swarmstack_copy"
progress = Table(
    PROGRESS_TABLE,
    MetaData(),
    Column("name", String(64), primary_key=True),
    Column("source", String(64), nullable=False),  # `source_id` of the source store
    Column("after", Text),  # the last key copied, as JSON; NULL: none yet
    Column("rows", BigInteger, nullable=False),
    Column("done", Boolean, nullable=False),
)
# Called after each batch: table name, rows copied so far, rows in the source table.
OnProgress = Callable[[str, int, int], None]


def _quiet(_table: str, _done: int, _total: int) -> None:
    pass


@dataclass(frozen=True, slots=True)
class TableCopied:
    """One table after the copy: rows and checksums on each side."""

    name: str
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str

    @property
    def equal(self) -> bool:
        """Whether both sides hold the same rows."""
        return (self.source_rows, self.source_sha256) == (self.target_rows, self.target_sha256)


@dataclass(frozen=True, slots=True)
class Copied:
    """The whole copy: each table, and whether it went on from an interrupted run."""

    tables: list[TableCopied]
    resumed: bool

    @property
    def verified(self) -> bool:
        """Whether every table holds the same rows on both sides."""
        return all(t.equal for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly values."""
        return {
            "verified": self.verified,
            "resumed": self.resumed,
            "rows": sum(t.target_rows for t in self.tables),
            "tables": [{**asdict(t), "equal": t.equal} for t in self.tables],
        }


def source_id(url: str) -> str:
    """Who the source is, without its password: SHA-256 of its URL with none (hex, 64)."""
    bare = make_url(url).set(password=None).render_as_string(hide_password=False)
    return hashlib.sha256(bare.encode()).hexdigest()


async def copy_store(
    source: Database, target: Database, on_progress: OnProgress = _quiet, batch: int = export.BATCH
) -> Copied:
    """Copy `source` into `target` (see the module docstring) and check both sides. Raises
    Conflict for a target with other data, StoreUnavailable when either store cannot be
    reached, StoreRejected for a row the target refuses."""
    async with source.read() as conn:
        tables = await export.store_tables(conn)
    resumed = await _claim(target, source_id(source.url), [t.name for t in tables])
    async with target.read() as conn:
        targets = {t.name: t for t in await export.store_tables(conn, skip=[PROGRESS_TABLE])}
    for table in tables:
        await _copy_table(source, target, table, _target_of(targets, table), on_progress, batch)
    async with target.write() as conn:
        await export.reset_sequences(conn, list(targets.values()))
    copied = Copied([await _check(source, target, t, targets[t.name]) for t in tables], resumed)
    if copied.verified:
        async with target.write() as conn:
            await conn.run_sync(lambda sync: progress.drop(sync))
    return copied


async def _claim(target: Database, source: str, names: list[str]) -> bool:
    """Make `target` ready: resume a copy from `source` (True), or start one on an empty
    store, migrated to the newest revision first (False). Raises Conflict otherwise."""
    async with target.read() as conn:
        found = await conn.run_sync(lambda sync: sync.dialect.get_table_names(sync))
        if PROGRESS_TABLE in found:
            sources = set((await conn.execute(select(progress.c.source))).scalars())
            if sources <= {source}:
                return True
            raise Conflict(
                "the destination holds an unfinished copy from another source",
                fix="resume it with the same source URL, or copy into an empty database",
            )
        full = [t.name for t in await export.store_tables(conn) if await export.count(conn, t)]
    if full:
        raise Conflict(
            f"the destination already holds data (in {', '.join(full)})",
            fix="copy into an empty database (or drop its tables first if that data can go)",
        )
    await migrate(target)
    async with target.write() as conn:
        await conn.run_sync(lambda sync: progress.create(sync))
        start = {"source": source, "after": None, "rows": 0, "done": False}
        await conn.execute(progress.insert(), [{"name": n, **start} for n in names])
    return False


def _target_of(targets: dict[str, Table], table: Table) -> Table:
    found = targets.get(table.name)
    columns = [c.name for c in table.columns]
    if found is None or export.missing_columns(found, columns):
        raise StoreRejected(
            f"the destination's table {table.name} does not match the source's",
            fix="run the same swarmstack version on both (each is migrated to its newest schema)",
        )
    return found


async def _copy_table(
    source: Database,
    target: Database,
    table: Table,
    into: Table,
    on_progress: OnProgress,
    batch: int,
) -> None:
    after, done = await _position(target, table.name)  # done or not: rows added since follow
    columns = [c.name for c in table.columns]
    key = columns.index(export.key_of(table).name)
    async with source.read() as conn:
        total = await export.count(conn, table)
        on_progress(table.name, done, total)
        async for rows in export.read_batches(conn, table, after, batch):
            done += len(rows)
            async with target.write() as out:
                await export.insert(out, into, [export.decode(into, columns, r) for r in rows])
                await _advance(out, table.name, rows[-1][key], done, finished=False)
            on_progress(table.name, done, total)
    async with target.write() as out:
        await _advance(out, table.name, None, done, finished=True)


async def _position(target: Database, name: str) -> tuple[Any, int]:
    """Where the copy of table `name` stands: the last key copied, and rows copied."""
    async with target.read() as conn:
        query = select(progress.c.after, progress.c.rows, progress.c.done)
        row = (await conn.execute(query.where(progress.c.name == name))).first()
    if row is None:
        return None, 0
    return (json.loads(row.after) if row.after else None), int(row.rows)


async def _advance(conn: AsyncConnection, name: str, after: Any, rows: int, finished: bool) -> None:
    values: dict[str, Any] = {"rows": rows, "done": finished}
    if after is not None:
        values["after"] = json.dumps(after)
    await conn.execute(progress.update().where(progress.c.name == name), values)


async def _check(source: Database, target: Database, table: Table, into: Table) -> TableCopied:
    async with source.read() as conn:
        mine = await export.digest(conn, table)
    async with target.read() as conn:
        theirs = await export.digest(conn, into)
    return TableCopied(table.name, mine.rows, theirs.rows, mine.hexdigest(), theirs.hexdigest())
