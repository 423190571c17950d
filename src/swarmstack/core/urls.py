"""Store URLs: what the raw PostgreSQL driver wants from a SQLAlchemy URL. Pure."""

from __future__ import annotations


def asyncpg_dsn(store_url: str) -> str:
    """A libpq DSN from a SQLAlchemy URL (`postgresql+asyncpg://...` -> `postgresql://...`)."""
    scheme, _, rest = store_url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgresql") else store_url
