"""What the store holds: rows and bytes per table, the oldest rows, dead tuples (PostgreSQL).

Called by the leader for the store gauges and by `swarmstack store stats`. Estimates by default,
cheap however large the tables are: PostgreSQL's statistics (`pg_stat_user_tables.n_live_tup`,
`pg_total_relation_size`), SQLite's rowid span and `dbstat` page sizes; `exact=True` counts rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.states import TERMINAL
from swarmstack.store.engine import Database
from swarmstack.store.tables import metadata, tasks

TABLES = tuple(t.name for t in metadata.sorted_tables)

_PG_TABLES = text(
    "SELECT c.relname, COALESCE(s.n_live_tup, GREATEST(c.reltuples, 0))::bigint, "
    "pg_total_relation_size(c.oid), s.n_dead_tup, "
    "EXTRACT(EPOCH FROM GREATEST(s.last_vacuum, s.last_autovacuum)) "
    "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
    "WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace "
    "AND c.relname = ANY(:names)"
)
_SQLITE_BYTES = text(
    "SELECT s.tbl_name, SUM(d.pgsize) FROM dbstat('main', 1) AS d "
    "JOIN sqlite_schema AS s ON s.name = d.name GROUP BY s.tbl_name"
)


@dataclass(frozen=True, slots=True)
class TableStats:
    """One table: rows (an estimate unless counted), bytes with its indexes, dead tuples."""

    name: str
    rows: int
    bytes: int
    dead_rows: int | None = None
    last_vacuum: float | None = None


@dataclass(frozen=True, slots=True)
class StoreStats:
    """The whole store."""

    backend: str
    tables: list[TableStats]
    file_bytes: int | None  # SQLite: the database file; PostgreSQL: None
    free_bytes: int | None  # SQLite: pages on the free list, not yet returned to the OS
    oldest_task_at: float | None  # created_at of the oldest task
    oldest_finished_at: dict[str, float]  # per final status, finished_at of the oldest

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly values."""
        return asdict(self)


async def store_stats(db: Database, *, exact: bool = False) -> StoreStats:
    """Rows and bytes per table and the oldest tasks."""
    async with db.read() as conn:
        if db.is_sqlite:
            tables, file_bytes, free = await _sqlite_tables(conn, exact)
        else:
            tables, file_bytes, free = await _pg_tables(conn, exact), None, None
        oldest = (await conn.execute(select(func.min(tasks.c.created_at)))).scalar()
        finished = await oldest_finished(conn)
    return StoreStats(db.dialect, tables, file_bytes, free, oldest, finished)


async def oldest_finished(conn: AsyncConnection) -> dict[str, float]:
    """Per final status, the `finished_at` of its oldest task (one index probe each)."""
    found: dict[str, float] = {}
    for status in sorted(s.value for s in TERMINAL):
        query = select(func.min(tasks.c.finished_at)).where(tasks.c.status == status)
        value = (await conn.execute(query)).scalar()
        if value is not None:
            found[status] = float(value)
    return found


async def _pg_tables(conn: AsyncConnection, exact: bool) -> list[TableStats]:
    rows = await conn.execute(_PG_TABLES, {"names": list(TABLES)})
    found = {r[0]: TableStats(r[0], int(r[1]), int(r[2]), _int(r[3]), _float(r[4])) for r in rows}
    if exact:
        for name, stats in found.items():
            counted = await _count(conn, name)
            found[name] = TableStats(name, counted, stats.bytes, stats.dead_rows, stats.last_vacuum)
    return [found[n] for n in TABLES if n in found]


async def _sqlite_tables(conn: AsyncConnection, exact: bool) -> tuple[list[TableStats], int, int]:
    sizes = {r[0]: int(r[1]) for r in await conn.execute(_SQLITE_BYTES)}
    tables = []
    for name in TABLES:
        rows = await _count(conn, name) if exact else await _rowid_span(conn, name)
        tables.append(TableStats(name, rows, sizes.get(name, 0)))
    page = await _pragma(conn, "page_size")
    return (
        tables,
        page * await _pragma(conn, "page_count"),
        page * await _pragma(conn, "freelist_count"),
    )


async def _count(conn: AsyncConnection, name: str) -> int:
    return int((await conn.execute(text(f'SELECT COUNT(*) FROM "{name}"'))).scalar() or 0)


async def _rowid_span(conn: AsyncConnection, name: str) -> int:
    """Rows between the first and last rowid: exact for the append-mostly tables whose old rows
    retention deletes from the front, cheap (two b-tree probes)."""
    # Two subqueries: SQLite answers a lone MIN or MAX of rowid from the b-tree's ends, but
    # scans the table for both in one SELECT.
    query = text(f'SELECT (SELECT MAX(rowid) FROM "{name}") - (SELECT MIN(rowid) FROM "{name}")')
    span = (await conn.execute(query)).scalar()
    return 0 if span is None else int(span) + 1


async def _pragma(conn: AsyncConnection, name: str) -> int:
    return int((await conn.execute(text(f"PRAGMA {name}"))).scalar() or 0)


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))
