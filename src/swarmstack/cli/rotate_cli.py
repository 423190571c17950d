"""`swarmstack keys rotate-data`: a new data key, and every stored value re-encrypted under it,
while the nodes keep running (docs/security.md, "Encryption at rest").

Keys in a key file (`up`'s `<data_dir>/encryption.key`, or `security.encryption_key_file`):
the new key goes on top of the file and the old ones stay below it to decrypt; running nodes
re-read the file within seconds, and at once when they meet the new key id. Keys set in the
settings cannot be written from here: set the new key as `encryption_key` and the old one among
`encryption_previous_keys` on every node (restart or SIGHUP), then run this command, which then
re-encrypts under the configured key. Runs against the store directly, in batches. Registered
as `keys rotate-data` in `cli.main`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress as Bar
from rich.progress import TaskID

from swarmstack.cli.node import run_loop
from swarmstack.cli.output import console, escape, note
from swarmstack.errors import SettingsError
from swarmstack.security.crypto import Keyring, key_id, parse_key
from swarmstack.security.keyfile import add_key, with_default_key_file
from swarmstack.security.keyring import CHECK_S, load_keyring
from swarmstack.settings import Settings, load_settings
from swarmstack.store import check_keys, open_store
from swarmstack.store.reencrypt import BATCH, Progress, reencrypt

SETTLE_S = CHECK_S + 1.0  # running nodes notice a changed key file within CHECK_S


def rotate_data(
    data_dir: Annotated[
        Path | None, typer.Option(help="Embedded store directory (as given to `up`).")
    ] = None,
    keep_key: Annotated[
        bool,
        typer.Option("--keep-key", help="Add no key: re-encrypt under the current one."),
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction.")] = BATCH,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Add a data key (to the key file) and re-encrypt all stored task data under it, in
    batches, while the nodes run. Values stored in plain text are encrypted too."""
    settings = _settings(data_dir)
    found: list[tuple[list[Progress], Keyring, str | None]] = []

    async def main() -> None:
        found.append(await _run(settings, keep_key, batch, as_json))

    run_loop(main())
    tables, keyring, added = found[0]
    _report(tables, keyring, settings.security.encryption_key_file, added, as_json)


def _settings(data_dir: Path | None) -> Settings:
    settings, _ = with_default_key_file(load_settings(data_dir=data_dir), create=False)
    if not settings.security.encryption:
        raise SettingsError(
            "encryption at rest is off (security.encryption = false): nothing to re-encrypt",
            where="security.encryption",
            fix="turn it on and set a key first",
        )
    return settings


async def _run(
    settings: Settings, keep_key: bool, batch: int, as_json: bool
) -> tuple[list[Progress], Keyring, str | None]:
    """Check the keys open the store, add a key unless `keep_key`, then re-encrypt."""
    keyring = load_keyring(settings.security)
    store = await open_store(settings.store_url(), existing=True, keyring=keyring)
    try:
        await check_keys(store.db, keyring)
        added = None if keep_key else _add_key(settings, as_json)
        if added is not None:
            keyring = load_keyring(settings.security)
            await asyncio.sleep(SETTLE_S)  # running nodes switch to the new key first
        if as_json:
            return await reencrypt(store.db, keyring, batch), keyring, added
        with Bar(console=console, transient=False) as bar:
            shown: dict[str, TaskID] = {}

            def report(p: Progress) -> None:
                if p.table not in shown:
                    shown[p.table] = bar.add_task(p.table, total=max(p.rows, 1))
                bar.update(shown[p.table], completed=min(p.scanned, max(p.rows, 1)))

            return await reencrypt(store.db, keyring, batch, report), keyring, added
    finally:
        await store.close()


def _add_key(settings: Settings, as_json: bool) -> str | None:
    """A new key on top of the key file; its id (None when the key is set in the settings)."""
    key_file = settings.security.encryption_key_file
    if key_file is None:
        _say(
            as_json,
            "the key is set in the settings, so no key is added here: re-encrypting "
            "under it (to rotate: docs/security.md, 'Rotating keys')",
        )
        return None
    try:
        added = key_id(parse_key(add_key(key_file), str(key_file)))
    except OSError as exc:
        raise SettingsError(
            f"cannot write the key file {key_file}: {exc.strerror}",
            where="security.encryption_key_file",
            fix="put a new key (`openssl rand -base64 32`) on top of it where it is kept (a "
            "mounted Secret, say), wait for the nodes to re-read it, then run with --keep-key",
        ) from exc
    _say(as_json, f"added key id {added} on top of {key_file}; the older keys stay to decrypt")
    return added


def _report(
    tables: list[Progress],
    keyring: Keyring,
    key_file: Path | None,
    added: str | None,
    as_json: bool,
) -> None:
    remaining = sum(t.remaining for t in tables)
    if as_json:
        body = {
            "key_id": keyring.current_kid,
            "added_key": added is not None,
            "key_file": str(key_file) if key_file else None,
            "tables": [t.as_dict() for t in tables],
            "remaining": remaining,
        }
        sys.stdout.write(json.dumps(body) + "\n")
        return
    for t in tables:
        console.print(
            escape(f"{t.table}: {t.scanned:,} rows read, {t.resealed:,} values re-encrypted"),
            highlight=False,
        )
    if remaining:
        note(
            f"{remaining} values are still under older keys (written meanwhile by a node that "
            "had not switched keys yet): run the command again with --keep-key"
        )
    else:
        console.print(
            escape(f"every value is encrypted under key id {keyring.current_kid}"), highlight=False
        )


def _say(as_json: bool, text: str) -> None:
    if as_json:
        sys.stderr.write(text + "\n")
    else:
        console.print(escape(text), highlight=False)
