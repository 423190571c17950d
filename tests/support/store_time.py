"""Move the store's clock forward in tests without waiting.

Leases, `run_at` and schedules are judged on the database's clock, which tests cannot set. Moving
every stored time back by `seconds` is the same, for every comparison the store makes, as the
database clock moving forward by `seconds`.
"""

from __future__ import annotations

from sqlalchemy import update

from swarmstack.store import Store
from swarmstack.store.tables import leader_leases, tasks


async def travel(store: Store, seconds: float) -> None:
    """Make `seconds` pass on the store's clock for leases and schedules."""
    async with store.db.write() as conn:
        await conn.execute(
            update(tasks).values(
                run_at=tasks.c.run_at - seconds,
                lease_expires_at=tasks.c.lease_expires_at - seconds,
            )
        )
        await conn.execute(
            update(leader_leases).values(expires_at=leader_leases.c.expires_at - seconds)
        )
