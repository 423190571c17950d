"""PostgreSQL: vacuum the store's tables as soon as they hold enough dead tuples, and keep the
planner's statistics fresh without bloating the catalog that holds them.

A queue's rows are updated several times each (claim, heartbeat, outcome, compaction mark) and
then deleted by retention, so its tables make dead tuples at a multiple of the task rate. The
server's autovacuum acts at most once per `autovacuum_naptime` (1 min by default, server-wide)
and not at all where `autovacuum = off`; at 200 tasks/s that is tens of thousands of dead tuples
between runs, and tables and indexes bloat. The leader therefore reads the counts from
`pg_stat_user_tables` every tick (about 1 s; the counts lag by up to a second, see the
PostgreSQL manual, "The Cumulative Statistics System") and runs `VACUUM (SKIP_LOCKED)` on each
table past `min_dead`. On PostgreSQL >= 14 a VACUUM that finds few dead tuples skips the index
pass (INDEX_CLEANUP AUTO), so frequent runs cost about the pages that changed, not the size of
the table.

ANALYZE is another matter: each one rewrites the table's rows of `pg_catalog.pg_statistic`
(TOASTed histograms), and those dead catalog rows are only reclaimed by a VACUUM of the catalog.
Analysing a busy queue every few seconds with autovacuum off grew that catalog's TOAST by about
1.2 MB a minute in a soak (docs/benchmarks.md, (e)). So a table is analysed only when it is due
by PostgreSQL's own rule for autovacuum (`analyze_due`), no more often than the caller allows,
and where the server's autovacuum is off the leader vacuums `pg_statistic` after analysing,
when its role may (a superuser or the database's owner; the manual, "VACUUM", Notes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import text

from swarmstack.store.engine import Database
from swarmstack.store.tables import metadata

TABLES = tuple(t.name for t in metadata.sorted_tables)
CATALOG = "pg_catalog.pg_statistic"

# PostgreSQL's defaults for autovacuum's ANALYZE (the manual, "The Autovacuum Daemon"):
# autovacuum_analyze_threshold and autovacuum_analyze_scale_factor.
ANALYZE_THRESHOLD = 50
ANALYZE_SCALE_FACTOR = 0.1

_STATS = text(
    "SELECT relname, n_dead_tup, n_live_tup, n_mod_since_analyze FROM pg_stat_user_tables "
    "WHERE schemaname = current_schema() AND relname = ANY(:names)"
)
_CATALOG_IS_OURS = text(
    "SELECT current_setting('autovacuum') = 'off' AND (r.rolsuper OR d.datdba = r.oid) "
    "FROM pg_roles r JOIN pg_database d ON d.datname = current_database() "
    "WHERE r.rolname = current_user"
)


@dataclass(frozen=True)
class TableStats:
    """One table's counts from `pg_stat_user_tables` (rows)."""

    dead: int
    live: int
    modified: int  # rows inserted, updated or deleted since the table was last analysed


@dataclass
class Maintenance:
    """What one pass did: the tables vacuumed and analysed (sorted), and whether it vacuumed
    the statistics catalog."""

    vacuumed: list[str] = field(default_factory=list)
    analyzed: list[str] = field(default_factory=list)
    catalog: bool = False


def analyze_due(stats: TableStats) -> bool:
    """Whether a table is due for ANALYZE by autovacuum's rule: rows modified since the last
    one >= threshold + scale factor x live rows (the manual, "The Autovacuum Daemon")."""
    return stats.modified >= ANALYZE_THRESHOLD + ANALYZE_SCALE_FACTOR * stats.live


async def table_stats(db: Database, tables: Sequence[str] = TABLES) -> dict[str, TableStats]:
    """Counts per table of `tables` from PostgreSQL's statistics ({} on SQLite). Raises
    StoreUnavailable when the store is down."""
    if db.is_sqlite:
        return {}
    async with db.read() as conn:
        found = await conn.execute(_STATS, {"names": list(tables)})
        return {
            str(name): TableStats(int(dead), int(live), int(mod)) for name, dead, live, mod in found
        }


async def dead_tuples(db: Database, tables: Sequence[str] = TABLES) -> dict[str, int]:
    """Dead tuples per table of `tables` by PostgreSQL's statistics ({} on SQLite)."""
    return {name: s.dead for name, s in (await table_stats(db, tables)).items()}


async def vacuum_dead(
    db: Database, min_dead: int, *, analyze: bool = False, tables: Sequence[str] = TABLES
) -> Maintenance:
    """VACUUM each of `tables` holding at least `min_dead` dead tuples and, when `analyze`,
    ANALYZE each that `analyze_due`; then, if it analysed any and the server's autovacuum is
    off, VACUUM the statistics catalog where this role may. Nothing on SQLite or when
    `min_dead` is 0 (left to the server's autovacuum). Raises StoreUnavailable when the store
    is down."""
    done = Maintenance()
    if db.is_sqlite or min_dead <= 0:
        return done
    stats = await table_stats(db, tables)
    done.vacuumed = sorted(n for n, s in stats.items() if s.dead >= min_dead)
    done.analyzed = sorted(n for n, s in stats.items() if analyze and analyze_due(s))
    for statement in _statements(done.vacuumed, done.analyzed):
        await db.pg_maintain(statement)
    if done.analyzed and await _catalog_is_ours(db):
        await db.pg_maintain(f"VACUUM (SKIP_LOCKED) {CATALOG}")
        done.catalog = True
    return done


def _statements(vacuum: Sequence[str], analyze: Sequence[str]) -> list[str]:
    """At most three statements: VACUUM (ANALYZE) of the tables in both lists, VACUUM of those
    only vacuumed, ANALYZE of those only analysed."""
    both = [n for n in vacuum if n in analyze]
    only_vacuum = [n for n in vacuum if n not in analyze]
    only_analyze = [n for n in analyze if n not in vacuum]
    out = []
    if both:
        out.append(f"VACUUM (ANALYZE, SKIP_LOCKED) {', '.join(both)}")
    if only_vacuum:
        out.append(f"VACUUM (SKIP_LOCKED) {', '.join(only_vacuum)}")
    if only_analyze:
        out.append(f"ANALYZE (SKIP_LOCKED) {', '.join(only_analyze)}")
    return out


async def _catalog_is_ours(db: Database) -> bool:
    async with db.read() as conn:
        return bool((await conn.execute(_CATALOG_IS_OURS)).scalar())
