"""Back up a store into an archive while it runs, and restore an archive into a store.

Called by `swarmstack backup` and `swarmstack restore` (`cli.backup_cli`). A backup reads a
consistent snapshot (`store.snapshot`) table by table (`store.export`) into the archive
(`store.backup_archive`), sealed under the keyring's current key when there is one. A restore
first checks the whole archive (format, schema revision, key, every file's SHA-256) and the
target (empty, or `force`) before it writes anything; then, in one transaction, it drops the
old tables, builds the schema at the backup's revision, imports every table and checks each
table's rows against the manifest; then it migrates forward to the newest revision. Task data
stays sealed as stored: the restored store needs the keys the source store used.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import ColumnElement, MetaData, Table, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.errors import Conflict, InvalidInput, SettingsError
from swarmstack.security.crypto import Keyring, kid_of
from swarmstack.store import export
from swarmstack.store.backup_archive import ArchiveReader, ArchiveWriter, Manifest, TableEntry
from swarmstack.store.clock import db_now
from swarmstack.store.engine import Database
from swarmstack.store.migrate import alembic_config, incremental_vacuum_mode, migrate, upgrade_on
from swarmstack.store.sealed import SEALED_COLUMNS
from swarmstack.store.snapshot import snapshot
from swarmstack.store.tables import metadata

LIVE_S = 15.0  # a node whose heartbeat is this recent still runs on the store
_KEY_FIX = (
    "set the key the store was written with (SWARM_ENCRYPTION_KEY, "
    "SWARMSTACK_SECURITY__ENCRYPTION_KEY_FILE, or the old encryption.key copied into "
    "--data-dir); the restored task data needs the same keys"
)
# Called after each batch: table name, rows so far, rows in all (None while unknown).
OnProgress = Callable[[str, int, int | None], None]


def _quiet(_table: str, _done: int, _total: int | None) -> None:
    pass


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore wrote: rows per table, and the schema revisions before and after."""

    rows: dict[str, int]
    from_revision: str
    to_revision: str
    key_id: str | None


async def write_backup(
    db: Database,
    out: Path,
    keyring: Keyring | None,
    version: str,
    on_progress: OnProgress = _quiet,
    batch: int = export.BATCH,
) -> Manifest:
    """Write a backup of `db` to `out` (sealed under `keyring`'s current key, if any); its
    manifest. Raises StoreUnavailable when the store cannot be read, OSError when `out` cannot
    be written (nothing is left at `out` then)."""
    sealing = keyring if keyring is not None and keyring.current_kid else None
    writer = ArchiveWriter(out, sealing, uuid.uuid4().hex)
    try:
        async with snapshot(db, writer.folder) as conn:
            revision = await export.revision(conn) or "none"
            entries = [
                await _write_table(conn, writer, t, on_progress, batch)
                for t in await export.store_tables(conn)
            ]
        manifest = Manifest(
            writer.backup_id, version, revision, db.dialect, time.time(), writer.key_id, entries
        )
        writer.finish(manifest)
        return manifest
    finally:
        writer.discard()


async def _write_table(
    conn: AsyncConnection, writer: ArchiveWriter, table: Table, on_progress: OnProgress, batch: int
) -> TableEntry:
    total = await export.count(conn, table)
    columns = [c.name for c in table.columns]
    digest = export.Digest()
    with writer.table_file(table.name) as (member, lines):
        on_progress(table.name, 0, total)
        async for rows in export.read_batches(conn, table, batch=batch):
            for values in rows:
                digest.add(columns, values)
                lines.write(export.dumps_row(values))
            on_progress(table.name, digest.rows, total)
    return writer.entry(table.name, member, columns, digest.rows, digest.hexdigest())


def check_archive(reader: ArchiveReader, keyring: Keyring | None) -> None:
    """Everything about an archive that can be known before writing: a schema revision this
    swarmstack knows, the key it is sealed under, and every file's checksum. Raises
    InvalidInput or SettingsError saying which and how to fix it."""
    manifest = reader.manifest
    known = _known_revisions()
    if manifest.schema_revision not in known:
        raise InvalidInput(
            f"{reader.path} was written by swarmstack {manifest.swarmstack_version} at schema "
            f"revision {manifest.schema_revision}, which this swarmstack does not know (it knows "
            f"up to {known[-1]}): the backup is from a newer schema",
            where=str(reader.path),
            fix="restore it with the swarmstack version that wrote it, or a newer one",
        )
    if manifest.key_id is not None and (keyring is None or not keyring.knows(manifest.key_id)):
        have = ", ".join(keyring.kids) if keyring is not None and keyring.kids else "none"
        raise SettingsError(
            f"{reader.path} is encrypted under key id {manifest.key_id}, which the keys set "
            f"here do not include (key ids: {have}): a missing or wrong encryption key",
            where="security.encryption_key",
            fix=_KEY_FIX,
        )
    reader.verify()
    _check_data_keys(reader, keyring)


def _check_data_keys(reader: ArchiveReader, keyring: Keyring | None) -> None:
    """Refuse an archive whose task data (sealed as stored, whether or not the archive itself
    is sealed) is under a key id the keys set here lack: restored, nothing could read it, and
    `up` would create a new key beside it and refuse to start."""
    sealed = {t.name: [c.name for c in cols] for t, cols in SEALED_COLUMNS.items()}
    found: set[str] = set()
    for entry in reader.manifest.tables:
        columns = [entry.columns.index(c) for c in sealed.get(entry.name, []) if c in entry.columns]
        if not columns or not entry.rows:
            continue
        for values in reader.rows(entry, keyring):
            found |= {k for i in columns if isinstance(values[i], str) and (k := kid_of(values[i]))}
    missing = sorted(k for k in found if keyring is None or not keyring.knows(k))
    if missing:
        have = ", ".join(keyring.kids) if keyring is not None and keyring.kids else "none"
        raise SettingsError(
            f"{reader.path} holds task data encrypted under key id(s) {', '.join(missing)}, "
            f"which the keys set here ({have}) do not include: a missing or wrong encryption "
            "key; nothing was restored",
            where="security.encryption_key",
            fix=_KEY_FIX,
        )


async def _count(conn: AsyncConnection, table: Table, where: ColumnElement[bool]) -> int:
    return int(
        (await conn.execute(select(func.count()).select_from(table).where(where))).scalar_one()
    )


def _known_revisions() -> list[str]:
    """Every revision of the packaged migrations, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(scripts.walk_revisions()))]


async def check_target(db: Database, force: bool) -> None:
    """Raise Conflict unless the store at `db` is empty (or has no schema), or `force`; and,
    `force` or not, when a manager or worker of it has sent a heartbeat within LIVE_S."""
    async with db.read() as conn:
        tables = await export.store_tables(conn)
        live = [
            f"{n} {t.name}"
            for t in tables
            if t.name in ("managers", "workers")
            and (n := await _count(conn, t, t.c.heartbeat_at >= db_now() - LIVE_S))
        ]
        if live:
            raise Conflict(
                f"the target store is in use: {' and '.join(live)} sent a heartbeat within the "
                f"last {LIVE_S:g} s; restoring under them would fail their work and mix their "
                "writes with the backup's rows",
                fix="stop every `swarmstack up` / `serve` on this store first, then run the "
                "restore again",
            )
        if force:
            return
        full = {t.name: n for t in tables if (n := await export.count(conn, t))}
    if full:
        rows = ", ".join(f"{name} {n}" for name, n in full.items())
        raise Conflict(
            f"the target store is not empty (rows: {rows})",
            fix="restore into an empty store (a new --data-dir or database), or pass --force to "
            "replace everything in it",
        )


async def restore_backup(
    reader: ArchiveReader,
    db: Database,
    keyring: Keyring | None,
    on_progress: OnProgress = _quiet,
) -> Restored:
    """Restore a checked archive (`check_archive`, `check_target`) into `db`: the schema at the
    backup's revision, every table in one transaction, then migrations to the newest revision.
    Raises InvalidInput when a table's rows differ from the manifest (nothing is kept)."""
    manifest = reader.manifest
    if db.is_sqlite:  # before any table exists, outside a transaction (it may VACUUM)
        await asyncio.to_thread(incremental_vacuum_mode, make_url(db.url).database or "")
    # One transaction from dropping the old tables to the last imported row: a restore that
    # fails or is interrupted anywhere leaves the target as it was (with --force: its old data).
    async with db.write() as conn:
        await _drop_store_tables(conn)
        await upgrade_on(conn, manifest.schema_revision)
        tables = {t.name: t for t in await export.store_tables(conn)}
        rows = {}
        for entry in manifest.tables:
            table = _target_table(tables, entry, reader)
            rows[entry.name] = await _import_table(conn, table, entry, reader, keyring, on_progress)
        await export.reset_sequences(conn, list(tables.values()))
    await migrate(db)
    async with db.read() as conn:
        head = await export.revision(conn) or "none"
    return Restored(rows, manifest.schema_revision, head, manifest.key_id)


async def _drop_store_tables(conn: AsyncConnection) -> None:
    """Drop swarmstack's tables (an empty store, or one `--force` replaces), so the schema can
    be built at the backup's revision; other tables in the database stay."""
    ours = {*metadata.tables, export.VERSION_TABLE}
    found = MetaData()
    await conn.run_sync(lambda sync: found.reflect(sync, only=lambda n, _m: n in ours))
    await conn.run_sync(found.drop_all)


def _target_table(tables: dict[str, Table], entry: TableEntry, reader: ArchiveReader) -> Table:
    table = tables.get(entry.name)
    missing = export.missing_columns(table, entry.columns) if table is not None else ["(all)"]
    if table is None or missing:
        raise InvalidInput(
            f"{reader.path}: table {entry.name} does not match schema revision "
            f"{reader.manifest.schema_revision} (missing columns: {', '.join(missing)})",
            fix="the archive is damaged or was edited: restore from an intact copy",
        )
    return table


async def _import_table(
    conn: AsyncConnection,
    table: Table,
    entry: TableEntry,
    reader: ArchiveReader,
    keyring: Keyring | None,
    on_progress: OnProgress,
) -> int:
    digest = export.Digest()
    batch: list[dict[str, Any]] = []
    on_progress(entry.name, 0, entry.rows)
    for values in reader.rows(entry, keyring):
        digest.add(entry.columns, values)
        batch.append(export.decode(table, entry.columns, values))
        if len(batch) >= export.BATCH:
            await export.insert(conn, table, batch)
            batch = []
            on_progress(entry.name, digest.rows, entry.rows)
    await export.insert(conn, table, batch)
    on_progress(entry.name, digest.rows, entry.rows)
    if (digest.rows, digest.hexdigest()) != (entry.rows, entry.rows_sha256):
        raise InvalidInput(
            f"{reader.path}: table {entry.name} holds {digest.rows} rows whose checksum differs "
            f"from its manifest ({entry.rows} rows): nothing was restored",
            fix="the archive is damaged or was edited: restore from an intact copy",
        )
    return digest.rows
