"""The database's clock: the one clock that leases, visibility and schedules are judged by.

Managers and workers run on many hosts whose clocks drift apart. A lease written with one host's
clock and judged with another's expires early (a task swept while a healthy worker runs it) or
late (a fresh task left queued while a worker whose clock is behind idles). So every lease,
`run_at` and presence timestamp the store writes or compares is computed inside the statement
from the database server's clock (`db_now()`), never passed in from the caller's clock.

`db_now()` is seconds since the Unix epoch as a double:
- PostgreSQL: `EXTRACT(EPOCH FROM statement_timestamp())` (microseconds; clock_timestamp() advances
  within a transaction, see the manual's "Current Date/Time").
- SQLite: `(julianday('now') - 2440587.5) * 86400.0` (milliseconds; 2440587.5 is the Julian day
  of 1970-01-01T00:00Z, see https://www.sqlite.org/lang_datefunc.html). An embedded store has
  one host, so its clock is that host's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class db_now(FunctionElement[float]):  # noqa: N801  (reads like the SQL function it is)
    """The database server's current time, seconds since the epoch (a SQL expression)."""

    type = Float()
    inherit_cache = True


@compiles(db_now, "postgresql")
def _pg_now(_element: db_now, _compiler: Any, **_kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM statement_timestamp()) AS DOUBLE PRECISION)"


@compiles(db_now, "sqlite")
def _sqlite_now(_element: db_now, _compiler: Any, **_kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"


__all__ = ["db_now"]
