"""Maintenance commands open only a store that exists: no empty store created by accident."""

from __future__ import annotations

from pathlib import Path

from swarmstack.store import open_store
from swarmstack.store.existing import has_schema, missing_sqlite_file, no_store_here


def test_a_missing_sqlite_file_is_found_and_named(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nowhere' / 'store.db'}"
    assert missing_sqlite_file(url) == (tmp_path / "nowhere" / "store.db").resolve()
    assert "the SQLite file does not exist" in no_store_here(url).render()
    assert not (tmp_path / "nowhere").exists()  # nothing was created
    assert missing_sqlite_file("postgresql+asyncpg://u:secret@h/db") is None


def test_a_database_without_schema_hides_its_password() -> None:
    said = no_store_here("postgresql+asyncpg://u:secret@h/db").render()
    assert "holds no swarmstack store" in said and "secret" not in said


async def test_a_migrated_store_has_its_schema(store_url: str) -> None:
    opened = await open_store(store_url)
    try:
        assert await has_schema(opened.db)
        assert missing_sqlite_file(store_url) is None
    finally:
        await opened.close()
