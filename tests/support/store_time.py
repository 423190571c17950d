"""Move the store's clock forward in tests without waiting.

Leases, `run_at` and schedules are judged on the database's clock, which tests cannot set. Moving
every stored time back by `seconds` is the same, for every comparison the store makes, as the
database clock moving forward by `seconds`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update

from swarmstack.store import Store
from swarmstack.store.tables import leader_leases, task_events, tasks


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


async def age(store: Store, seconds: float, ids: Sequence[str] | None = None) -> None:
    """Make tasks (all, or those of `ids`) and their events `seconds` older: for retention,
    which compares `created_at` and `finished_at` with the database's clock."""
    where = [tasks.c.id.in_(list(ids))] if ids is not None else []
    event_where = [task_events.c.task_id.in_(list(ids))] if ids is not None else []
    async with store.db.write() as conn:
        await conn.execute(
            update(tasks)
            .where(*where)
            .values(
                created_at=tasks.c.created_at - seconds,
                finished_at=tasks.c.finished_at - seconds,
            )
        )
        await conn.execute(
            update(task_events)
            .where(*event_where)
            .values(created_at=task_events.c.created_at - seconds)
        )
