"""Workers and leadership: registration, heartbeats, and a leader lease row.

The leader lease is a row that one owner renews; another process takes it over once it expires.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.errors import StoreConflict
from swarmstack.store.clock import db_now
from swarmstack.store.engine import Database
from swarmstack.store.tables import leader_leases, managers, workers


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A registered worker as last seen."""

    id: str
    host: str
    pid: int
    swarms: list[str]
    in_flight: int
    started_at: float
    heartbeat_at: float
    versions: tuple[str, ...] = ()  # swarm@version it can run


async def _insert_worker(conn: AsyncConnection, info: WorkerInfo) -> None:
    await conn.execute(
        insert(workers).values(
            id=info.id,
            host=info.host[:200],
            pid=info.pid,
            swarms=json.dumps(info.swarms),
            in_flight=info.in_flight,
            started_at=info.started_at,
            heartbeat_at=db_now(),
            versions=json.dumps(list(info.versions)),
        )
    )


@dataclass(frozen=True, slots=True)
class ManagerInfo:
    """A manager as last seen."""

    id: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float


class ClusterStore:
    """Who is alive and who leads."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def register(self, info: WorkerInfo) -> None:
        """Add (or replace) a worker row, with the versions it runs."""
        async with self.db.write() as conn:
            await conn.execute(delete(workers).where(workers.c.id == info.id))
            await _insert_worker(conn, info)

    async def set_versions(self, worker_id: str, versions: list[str]) -> None:
        """Record the `swarm@version`s a worker can run (the leader reports versions no live
        worker runs)."""
        async with self.db.write() as conn:
            await conn.execute(
                update(workers)
                .where(workers.c.id == worker_id)
                .values(versions=json.dumps(versions))
            )

    async def beat(self, info: WorkerInfo) -> bool:
        """Mark a worker alive (on the database's clock) with its load; a worker whose row is
        gone (the leader forgets workers silent for long, e.g. one that was paused) is
        registered again, with `info.versions`. False when it had to be. A beat leaves the
        recorded versions alone: `set_versions` writes them when they change, and a beat that
        read them before a change must not put the old list back."""
        async with self.db.write() as conn:
            seen = await conn.execute(
                update(workers)
                .where(workers.c.id == info.id)
                .values(in_flight=info.in_flight, heartbeat_at=db_now())
            )
            if seen.rowcount:
                return True
            await _insert_worker(conn, info)
            return False

    async def deregister(self, worker_id: str) -> None:
        """Remove a worker row (clean shutdown)."""
        async with self.db.write() as conn:
            await conn.execute(delete(workers).where(workers.c.id == worker_id))

    async def workers(self, alive_within_s: float | None = None) -> list[WorkerInfo]:
        """Workers whose last heartbeat is at most `alive_within_s` seconds old on the
        database's clock (all workers when None)."""
        query = select(workers).order_by(workers.c.id)
        if alive_within_s is not None:
            query = query.where(workers.c.heartbeat_at >= db_now() - alive_within_s)
        async with self.db.read() as conn:
            rows = await conn.execute(query)
            return [
                WorkerInfo(
                    r.id,
                    r.host,
                    r.pid,
                    json.loads(r.swarms),
                    r.in_flight,
                    r.started_at,
                    r.heartbeat_at,
                    tuple(json.loads(r.versions)) if r.versions else (),
                )
                for r in rows
            ]

    async def prune(self, silent_for_s: float) -> int:
        """Forget workers and managers silent for more than `silent_for_s` seconds (on the
        database's clock); the number of workers forgotten."""
        async with self.db.write() as conn:
            cutoff = db_now() - silent_for_s
            result = await conn.execute(delete(workers).where(workers.c.heartbeat_at < cutoff))
            await conn.execute(delete(managers).where(managers.c.heartbeat_at < cutoff))
            return int(result.rowcount or 0)

    async def beat_manager(self, info: ManagerInfo) -> None:
        """Record that a manager is alive (insert on its first beat)."""
        async with self.db.write() as conn:
            seen = await conn.execute(
                update(managers).where(managers.c.id == info.id).values(heartbeat_at=db_now())
            )
            if not seen.rowcount:
                await conn.execute(
                    insert(managers).values(
                        id=info.id,
                        host=info.host[:200],
                        pid=info.pid,
                        started_at=info.started_at,
                        heartbeat_at=db_now(),
                    )
                )

    async def forget_manager(self, manager_id: str) -> None:
        """Remove a manager that stops."""
        async with self.db.write() as conn:
            await conn.execute(delete(managers).where(managers.c.id == manager_id))

    async def managers(self, alive_within_s: float) -> list[ManagerInfo]:
        """Managers seen in the last `alive_within_s` seconds (database clock), oldest first."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(managers)
                .where(managers.c.heartbeat_at > db_now() - alive_within_s)
                .order_by(managers.c.started_at)
            )
            return [ManagerInfo(r.id, r.host, r.pid, r.started_at, r.heartbeat_at) for r in rows]

    async def acquire(self, name: str, owner: str, now: float, ttl_s: float) -> bool:
        """Take or renew the lease `name`; True while `owner` holds it. Atomic: of managers
        racing for a free lease exactly one gets it."""
        lease = leader_leases.c
        try:
            async with self.db.write() as conn:
                taken = await conn.execute(
                    update(leader_leases)
                    .where(
                        lease.name == name, or_(lease.owner == owner, lease.expires_at <= db_now())
                    )
                    .values(owner=owner, expires_at=db_now() + ttl_s)
                )
                if taken.rowcount:
                    return True
                held = (await conn.execute(select(lease.name).where(lease.name == name))).first()
                if held is not None:
                    return False
                await conn.execute(
                    insert(leader_leases).values(
                        name=name, owner=owner, expires_at=db_now() + ttl_s
                    )
                )
                return True
        except StoreConflict:
            return False  # another manager created the lease first

    async def publish(self, name: str, owner: str, now: float, ttl_s: float) -> None:
        """Record `owner` as the holder of `name` (its lock was won elsewhere, e.g. an
        advisory lock), so that every manager can show who leads."""
        lease = leader_leases.c
        try:
            async with self.db.write() as conn:
                shown = await conn.execute(
                    update(leader_leases)
                    .where(lease.name == name)
                    .values(owner=owner, expires_at=db_now() + ttl_s)
                )
                if not shown.rowcount:
                    await conn.execute(
                        insert(leader_leases).values(
                            name=name, owner=owner, expires_at=db_now() + ttl_s
                        )
                    )
        except StoreConflict:
            return  # another manager inserted the row; the next tick updates it

    async def release(self, name: str, owner: str) -> None:
        """Give up lease `name` if `owner` holds it."""
        async with self.db.write() as conn:
            await conn.execute(
                delete(leader_leases).where(
                    leader_leases.c.name == name, leader_leases.c.owner == owner
                )
            )

    async def leader(self, name: str, now: float) -> str | None:
        """The current holder of lease `name`, if unexpired on the database's clock (`now` is
        unused)."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(leader_leases.c.owner).where(
                        leader_leases.c.name == name, leader_leases.c.expires_at > db_now()
                    )
                )
            ).first()
        return row.owner if row is not None else None
