"""GET /api/v1/cluster: managers (and the leader), workers with their load, queue depth."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from swarmstack.server.auth import Who
from swarmstack.server.leader import LEASE
from swarmstack.server.problems import problem_responses
from swarmstack.server.state import Manager

router = APIRouter(
    prefix="/api/v1", tags=["cluster"], responses=problem_responses(401, 403, 429, 503)
)
ALIVE_S = 15.0


class ManagerOut(BaseModel):
    """A manager seen in the last few seconds."""

    id: str
    host: str
    pid: int
    leader: bool = Field(description="Runs the lease sweeper.")
    started_at: float
    last_seen_s: float = Field(
        description="Seconds since its last heartbeat, on the database's clock (never negative)."
    )


class WorkerOut(BaseModel):
    """A worker seen in the last few seconds."""

    id: str
    host: str
    pid: int
    swarms: list[str]
    versions: list[str] = Field(description="The `swarm@version`s it has loaded and can run.")
    in_flight: int = Field(description="Tasks running on it now.")
    started_at: float
    last_seen_s: float


class ClusterOut(BaseModel):
    """What runs where."""

    managers: list[ManagerOut]
    leader: str | None
    workers: list[WorkerOut]
    queue_depth: dict[str, int] = Field(description="Queued tasks per loaded swarm.")
    expected_workers: int | None = Field(description="From settings (SWARM_CLUSTER_SIZE).")
    discovery: str


def age_s(now: float, at: float) -> float:
    """Seconds from `at` to `now`, both on the database's clock; never negative (a heartbeat
    written after `now` was read is 0 s old)."""
    return round(max(0.0, now - at), 2)


@router.get("/cluster", response_model=ClusterOut)
async def cluster(request: Request, who: Who) -> ClusterOut:
    """Managers (and which one leads), workers with their in-flight counts, queue depth."""
    manager: Manager = request.app.state.manager
    now = await manager.store.db.now()  # heartbeats are written with the database's clock
    store = manager.store.cluster
    leader = await store.leader(LEASE, now)
    depth = await manager.store.tasks.queue_depth()
    return ClusterOut(
        managers=[
            ManagerOut(
                id=m.id,
                host=m.host,
                pid=m.pid,
                leader=m.id == leader,
                started_at=m.started_at,
                last_seen_s=age_s(now, m.heartbeat_at),
            )
            for m in await store.managers(alive_within_s=ALIVE_S)
        ],
        leader=leader,
        workers=[
            WorkerOut(
                id=w.id,
                host=w.host,
                pid=w.pid,
                swarms=w.swarms,
                versions=list(w.versions),
                in_flight=w.in_flight,
                started_at=w.started_at,
                last_seen_s=age_s(now, w.heartbeat_at),
            )
            for w in await store.workers(alive_within_s=ALIVE_S)
        ],
        queue_depth={name: depth.get(name, 0) for name in sorted(set(depth) | set(manager.specs))},
        expected_workers=manager.settings.cluster.expected_workers,
        discovery=manager.settings.cluster.discovery,
    )
