"""SQLite: writers of one database file take turns across processes without sleeping.

SQLite lets one writer in at a time; a writer that finds the lock taken retries from its busy
handler, which sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and then 100 ms between tries
(`sqliteDefaultBusyCallback` in SQLite's source). With the manager and worker processes of
`swarmstack up --workers N` writing all the time, those sleeps, not the writes, set the pace.
So each process takes an exclusive `flock(2)` on `<database>-writer.lock` around its write
transactions: a waiting process is woken by the kernel the moment the holder lets go. BEGIN
IMMEDIATE still guards the file against writers that do not take this lock (the sqlite3 shell,
a backup).

Within a process the writer pool has one connection, so one coroutine at a time holds it and
takes this lock after it has the connection (`flock` locks belong to the open file, so two
coroutines of one process would not exclude each other here).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path


class FileWriteLock:
    """An exclusive flock on `path` (created with mode 0600), taken without blocking the event
    loop: at once when free, else by a thread that waits in the kernel."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._fd

    async def acquire(self) -> None:
        """Hold the lock; raises OSError when the lock file cannot be opened."""
        fd = self._file()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)

    def release(self) -> None:
        """Let the next writer in (nothing when not held)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the lock file (which also releases the lock)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
