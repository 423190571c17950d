"""PostgreSQL: vacuum the store's tables as soon as they hold enough dead tuples.

A queue's rows are updated several times each (claim, heartbeat, outcome, compaction mark) and
then deleted by retention, so its tables make dead tuples at a multiple of the task rate. The
server's autovacuum acts at most once per `autovacuum_naptime` (1 min by default, server-wide)
and not at all where `autovacuum = off`; at 200 tasks/s that is tens of thousands of dead tuples
between runs, and tables and indexes bloat. The leader therefore reads the dead-tuple counts from
`pg_stat_user_tables` every tick (about 1 s; the counts lag by up to a second, see the
PostgreSQL manual, "The Cumulative Statistics System") and runs `VACUUM (SKIP_LOCKED)` on each
table past `min_dead`. On PostgreSQL >= 14 a VACUUM that finds few dead tuples skips the index
pass (INDEX_CLEANUP AUTO), so frequent runs cost about the pages that changed, not the size of
the table.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from swarmstack.store.engine import Database
from swarmstack.store.tables import metadata

TABLES = tuple(t.name for t in metadata.sorted_tables)

_DEAD = text(
    "SELECT relname, n_dead_tup FROM pg_stat_user_tables "
    "WHERE schemaname = current_schema() AND relname = ANY(:names)"
)


async def dead_tuples(db: Database, tables: Sequence[str] = TABLES) -> dict[str, int]:
    """Dead tuples per table of `tables` by PostgreSQL's statistics ({} on SQLite)."""
    if db.is_sqlite:
        return {}
    async with db.read() as conn:
        found = await conn.execute(_DEAD, {"names": list(tables)})
        return {str(name): int(dead) for name, dead in found}


async def vacuum_dead(
    db: Database, min_dead: int, *, analyze: bool = False, tables: Sequence[str] = TABLES
) -> list[str]:
    """VACUUM (with ANALYZE when `analyze`) each of `tables` holding at least `min_dead` dead
    tuples; the names vacuumed, sorted. Nothing on SQLite or when `min_dead` is 0 (left to the
    server's autovacuum). Raises StoreUnavailable when the store is down."""
    if db.is_sqlite or min_dead <= 0:
        return []
    due = sorted(name for name, dead in (await dead_tuples(db, tables)).items() if dead >= min_dead)
    if due:
        await db.pg_vacuum(due, analyze=analyze)
    return due
