"""Re-encryption of stored task data under the current key (`swarmstack keys rotate-data`).

Walks each table with task data in primary-key order, `batch` rows at a time, one short
transaction per batch, while the nodes keep running. A value not sealed under the current key
(an older key, or plain text stored before encryption was on) is opened and sealed again, and
written back by a guarded `UPDATE t SET col = :new WHERE id = :id AND col = :old`: a value that
a node changed meanwhile is left as that node wrote it, so no write is ever lost. No read fails
meanwhile as long as every node can open both key ids (`security.keyring`). At the end, one
count per column says how many values are still not under the current key (written by a node
that had not switched keys yet: run the command again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, bindparam, func, select, update

from swarmstack.errors import SettingsError
from swarmstack.security.crypto import SEALED, Sealer, kid_of
from swarmstack.store.engine import Database
from swarmstack.store.sealed import SEALED_COLUMNS, name_of

BATCH = 500


@dataclass
class Progress:
    """One table's re-encryption so far."""

    table: str
    rows: int = 0  # rows in the table when the pass began (for a progress bar)
    scanned: int = 0  # rows read
    resealed: int = 0  # values sealed again (guarded: one changed meanwhile stays as written)
    remaining: int = 0  # values not under the current key after the pass

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly values."""
        return dict(self.__dict__)


Report = Callable[[Progress], None]


async def reencrypt(
    db: Database, keys: Sealer, batch: int = BATCH, report: Report | None = None
) -> list[Progress]:
    """Re-encrypt every table with task data under `keys.current_kid`; each table's progress.
    `report` is called after each batch. Raises SettingsError when encryption is off,
    UnknownKey for a value under a key `keys` lacks, StoreUnavailable when the store fails
    (run again: the pass is idempotent)."""
    if keys.current_kid is None:
        raise SettingsError(
            "encryption at rest is off, so there is no key to re-encrypt under",
            where="security.encryption",
            fix="turn encryption on and set a key first",
        )
    done = []
    for table, columns in SEALED_COLUMNS.items():
        progress = Progress(table.name, rows=await _count(db, table))
        await _table(db, keys, table, columns, batch, progress, report or (lambda _: None))
        progress.remaining = await not_current(db, table, columns, keys.current_kid)
        done.append(progress)
    return done


async def _table(
    db: Database,
    keys: Sealer,
    table: Table,
    columns: tuple[Column[Any], ...],
    batch: int,
    progress: Progress,
    report: Report,
) -> None:
    key = table.primary_key.columns.values()[0]
    after: Any = None
    while True:
        query = select(key, *columns).order_by(key).limit(batch)
        if after is not None:
            query = query.where(key > after)
        async with db.read() as conn:
            rows = list((await conn.execute(query)).all())
        if not rows:
            return
        after = rows[-1][0]
        await _rewrite(db, keys, table, key, columns, rows, progress)
        progress.scanned += len(rows)
        report(progress)


async def _rewrite(
    db: Database,
    keys: Sealer,
    table: Table,
    key: Column[Any],
    columns: tuple[Column[Any], ...],
    rows: list[Any],
    progress: Progress,
) -> None:
    current = keys.current_kid
    async with db.write() as conn:
        for i, column in enumerate(columns, start=1):
            name = name_of(column)
            changes = [
                {"pk": row[0], "old": row[i], "new": keys.seal(keys.open(row[i], name), name)}
                for row in rows
                if row[i] is not None and kid_of(row[i]) != current
            ]
            if changes:
                guarded = (
                    update(table)
                    .where(key == bindparam("pk"), column == bindparam("old"))
                    .values({column.name: bindparam("new")})
                )
                await conn.execute(guarded, changes)
                progress.resealed += len(changes)


async def not_current(
    db: Database, table: Table, columns: tuple[Column[Any], ...], kid: str
) -> int:
    """How many values of `columns` are not sealed under `kid` (one scan per column)."""
    total = 0
    async with db.read() as conn:
        for column in columns:
            query = select(func.count()).where(
                column.is_not(None), ~column.startswith(f"{SEALED}{kid}:", autoescape=True)
            )
            total += int((await conn.execute(query)).scalar() or 0)
    return total


async def _count(db: Database, table: Table) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar() or 0)
