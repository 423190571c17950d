"""The cross-process writer lock of a SQLite file: one holder at a time across processes, a
waiter woken when the holder lets go, and writes through `Database` taking it."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from swarmstack.store.engine import Database
from swarmstack.store.write_lock import FileWriteLock

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def holder(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the lock for `seconds`."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


async def test_a_waiter_gets_the_lock_when_the_other_process_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "db-writer.lock"
    other = holder(path, 0.5)
    lock = FileWriteLock(path)
    began = time.monotonic()
    beat = 0
    waiting = asyncio.create_task(lock.acquire())
    while not waiting.done():  # the event loop is free while the lock is waited for
        beat += 1
        await asyncio.sleep(0.01)
    await waiting
    assert time.monotonic() - began >= 0.4 and beat > 10
    other.communicate(timeout=5)
    assert other.returncode == 0
    probe = os.open(path, os.O_RDWR)
    try:  # held by us now: another open file cannot take it
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            raise AssertionError("the lock was free while held")
        except BlockingIOError:
            pass
        lock.release()
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once released
    finally:
        os.close(probe)
        lock.close()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


async def test_writes_wait_for_the_lock_and_release_it_after_commit(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        other = holder(tmp_path / "w.db-writer.lock", 0.5)
        began = time.monotonic()
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        assert time.monotonic() - began >= 0.4  # it waited for the other process's turn
        other.communicate(timeout=5)
        again = holder(tmp_path / "w.db-writer.lock", 0.0)  # free after our commit
        again.communicate(timeout=5)
        assert again.returncode == 0
    finally:
        await db.dispose()
