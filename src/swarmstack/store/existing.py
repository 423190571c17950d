"""Opening a store that must already exist, for maintenance commands (`rotate-admin-key`,
`store stats|prune`): only `up` and `serve` create a store, so a mistyped `--data-dir` or a
command run in the wrong directory fails instead of creating an empty store and working on it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from swarmstack.errors import NotFound
from swarmstack.store.engine import Database

_FIX = (
    "run the command where `swarmstack up` ran, pass the same --data-dir, or set "
    "SWARMSTACK_STORE__URL (or DATABASE_URL) to the store's URL; only `up` and `serve` create a "
    "store"
)


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file `url` names when it does not exist yet (None for other URLs)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).resolve()
    return None if path.is_file() else path


def no_store_here(url: str) -> NotFound:
    """The error for a store that does not exist at `url` (password hidden)."""
    if (path := missing_sqlite_file(url)) is not None:
        return NotFound(f"no store at {path} (the SQLite file does not exist)", fix=_FIX)
    shown = make_url(url).render_as_string(hide_password=True)
    return NotFound(f"the database at {shown} holds no swarmstack store (no schema)", fix=_FIX)


async def has_schema(db: Database) -> bool:
    """Whether migrations have ever run on `db`."""
    async with db.read() as conn:
        return bool(await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")))
