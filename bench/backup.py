"""Backup, restore and copy figures: a SQLite store of N finished tasks (3 step events each),
backed up, restored into a new SQLite file, and copied into PostgreSQL.

    .venv/bin/python -m bench.backup 20000 postgresql+asyncpg://postgres@127.0.0.1/bench_copy

The PostgreSQL database must exist and be empty. Prints one JSON object of seconds and bytes.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from swarmstack.core.ids import WorkerId, new_task_id
from swarmstack.core.records import NewTask, Outcome, OutcomeKind
from swarmstack.security.crypto import Keyring, new_key, parse_key
from swarmstack.store import Store, open_store
from swarmstack.store.backup import restore_backup, write_backup
from swarmstack.store.backup_archive import ArchiveReader
from swarmstack.store.copy import copy_store
from swarmstack.store.engine import Database

BATCH = 500


async def fill(store: Store, tasks: int) -> None:
    """`tasks` tasks, each claimed, with 3 step events, and succeeded."""
    worker = WorkerId("bench")
    for start in range(0, tasks, BATCH):
        now = time.time()
        batch = [
            NewTask(new_task_id(), "s", {"i": start + i}, 5, 1, 30.0, "bench", now)
            for i in range(min(BATCH, tasks - start))
        ]
        await store.tasks.submit_many(batch)
        claimed = await store.claims.claim(worker, ["s"], len(batch), now, 30)
        steps = [(t.id, f"step_{k}", {"k": k}, now) for t in claimed for k in range(3)]
        await store.events.append(steps)
        done = OutcomeKind.SUCCEEDED
        await store.claims.record(
            [Outcome(t.id, worker, t.attempts, done, now, result={"ok": 1}) for t in claimed]
        )


async def main(tasks: int, pg_url: str) -> dict[str, float]:
    keys = Keyring(parse_key(new_key(), "bench"))
    folder = Path(tempfile.mkdtemp(prefix="swarmstack-bench-backup-"))
    store = await open_store(f"sqlite+aiosqlite:///{folder / 'source.db'}", keyring=keys)
    await fill(store, tasks)
    started = time.monotonic()
    manifest = await write_backup(store.db, folder / "b.tar", keys, "bench")
    backed = time.monotonic() - started
    target = Database(f"sqlite+aiosqlite:///{folder / 'restored.db'}")
    reader = ArchiveReader(folder / "b.tar")
    started = time.monotonic()
    await restore_backup(reader, target, keys)
    restored = time.monotonic() - started
    reader.close()
    pg = Database(pg_url)
    started = time.monotonic()
    copied = await copy_store(store.db, pg)
    seconds = time.monotonic() - started
    rows = sum(t.rows for t in manifest.tables)
    for db in (store.db, target, pg):
        await db.dispose()
    return {
        "tasks": tasks,
        "rows": rows,
        "store_bytes": (folder / "source.db").stat().st_size,
        "backup_bytes": (folder / "b.tar").stat().st_size,
        "backup_s": round(backed, 2),
        "restore_s": round(restored, 2),
        "copy_s": round(seconds, 2),
        "copy_rows_per_s": round(rows / seconds),
        "copy_verified": copied.verified,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1]), sys.argv[2]))))
