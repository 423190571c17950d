"""Shared fixtures: real SQLite files and a real PostgreSQL database, test swarm specs."""

from __future__ import annotations

import asyncio
import os
import secrets
import textwrap
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from swarmstack.spec import SwarmSpec, parse_spec
from swarmstack.store import Store, open_store
from swarmstack.store.engine import Database
from swarmstack.store.tables import metadata
from tests.support.keys import keyring_of_tests
from tests.support.redis_server import RedisServer

PG_ADMIN = os.environ.get("SWARMSTACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REPO = Path(__file__).resolve().parent.parent


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def throwaway_database(prefix: str) -> Iterator[str]:
    """Create a PostgreSQL database, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session (dropped at the end)."""
    yield from throwaway_database("swarmstack_test")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store URL of each backend; PostgreSQL tables are emptied before each test."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """An open, migrated, empty store on each backend."""
    opened = await open_store(store_url, keyring=keyring_of_tests())
    if not opened.db.is_sqlite:
        await empty_tables(opened.db)
    try:
        yield opened
    finally:
        await opened.close()


async def empty_tables(db: Database) -> None:
    """Empty every table of a PostgreSQL store: the session's database is shared by tests."""
    async with db.write() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))


SpecFactory = Callable[..., SwarmSpec]


def spec_text(
    name: str = "test",
    agent: str = "tests.support.agents:echo",
    runtime: str = "{}",
    extra: str = "",
) -> str:
    """YAML of a one-agent swarm."""
    return (
        textwrap.dedent(f"""\
        version: 1
        name: {name}
        agents:
          main: {{kind: python, entrypoint: "{agent}"}}
        runtime: {runtime}
        """)
        + extra
    )


@pytest.fixture
def make_spec() -> SpecFactory:
    """Build a SwarmSpec for a one-agent swarm."""

    def build(
        name: str = "test",
        agent: str = "tests.support.agents:echo",
        runtime: str = "{}",
        extra: str = "",
    ) -> SwarmSpec:
        return parse_spec(spec_text(name, agent, runtime, extra), f"{name}.yaml", os.environ)

    return build


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test alone (dropped afterwards)."""
    yield from throwaway_database("swarmstack_one")


def pg_query(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of `sql` on the database of a SQLAlchemy PostgreSQL URL (for process tests)."""

    async def run() -> list[tuple[object, ...]]:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone, on a free port; the test may stop and start it."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
