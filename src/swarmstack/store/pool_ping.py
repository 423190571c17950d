"""Check a pooled PostgreSQL connection before use in one round trip, or only once it sat idle.

SQLAlchemy's `pool_pre_ping` checks every connection at every checkout; with asyncpg outside
autocommit its check is three round trips (BEGIN, an empty query, ROLLBACK), and a transaction
checks out a connection each time: 7 % of a manager's CPU and 6 % of a worker's under load
(docs/benchmarks.md, (d)). Here the check is one `SELECT 1` in the simple query protocol, and a
connection that fails it is replaced before the caller sees it (SQLAlchemy's documented way:
raise `DisconnectionError` from a "checkout" event, and the pool retries with another
connection; "Disconnect Handling - Pessimistic" in its pooling docs).

`idle_s` (`store.ping_after_idle`, 0 by default) checks only connections idle for longer than
that. It saves the check's round trip per transaction, and trades this: a connection that broke
while in use a moment ago (a server restart, a proxy that dropped it) fails the one statement
that finds it broken; SQLAlchemy then invalidates every connection opened before, the store
answers StoreUnavailable (503 with Retry-After, or a retry in a worker's loop), and the next
checkout connects afresh. A manager's own loops use its connections every second, so with
`idle_s` >= 1 even an idle manager's first request after such a drop gets that 503.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_

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
        event.listen(target, "connect", self._connected)
        event.listen(target, "checkin", self._checked_in)
        event.listen(target, "checkout", self._checkout)

    def _connected(self, dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = None  # just opened: nothing to check yet

    def _checked_in(self, dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None:
            return
        idle = time.monotonic() - since
        if idle <= self.idle_s:
            return
        self.pings += 1
        try:
            # One round trip, in the simple query protocol (no prepared statement, so safe
            # behind a transaction-pooling PgBouncer); SQLAlchemy's own ping takes three.
            await_(record.driver_connection.execute("SELECT 1"))
        except Exception as exc:
            self.replaced += 1
            raise DisconnectionError(f"a pooled connection idle for {idle:.1f}s is gone") from exc
