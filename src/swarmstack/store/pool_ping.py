"""Check a pooled PostgreSQL connection before use only when it has sat idle.

SQLAlchemy's `pool_pre_ping` checks every connection at every checkout; with asyncpg outside
autocommit that check is three round trips (BEGIN, an empty query, ROLLBACK), and a transaction
checks out a connection each time: it was 7 % of a manager's CPU and 6 % of a worker's under
load (docs/benchmarks.md, (d)). A connection that was in use a moment ago is as good as the
check would say, so here only a connection idle for longer than `idle_s` is checked (one ping);
one that fails is replaced before the caller sees it (SQLAlchemy's documented way: raise
`DisconnectionError` from a "checkout" event, and the pool retries with another connection,
"Disconnect Handling - Pessimistic" in its pooling docs).

What is traded: a connection that breaks while in steady use (a server restart under load)
fails the one statement that finds it broken; SQLAlchemy then invalidates every connection
opened before, the store answers StoreUnavailable (503 with Retry-After, or a retry in a
worker's loop), and the next checkout connects afresh. `idle_s = 0` checks every checkout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

_IDLE_SINCE = "swarmstack_idle_since"


@dataclass
class IdlePing:
    """The check, and what it did: `pings` made, `replaced` connections found broken."""

    idle_s: float
    pings: int = 0
    replaced: int = 0

    def attach(self, engine: AsyncEngine) -> None:
        """Check `engine`'s pooled connections at checkout when idle longer than `idle_s`."""
        target = engine.sync_engine
        event.listen(target, "connect", self._fresh)
        event.listen(target, "checkin", self._fresh)
        event.listen(target, "checkout", self._checkout)

    def _fresh(self, dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle = time.monotonic() - record.info.get(_IDLE_SINCE, 0.0)
        if idle <= self.idle_s:
            return
        self.pings += 1
        try:
            dbapi_connection.ping()
        except Exception as exc:
            self.replaced += 1
            raise DisconnectionError(f"a pooled connection idle for {idle:.1f}s is gone") from exc
