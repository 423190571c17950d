"""Signals over PostgreSQL LISTEN/NOTIFY: nodes sharing one database need nothing else."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from swarmstack.core.urls import asyncpg_dsn
from swarmstack.signals.remote import RemoteSignals


class PgSignals(RemoteSignals):
    """One dedicated connection: LISTEN for other nodes' signals, NOTIFY ours.

    An asyncpg connection runs one query at a time ("another operation is in progress"
    otherwise), so the keep-alive ping and the NOTIFYs of the send loop take turns (`_turn`).
    """

    channel = "swarmstack_signals"
    ping_s = 5.0  # how often the listener checks that the server is still there

    def __init__(self, store_url: str) -> None:
        super().__init__()
        self._dsn = asyncpg_dsn(store_url)
        self._conn: Any = None
        self._lost: asyncio.Event = asyncio.Event()
        self._turn = asyncio.Lock()

    async def _connect(self) -> None:
        self._lost = asyncio.Event()
        self._conn = await asyncpg.connect(self._dsn, timeout=5)
        self._conn.add_termination_listener(lambda _conn: self._lost.set())
        await self._conn.add_listener(self.channel, self._on_notify)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.received(payload)

    async def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    async def _publish(self, payload: str) -> None:
        async with self._turn:
            await self._conn.execute("SELECT pg_notify($1, $2)", self.channel, payload)

    async def _listen(self) -> None:
        while not self._lost.is_set():
            try:
                await asyncio.wait_for(self._lost.wait(), timeout=self.ping_s)
            except TimeoutError:
                async with self._turn:  # notices a dead server
                    await self._conn.fetchval("SELECT 1", timeout=5)
        raise ConnectionError("the PostgreSQL signals connection closed")
