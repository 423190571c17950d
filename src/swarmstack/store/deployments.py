"""Deployments (immutable versions of swarms) and each swarm's rollout state.

A deployment is stored once per content: deploying identical content again returns the stored
version; a `release` label reused with other content is a Conflict. Each swarm has one
`rollouts` row (stable, candidate, weight, the state as JSON and a `generation` counter). Every
change to it is a compare-and-set on `generation`, so the leader's controller and an operator's
command never overwrite each other: the loser re-reads and decides again. A change that retires
a version moves the queued tasks of versions the swarm no longer runs to its stable version, in
the same transaction (`store.reroute`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.ids import new_task_id
from swarmstack.core.rollout_types import RolloutState, VersionStats
from swarmstack.errors import Conflict, NotFound, StoreConflict
from swarmstack.security.crypto import Keyring, Sealer
from swarmstack.store import reroute
from swarmstack.store.codec import dumps, storable_text
from swarmstack.store.engine import Database
from swarmstack.store.tables import deployments, rollout_history, rollouts
from swarmstack.store.version_stats import version_stats


@dataclass(frozen=True, slots=True)
class Deployment:
    """One immutable version of a swarm."""

    id: str
    swarm: str
    version: str
    content_hash: str
    spec: dict[str, Any]
    code_version: str | None
    created_at: float
    created_by: str
    message: str


@dataclass(frozen=True, slots=True)
class Route:
    """Where new tasks of a swarm go: `weight` percent to `candidate`, the rest to `stable`."""

    swarm: str
    stable: str
    candidate: str | None
    weight: int
    generation: int


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One line of a swarm's rollout history."""

    id: int
    swarm: str
    action: str
    version: str | None
    previous: str | None
    by: str
    message: str
    created_at: float


class DeploymentStore:
    """Deployments, routes and rollout states."""

    def __init__(self, db: Database, keys: Sealer | None = None) -> None:
        self.db = db
        self.keys: Sealer = keys if keys is not None else Keyring()

    async def add(
        self,
        swarm: str,
        version: str,
        content_hash: str,
        spec: dict[str, Any],
        *,
        code_version: str | None,
        by: str,
        message: str,
        now: float,
    ) -> tuple[Deployment, bool]:
        """Store a version; (deployment, created). Identical content returns the stored one.

        Raises Conflict when `version` names other content of the same swarm."""
        attempt = functools.partial(
            self._add, swarm, version, content_hash, spec, code_version, by, message, now
        )
        try:
            return await attempt()
        except StoreConflict:  # another manager stored the same version at the same instant
            return await attempt()

    async def _add(
        self,
        swarm: str,
        version: str,
        content_hash: str,
        spec: dict[str, Any],
        code_version: str | None,
        by: str,
        message: str,
        now: float,
    ) -> tuple[Deployment, bool]:
        async with self.db.write() as conn:
            same = await _one(
                conn,
                deployments.c.swarm == swarm,
                deployments.c.content_hash == content_hash,
            )
            if same is not None:
                return same, False
            named = await _one(conn, deployments.c.swarm == swarm, deployments.c.version == version)
            if named is not None and named.content_hash == content_hash:
                return named, False  # stored by another writer between the two reads
            if named is not None:
                raise Conflict(
                    f"version {version!r} of swarm {swarm!r} is already deployed with other "
                    f"content (deployment {named.id})",
                    fix="give the changed spec a new `release`, or leave `release` unset so the "
                    "version is named by its content hash",
                )
            row = {
                "id": "d_" + new_task_id()[2:],
                "swarm": swarm,
                "version": version,
                "content_hash": content_hash,
                "spec": dumps(spec),
                "code_version": code_version,
                "created_at": now,
                "created_by": by[:80],
                "message": storable_text(message) or "",
            }
            await conn.execute(insert(deployments).values(**row))
            await _history(conn, swarm, "deploy", version, None, by, message or "", now)
        return _deployment({**row, "spec": spec}), True

    async def get(self, swarm: str, version: str) -> Deployment:
        """One version of a swarm; NotFound when there is none."""
        async with self.db.read() as conn:
            found = await _one(conn, deployments.c.swarm == swarm, deployments.c.version == version)
        if found is None:
            raise NotFound(
                f"swarm {swarm!r} has no version {version!r}",
                fix=f"list its versions with `swarmstack deployments list --swarm {swarm}`",
            )
        return found

    async def by_id(self, deployment_id: str) -> Deployment:
        """One deployment by id; NotFound when there is none."""
        async with self.db.read() as conn:
            found = await _one(conn, deployments.c.id == deployment_id)
        if found is None:
            raise NotFound(f"no deployment {deployment_id!r}", fix="check the id")
        return found

    async def versions(self, swarm: str | None = None, limit: int = 100) -> list[Deployment]:
        """Deployments, newest first (of one swarm when given)."""
        query = select(deployments).order_by(deployments.c.created_at.desc()).limit(limit)
        if swarm is not None:
            query = query.where(deployments.c.swarm == swarm)
        async with self.db.read() as conn:
            return [_deployment(dict(r._mapping)) for r in await conn.execute(query)]

    async def named(self, pairs: Sequence[tuple[str, str]]) -> list[Deployment]:
        """The deployments named by (swarm, version) pairs (for nodes loading versions)."""
        if not pairs:
            return []
        wanted = set(pairs)
        swarms = sorted({swarm for swarm, _ in pairs})
        query = select(deployments).where(deployments.c.swarm.in_(swarms))
        async with self.db.read() as conn:
            rows = [_deployment(dict(r._mapping)) for r in await conn.execute(query)]
        return [d for d in rows if (d.swarm, d.version) in wanted]

    # --- routes and rollout states ------------------------------------------------------------
    async def routes(self) -> list[Route]:
        """Every swarm's route (small: one row per swarm)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(
                    rollouts.c.swarm,
                    rollouts.c.stable,
                    rollouts.c.candidate,
                    rollouts.c.weight,
                    rollouts.c.generation,
                )
            )
            return [Route(r.swarm, r.stable, r.candidate, r.weight, r.generation) for r in rows]

    async def state(self, swarm: str) -> tuple[RolloutState, int] | None:
        """A swarm's rollout state and its generation, or None before its first deploy."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(rollouts.c.state, rollouts.c.generation).where(rollouts.c.swarm == swarm)
                )
            ).first()
        if row is None:
            return None
        return RolloutState.from_dict(json.loads(row.state)), int(row.generation)

    async def plan(self, swarm: str) -> dict[str, Any] | None:
        """The strategy override stored with the swarm's current candidate, if any."""
        async with self.db.read() as conn:
            value = (
                await conn.execute(select(rollouts.c.plan).where(rollouts.c.swarm == swarm))
            ).scalar()
        return None if value is None else dict(json.loads(value))

    async def states(self) -> list[tuple[str, RolloutState, int]]:
        """Every swarm's rollout state and generation."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rollouts.c.swarm, rollouts.c.state, rollouts.c.generation)
            )
            return [
                (r.swarm, RolloutState.from_dict(json.loads(r.state)), int(r.generation))
                for r in rows
            ]

    async def save_state(
        self,
        swarm: str,
        state: RolloutState,
        generation: int | None,
        now: float,
        history: Sequence[tuple[str, str, str | None, str | None]] = (),
        by: str = "controller",
        plan: dict[str, Any] | bool | None = False,
    ) -> int | None:
        """Store `state` if the stored generation is still `generation` (None: the swarm has no
        state yet); the new generation, or None when another writer changed it first.

        `history` lines are (action, message, version, previous), written in the same
        transaction. `plan` (a JSON-able strategy override, or None to clear it) is stored with
        the state; False leaves the stored one as it is. When the change retires a version, the
        queued tasks of versions `state` does not run move to its stable version in the same
        transaction (`reroute.after_change`)."""
        values: dict[str, Any] = {
            "stable": state.stable,
            "candidate": state.candidate,
            "weight": state.weight,
            "state": dumps(state.to_dict()),
            "updated_at": now,
        }
        if plan is not False:
            values["plan"] = None if plan is None or plan is True else dumps(plan)
        try:
            async with self.db.write() as conn:
                before = await _state_at(conn, swarm, generation)
                new = await _compare_and_set(conn, swarm, generation, values)
                if new is None:
                    return None
                for action, message, version, previous in history:
                    await _history(conn, swarm, action, version, previous, by, message, now)
                await reroute.after_change(conn, self.keys, swarm, before, state, now)
                return new
        except StoreConflict:
            return None  # another manager created the swarm's state first

    async def stats(self, swarm: str, version: str, since: float) -> VersionStats:
        """What `version` of `swarm` did since `since` (see `version_stats.version_stats`)."""
        async with self.db.read() as conn:
            return await version_stats(conn, swarm, version, since)

    async def history(self, swarm: str, limit: int = 100) -> list[HistoryLine]:
        """A swarm's rollout history, newest first."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(rollout_history)
                .where(rollout_history.c.swarm == swarm)
                .order_by(rollout_history.c.id.desc())
                .limit(limit)
            )
            return [HistoryLine(**dict(r._mapping)) for r in rows]

    async def count(self) -> int:
        """How many deployments are stored."""
        async with self.db.read() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(deployments))).scalar() or 0
            )


async def _state_at(
    conn: AsyncConnection, swarm: str, generation: int | None
) -> RolloutState | None:
    """The swarm's stored state if its generation is still `generation`."""
    if generation is None:
        return None
    value = (
        await conn.execute(
            select(rollouts.c.state).where(
                rollouts.c.swarm == swarm, rollouts.c.generation == generation
            )
        )
    ).scalar()
    return None if value is None else RolloutState.from_dict(json.loads(value))


async def _compare_and_set(
    conn: AsyncConnection, swarm: str, generation: int | None, values: dict[str, Any]
) -> int | None:
    """Write the swarm's rollouts row if its generation is still `generation` (None: create
    it); the new generation, or None when another writer changed it first."""
    if generation is None:
        await conn.execute(insert(rollouts).values(swarm=swarm, generation=1, **values))
        return 1
    changed = await conn.execute(
        update(rollouts)
        .where(rollouts.c.swarm == swarm, rollouts.c.generation == generation)
        .values(generation=generation + 1, **values)
    )
    return generation + 1 if changed.rowcount else None


async def _one(conn: AsyncConnection, *where: Any) -> Deployment | None:
    row = (await conn.execute(select(deployments).where(*where))).first()
    return None if row is None else _deployment(dict(row._mapping))


def _deployment(row: dict[str, Any]) -> Deployment:
    spec = row["spec"]
    return Deployment(
        id=row["id"],
        swarm=row["swarm"],
        version=row["version"],
        content_hash=row["content_hash"],
        spec=json.loads(spec) if isinstance(spec, str) else spec,
        code_version=row["code_version"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        message=row["message"],
    )


async def _history(
    conn: AsyncConnection,
    swarm: str,
    action: str,
    version: str | None,
    previous: str | None,
    by: str,
    message: str,
    now: float,
) -> None:
    await conn.execute(
        insert(rollout_history).values(
            swarm=swarm,
            action=action[:40],
            version=version,
            previous=previous,
            by=by[:80],
            message=storable_text(message) or "",
            created_at=now,
        )
    )
