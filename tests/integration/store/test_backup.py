"""Backups of a store on each backend, restored into SQLite and PostgreSQL: every row comes back
as it was; damaged archives, full targets, missing keys and newer schemas are refused before
anything is written; an older backup is migrated forward."""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from swarmstack.core.records import TaskRecord
from swarmstack.errors import Conflict, InvalidInput, SettingsError
from swarmstack.security.crypto import Keyring, parse_key
from swarmstack.store import NewKey, Store, export, open_store
from swarmstack.store.backup import check_archive, check_target, restore_backup, write_backup
from swarmstack.store.backup_archive import MANIFEST, ArchiveReader
from swarmstack.store.engine import Database
from swarmstack.store.migrate import alembic_config, migrate
from swarmstack.store.tables import task_events
from tests.integration.store.test_retention import finished
from tests.support.keys import OTHER_KEY, keyring_of_tests

KEYS = keyring_of_tests()


async def digests(db: Database) -> dict[str, tuple[int, str]]:
    """Rows and checksum of every table."""
    async with db.read() as conn:
        found = {}
        for table in await export.store_tables(conn):
            digest = await export.digest(conn, table)
            found[table.name] = (digest.rows, digest.hexdigest())
        return found


async def restore(
    archive: Path, url: str, keys: Keyring | None = KEYS, force: bool = False
) -> Database:
    db = Database(url)
    reader = ArchiveReader(archive)
    try:
        check_archive(reader, keys)
        await check_target(db, force)
        await restore_backup(reader, db, keys)
    except BaseException:
        await db.dispose()
        raise
    finally:
        reader.close()
    return db


async def filled(store: Store) -> list[str]:
    ids = [*await finished(store, n=3), *await finished(store, n=1)]
    await store.keys.create(NewKey("ops", "admin", rate_limit=2.5), time.time())
    return [str(i) for i in ids]


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store URL to restore into, of each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    url: str = request.getfixturevalue("fresh_pg_url")
    return url


async def test_a_backup_restores_every_row_on_either_backend(
    store: Store, target_url: str, tmp_path: Path
) -> None:
    ids = await filled(store)
    archive = tmp_path / "b.tar"
    manifest = await write_backup(store.db, archive, KEYS, "test")
    assert manifest.key_id == KEYS.current_kid
    assert {t.name: t.rows for t in manifest.tables}["tasks"] == 4
    assert b'"i":' not in archive.read_bytes()  # sealed: no task data in plain

    url = target_url
    db = await restore(archive, url)
    try:
        assert await digests(db) == await digests(store.db)
        restored = Store(db, keyring=KEYS)
        for task_id in ids:
            got, want = await restored.tasks.get(task_id), await store.tasks.get(task_id)
            assert isinstance(got, TaskRecord)
            assert (got.status, got.result, got.input) == (want.status, want.result, want.input)
        await restored.events.append([(ids[0], "note", {"after": "restore"}, time.time())])
    finally:
        await db.dispose()


async def test_an_unsealed_backup_needs_no_key_to_open(store: Store, tmp_path: Path) -> None:
    await filled(store)
    archive = tmp_path / "plain.tar"
    manifest = await write_backup(store.db, archive, Keyring(), "test")
    assert manifest.key_id is None
    db = await restore(archive, f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    try:
        assert await digests(db) == await digests(store.db)
    finally:
        await db.dispose()


def rewrite(archive: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    """Replace `member` of the tar at `archive` with `change` of its bytes."""
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(archive, "w") as tar:
        for info, data in members:
            data = change(data) if info.name == member else data
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


async def test_a_tampered_archive_is_refused_before_anything_is_written(
    store: Store, tmp_path: Path
) -> None:
    await filled(store)
    archive = tmp_path / "b.tar"
    manifest = await write_backup(store.db, archive, KEYS, "test")
    tasks_file = next(t.file for t in manifest.tables if t.name == "tasks")
    rewrite(archive, tasks_file, lambda b: b[:-40] + bytes(40))
    target = tmp_path / "never.db"
    with pytest.raises(InvalidInput, match=f"checksum mismatch: {tasks_file}"):
        await restore(archive, f"sqlite+aiosqlite:///{target}")
    assert not target.exists()


async def test_a_full_target_is_refused_without_force(store: Store, tmp_path: Path) -> None:
    await filled(store)
    archive = tmp_path / "b.tar"
    await write_backup(store.db, archive, KEYS, "test")
    url = f"sqlite+aiosqlite:///{tmp_path / 'full.db'}"
    other = await open_store(url, keyring=KEYS)
    await finished(other, n=2)
    await other.close()
    with pytest.raises(Conflict, match=r"not empty \(rows: task_events \d+, tasks 2\)"):
        await restore(archive, url)
    db = await restore(archive, url, force=True)
    try:
        assert await digests(db) == await digests(store.db)
    finally:
        await db.dispose()


async def test_a_missing_or_wrong_key_is_named(store: Store, tmp_path: Path) -> None:
    await filled(store)
    archive = tmp_path / "b.tar"
    await write_backup(store.db, archive, KEYS, "test")
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    wrong = Keyring(parse_key(OTHER_KEY, "tests"))
    for keys in (wrong, None):
        with pytest.raises(SettingsError, match=f"encrypted under key id {KEYS.current_kid}"):
            await restore(archive, url, keys=keys)


async def test_a_newer_schema_is_refused(store: Store, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar"
    await write_backup(store.db, archive, KEYS, "test")

    def newer(data: bytes) -> bytes:
        return json.dumps({**json.loads(data), "schema_revision": "9999"}).encode()

    rewrite(archive, MANIFEST, newer)
    with pytest.raises(InvalidInput, match="revision 9999, which this swarmstack does not know"):
        await restore(archive, f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")


async def test_an_older_backup_is_migrated_forward(tmp_path: Path) -> None:
    old = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await migrate(old, "0006")
    async with old.write() as conn:
        await conn.execute(
            task_events.insert(), [{"task_id": "t1", "type": "x", "data": "{}", "created_at": 1.0}]
        )
    archive = tmp_path / "old.tar"
    manifest = await write_backup(old, archive, None, "test")
    await old.dispose()
    assert manifest.schema_revision == "0006"
    db = await restore(archive, f"sqlite+aiosqlite:///{tmp_path / 'new.db'}", keys=None)
    try:
        async with db.read() as conn:
            assert (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar() == ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert (await conn.execute(text("SELECT task_id FROM task_events"))).scalar() == "t1"
    finally:
        await db.dispose()


async def test_task_data_under_a_key_not_set_here_is_refused_before_writing(
    store: Store, tmp_path: Path
) -> None:
    """An unsealed archive still holds task data sealed as stored: restored without its key,
    nothing could read it (and `up` would make a new key beside it and refuse to start)."""
    await filled(store)
    archive = tmp_path / "plain.tar"
    await write_backup(store.db, archive, None, "test")
    wrong = Keyring(parse_key(OTHER_KEY, "tests"))
    for keys in (None, wrong):
        target = tmp_path / f"r-{keys is None}.db"
        with pytest.raises(
            SettingsError, match=rf"task data encrypted under key id\(s\) {KEYS.current_kid}"
        ):
            await restore(archive, f"sqlite+aiosqlite:///{target}", keys=keys)
        assert not target.exists()


async def test_a_forced_restore_that_fails_midway_keeps_the_old_store(
    store: Store, tmp_path: Path, target_url: str
) -> None:
    """The old tables used to be dropped (and committed) before the import began: a failure
    after that left an empty store, neither the old data nor the backup's."""
    await filled(store)
    archive = tmp_path / "b.tar"
    await write_backup(store.db, archive, KEYS, "test")

    def wrong_events_checksum(raw: bytes) -> bytes:  # passes every check made before writing
        data = json.loads(raw)
        entry = next(t for t in data["tables"] if t["name"] == "task_events")
        entry["rows_sha256"] = "0" * 64
        return json.dumps(data).encode()

    rewrite(archive, MANIFEST, wrong_events_checksum)
    old = await open_store(target_url, keyring=KEYS)
    kept = [str(i) for i in await finished(old, n=2)]
    before = await digests(old.db)
    await old.close()
    with pytest.raises(InvalidInput, match="table task_events holds"):
        db = await restore(archive, target_url, force=True)
    db = Database(target_url)
    try:
        assert await digests(db) == before
        assert len(await Store(db, keyring=KEYS).tasks.get_many(kept)) == 2
    finally:
        await db.dispose()
