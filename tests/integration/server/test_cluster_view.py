"""GET /api/v1/cluster: heartbeat ages are taken on the database's clock and never negative."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from swarmstack.server.routes_cluster import age_s
from swarmstack.store.tables import managers, workers
from tests.integration.server.conftest import Node


@pytest.mark.parametrize(
    ("now", "at", "age"), [(100.0, 98.5, 1.5), (100.0, 100.0, 0.0), (100.0, 160.0, 0.0)]
)
def test_age_is_never_negative(now: float, at: float, age: float) -> None:
    assert age_s(now, at) == age


async def test_a_heartbeat_ahead_of_the_reader_is_zero_seconds_old(node: Node) -> None:
    """Heartbeats carry the database's time; one that reads as later than `now` (a clock ahead
    of the reader's) is shown as just seen, not `-60.0s ago`."""
    async with node.store.db.write() as conn:
        await conn.execute(update(workers).values(heartbeat_at=workers.c.heartbeat_at + 60))
        await conn.execute(update(managers).values(heartbeat_at=managers.c.heartbeat_at + 60))
    body = (await node.http.get("/api/v1/cluster")).json()
    seen = [n["last_seen_s"] for n in body["managers"] + body["workers"]]
    assert body["workers"], body
    assert all(0 <= age < 15 for age in seen), seen


async def test_each_worker_shows_the_versions_it_runs(node: Node) -> None:
    body = (await node.http.get("/api/v1/cluster")).json()
    [worker] = body["workers"]
    loaded = {v.split("@")[0] for v in worker["versions"]}
    assert worker["versions"] and loaded <= set(worker["swarms"]), worker
