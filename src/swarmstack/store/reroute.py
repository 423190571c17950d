"""Queued tasks never wait on a retired version: where a task enters the queue and where a
rollout changes, a queued task on a version its swarm no longer runs (`core.live_versions`)
moves to the stable version, in that same transaction, with a `rerouted` event saying why.

Called by `deployments.save_state` (a change that retires versions moves their queued tasks
before it commits), `tasks.submit_many` (a task routed by a manager's stale routes is stored on
stable; a pin to a retired version is refused) and `claims` / `sweeper` (a retried, released or
expired task re-queued on a retired version moves).

Why there is no window. Managers route new tasks from routes they refresh every second, so a
manager may route a task to a version just after the change that retired it committed. The
insert and every RUNNING -> QUEUED change therefore read the swarm's state inside their own
transaction (`states`): on PostgreSQL `FOR SHARE` on its `rollouts` row, which conflicts with
the state change's UPDATE of that row; SQLite runs one writer at a time anyway. Either that
read comes first, and the state change waits for the task's commit, so its move (a later
statement of its transaction) sees the task and moves it; or the change commits first, and the
read sees the new state and places the task on stable itself. A periodic sweep by the leader
would instead leave the task on the retired version for up to a tick after its 202, with the
answer naming a version it will not run on; here the 202 follows the one commit that stores the
task where it will run. Only queued tasks move: a claimed task keeps its attempt and its
outcome, so every task still has exactly one outcome.

No deadlock: the state change locks the `rollouts` row first and then only queued task rows (in
id order). Whoever locks queued rows (a claim, a cancel, a re-encryption) never waits on the
`rollouts` row, and whoever waits on it holds at most running rows (a requeue) or reads it
before locking any row (a submit), which the change's SELECT of queued rows never waits on.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from swarmstack.core.live_versions import destination, live_versions, retired_by, why_retired
from swarmstack.core.records import NewTask
from swarmstack.core.rollout_types import RolloutState
from swarmstack.core.states import TaskStatus
from swarmstack.errors import Conflict
from swarmstack.security.crypto import Sealer
from swarmstack.store.planner import unindexed
from swarmstack.store.tables import rollouts, tasks
from swarmstack.store.transitions import add_events, event_row

REROUTED = "rerouted"  # the task event of a move
_CHUNK = 500


async def states(conn: AsyncConnection, swarms: Iterable[str]) -> dict[str, RolloutState]:
    """The rollout states of `swarms` (those deployed), read under a share lock on PostgreSQL:
    a state change of these swarms waits for this transaction to commit."""
    wanted = sorted(set(swarms))
    if not wanted:
        return {}
    rows = await conn.execute(
        select(rollouts.c.swarm, rollouts.c.state)
        .where(rollouts.c.swarm.in_(wanted))
        .order_by(rollouts.c.swarm)
        .with_for_update(read=True)
    )
    return {r.swarm: RolloutState.from_dict(json.loads(r.state)) for r in rows}


def refusal(task: NewTask, state: RolloutState | None) -> Conflict | None:
    """Why a new task pinned to a retired version is refused (the client asked for that
    version by name: it is not replaced), else None."""
    version = task.version
    if not task.pinned or state is None or version is None or destination(state, version) is None:
        return None
    return Conflict(
        f"version {version} of swarm {task.swarm} takes no new tasks: "
        + why_retired(state, version),
        fix=f"pin a live version ({', '.join(sorted(live_versions(state)))}), or roll back to "
        f"it: swarmstack rollback {task.swarm} --to {version}",
    )


def placed(
    keys: Sealer, task: NewTask, state: RolloutState | None
) -> tuple[NewTask, dict[str, Any] | None]:
    """A new task on a version that still runs, with the `rerouted` event to store with it if
    it was routed (by a manager's routes from before a change) to a version now retired."""
    target = None if state is None else destination(state, task.version)
    if state is None or target is None or task.version is None:
        return task, None
    return replace(task, version=target), _event(
        keys, task.id, task.version, state, task.created_at
    )


async def after_change(
    conn: AsyncConnection,
    keys: Sealer,
    swarm: str,
    before: RolloutState | None,
    after: RolloutState,
    now: float,
) -> int:
    """After a state change of `swarm` (in its transaction): when it retired a version, every
    queued task of the swarm on a version that is not live moves to stable; how many moved."""
    if not retired_by(before, after):
        return 0
    return await _move(conn, keys, {swarm: after}, now)


async def requeued(
    conn: AsyncConnection, keys: Sealer, moved: Iterable[tuple[str, str]], now: float
) -> int:
    """After tasks went back to the queue in this transaction ((id, swarm) pairs): those on a
    version that is no longer live move to stable; how many moved."""
    by_swarm: dict[str, list[str]] = {}
    for task_id, swarm in moved:
        by_swarm.setdefault(swarm, []).append(task_id)
    if not by_swarm:
        return 0
    return await _move(conn, keys, await states(conn, by_swarm), now, by_swarm)


async def _move(
    conn: AsyncConnection,
    keys: Sealer,
    swarm_states: Mapping[str, RolloutState],
    now: float,
    only: Mapping[str, Sequence[str]] | None = None,
) -> int:
    moved = 0
    for swarm, state in swarm_states.items():
        ids = None if only is None else only.get(swarm, [])
        rows = await _stranded(conn, swarm, live_versions(state), ids)
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            await conn.execute(
                update(tasks)
                .where(tasks.c.id.in_([r.id for r in chunk]))
                .values(version=state.stable)
            )
            await add_events(conn, [_event(keys, r.id, r.version, state, now) for r in chunk])
        moved += len(rows)
    return moved


async def _stranded(
    conn: AsyncConnection, swarm: str, live: Collection[str], ids: Sequence[str] | None
) -> list[Any]:
    """Queued tasks of `swarm` on a version not in `live` (of `ids` only, when given), locked
    in id order (a claim or cancel holding one is waited for, then the row is judged again)."""
    # Given ids, look them up (store.planner); else walk the swarm's queued tasks (ix_tasks_claim).
    by_id = ids is not None
    where = [
        (unindexed(tasks.c.swarm) if by_id else tasks.c.swarm) == swarm,
        (unindexed(tasks.c.status) if by_id else tasks.c.status) == TaskStatus.QUEUED.value,
        tasks.c.version.is_not(None),
        tasks.c.version.not_in(sorted(live)),
    ]
    if ids is not None:
        where.append(tasks.c.id.in_(list(ids)))
    query = select(tasks.c.id, tasks.c.version).where(*where).order_by(tasks.c.id)
    return list((await conn.execute(query.with_for_update())).all())


def _event(
    keys: Sealer, task_id: str, version: str, state: RolloutState, at: float
) -> dict[str, Any]:
    data = {"from": version, "to": state.stable, "reason": why_retired(state, version)}
    return event_row(keys, task_id, REROUTED, data, at)


async def stable_if_candidate(conn: AsyncConnection, swarm: str, version: str | None) -> str | None:
    """Stable's version when `version` is the candidate of the swarm's rollout (in flight or
    aborted): a failed attempt there runs again on stable at once. Else None."""
    if version is None:
        return None
    row = (
        await conn.execute(
            select(rollouts.c.stable, rollouts.c.candidate).where(rollouts.c.swarm == swarm)
        )
    ).first()
    if row is None or row.candidate != version or row.stable == version:
        return None
    return str(row.stable)
