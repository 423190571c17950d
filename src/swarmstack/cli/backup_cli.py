"""`swarmstack backup OUT` and `swarmstack restore IN`: a store to an archive and back.

Both take the store the way `up` and `serve` do (`--data-dir`, SWARMSTACK_STORE__URL,
DATABASE_URL, config.toml) and its keys the same way (SWARM_ENCRYPTION_KEY, a key file, or
`<data_dir>/encryption.key`). Backup runs beside a running service and needs an existing store;
restore creates the store it restores into. The work is in `store.backup`; this module parses,
shows progress and reports (docs/operations.md, "Backup and restore").
Exit codes: 0 done, 1 failed or refused, 2 bad usage.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.progress import Progress, TaskID

from swarmstack import __version__
from swarmstack.cli.node import run_loop
from swarmstack.cli.output import console, escape, mask_url, note
from swarmstack.errors import InvalidInput
from swarmstack.security.crypto import Keyring
from swarmstack.security.keyfile import with_default_key_file
from swarmstack.security.keyring import load_keyring
from swarmstack.settings import Settings, load_layers
from swarmstack.store.backup import (
    OnProgress,
    Restored,
    check_archive,
    check_target,
    restore_backup,
    write_backup,
)
from swarmstack.store.backup_archive import ArchiveReader, Manifest
from swarmstack.store.engine import Database
from swarmstack.store.existing import has_schema, missing_sqlite_file, no_store_here

DataDir = Annotated[
    Path | None, typer.Option(help="Embedded store directory (as for `swarmstack up`).")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
_T = TypeVar("_T")


def backup(
    out: Annotated[Path, typer.Argument(help="The archive to write (a new file, a tar).")],
    data_dir: DataDir = None,
    as_json: Json = False,
) -> None:
    """Write a consistent backup of the store to OUT while the service runs: every table, a
    manifest with counts and checksums, sealed under the at-rest key when one is set."""
    _check_out(out)
    settings = _settings(data_dir)
    if missing_sqlite_file(settings.store_url()) is not None:  # before opening creates its folder
        raise no_store_here(settings.store_url())
    keyring = _keyring(settings)
    started = time.monotonic()

    async def run(db: Database, on_progress: OnProgress) -> Manifest:
        if not await has_schema(db):
            raise no_store_here(db.url)
        try:
            return await write_backup(db, out, keyring, __version__, on_progress)
        except OSError as exc:
            raise InvalidInput(
                f"cannot write the backup {out}: {exc.strerror or exc}",
                where=str(out),
                fix="choose a folder with room that this user can write",
            ) from exc

    manifest = _run(settings, as_json, run)
    _report_backup(manifest, out, time.monotonic() - started, settings, as_json)


def restore(
    archive: Annotated[Path, typer.Argument(help="An archive `swarmstack backup` wrote.")],
    data_dir: DataDir = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace everything in a store that is not empty.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Restore a backup into an empty store (creating it), after checking the archive's
    checksums, schema revision and key; older backups are migrated to the newest schema."""
    settings = _settings(data_dir)
    keyring = _keyring(settings)
    reader = ArchiveReader(archive)
    try:
        check_archive(reader, keyring)  # before anything is written

        async def run(db: Database, on_progress: OnProgress) -> Restored:
            await check_target(db, force)
            return await restore_backup(reader, db, keyring, on_progress)

        restored = _run(settings, as_json, run)
    finally:
        reader.close()
    _report_restore(restored, archive, settings, as_json)


def _check_out(out: Path) -> None:
    if out.exists():
        raise typer.BadParameter(f"{out} exists: give a new file name", param_hint="OUT")
    if not out.parent.is_dir():
        raise typer.BadParameter(f"no folder {out.parent} to write into", param_hint="OUT")


def _settings(data_dir: Path | None) -> Settings:
    return load_layers(overrides={"data_dir": data_dir}).settings


def _keyring(settings: Settings) -> Keyring | None:
    """The keys `up`/`serve` would use (None when encryption is on and none is set)."""
    settings, _ = with_default_key_file(settings, create=False)
    security = settings.security
    if security.encryption and not (security.encryption_key or security.encryption_key_file):
        return None  # the report says the backup is not encrypted
    return load_keyring(security)


def _run(
    settings: Settings,
    as_json: bool,
    action: Callable[[Database, OnProgress], Awaitable[_T]],
) -> _T:
    found: list[_T] = []

    async def main() -> None:
        db = Database(settings.store_url(), pool_size=2, max_overflow=0)
        try:
            with _bars(as_json) as on_progress:
                found.append(await action(db, on_progress))
        finally:
            await db.dispose()

    run_loop(main())
    return found[0]


@contextmanager
def _bars(quiet: bool) -> Iterator[OnProgress]:
    """A progress bar per table (none with `quiet`)."""
    if quiet:
        yield lambda _table, _done, _total: None
        return
    with Progress(console=console, transient=False) as bars:
        shown: dict[str, TaskID] = {}

        def update(table: str, done: int, total: int | None) -> None:
            if table not in shown:
                shown[table] = bars.add_task(table, total=max(total or 0, 1))
            bars.update(shown[table], completed=done if total else 1)

        yield update


def _report_backup(
    manifest: Manifest, out: Path, seconds: float, settings: Settings, as_json: bool
) -> None:
    size = out.stat().st_size
    rows = {t.name: t.rows for t in manifest.tables}
    if as_json:
        body = {"path": str(out), "bytes": size, "seconds": round(seconds, 3), "rows": rows}
        sys.stdout.write(json.dumps({**body, "manifest": manifest.as_dict()}) + "\n")
        return
    sealed = f"encrypted under key id {manifest.key_id}" if manifest.key_id else "not encrypted"
    console.print(
        escape(
            f"backed up {mask_url(settings.store_url())} (schema {manifest.schema_revision}) to "
            f"{out}: {sum(rows.values()):,} rows, {size:,} bytes, {seconds:.1f} s, {sealed}"
        ),
        highlight=False,
    )


def _report_restore(restored: Restored, archive: Path, settings: Settings, as_json: bool) -> None:
    if as_json:
        body = {
            "path": str(archive),
            "rows": restored.rows,
            "from_revision": restored.from_revision,
            "to_revision": restored.to_revision,
            "key_id": restored.key_id,
        }
        sys.stdout.write(json.dumps(body) + "\n")
        return
    for name, count in restored.rows.items():
        console.print(escape(f"{name}: {count:,} rows"), highlight=False)
    migrated = (
        f", migrated {restored.from_revision} -> {restored.to_revision}"
        if restored.from_revision != restored.to_revision
        else ""
    )
    console.print(
        escape(f"restored {archive} into {mask_url(settings.store_url())}{migrated}"),
        highlight=False,
    )
    if restored.key_id:
        note(f"task data is encrypted under key id {restored.key_id}: run with that key")
