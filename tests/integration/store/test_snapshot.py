"""A snapshot sees the store as of one moment while writers go on, on both backends."""

from __future__ import annotations

from pathlib import Path

from swarmstack.store import Store, export
from swarmstack.store.snapshot import snapshot
from swarmstack.store.tables import tasks
from tests.integration.store.test_retention import finished


async def test_rows_written_during_a_snapshot_are_not_in_it(store: Store, tmp_path: Path) -> None:
    await finished(store, n=2)
    scratch = made(tmp_path / "scratch")
    async with snapshot(store.db, scratch) as conn:
        first = await export.count(conn, tasks)
        await finished(store, n=3)  # a writer goes on meanwhile
        assert await export.count(conn, tasks) == first == 2
    assert files_in(scratch) == []  # SQLite's copy is removed afterwards
    async with store.db.read() as conn:
        assert await export.count(conn, tasks) == 5


def made(folder: Path) -> Path:
    folder.mkdir()
    return folder


def files_in(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir()]
