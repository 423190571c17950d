"""Leader election on PostgreSQL: a session-level advisory lock held on a dedicated connection.

Whoever holds the lock leads. PostgreSQL frees it the moment the holder's session ends, so when
a leader dies another manager leads at its next tick, with no lease to wait out.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg

from swarmstack.core.urls import asyncpg_dsn

log = logging.getLogger(__name__)
LOCK_KEY = 0x5357_4D53  # "SWMS": one lock per database


class AdvisoryLock:
    """`hold()` is True while this process holds the lock."""

    def __init__(self, store_url: str, key: int = LOCK_KEY) -> None:
        self._dsn = asyncpg_dsn(store_url)
        self._key = key
        self._conn: Any = None
        self._held = False

    async def hold(self) -> bool:
        """Keep or try to take the lock; False (never an error) while PostgreSQL is away."""
        try:
            if self._conn is None or self._conn.is_closed():
                self._held = False
                self._conn = await asyncpg.connect(self._dsn, timeout=5)
            if self._held:
                await self._conn.fetchval("SELECT 1", timeout=5)
            else:
                self._held = bool(
                    await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self._key)
                )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            log.warning("leader lock connection lost (%s); will retry", exc)
            await self.release()
        return self._held

    async def release(self) -> None:
        """Drop the lock (by closing its session)."""
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None and not conn.is_closed():
            conn.terminate()
