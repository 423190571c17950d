"""A batch submit is one transaction: when the store fails part-way through a batch, the client
gets 503 and nothing of the batch is stored (a retry then cannot duplicate half of it).
PostgreSQL, where a trigger can fail the insert of one chosen row as a lost connection would."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from tests.integration.server.conftest import Node

POISON = """
CREATE OR REPLACE FUNCTION swarmstack_test_poison() RETURNS trigger AS $$
BEGIN
    IF NEW.idempotency_key LIKE '%:poison' THEN
        RAISE EXCEPTION 'the store went away' USING ERRCODE = '40001';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql
"""


@pytest.fixture
def node_store(pg_url: str) -> str:
    return pg_url


@pytest.fixture
def server_overrides() -> dict[str, object]:
    return {"max_body_bytes": 1_048_576, "submit_batch_size": 64}  # the group commit of submits


@pytest.fixture
async def poisoned(node: Node) -> AsyncIterator[Node]:
    async with node.store.db.write() as conn:
        await conn.exec_driver_sql(POISON)
        await conn.execute(
            text(
                "CREATE TRIGGER swarmstack_test_poison BEFORE INSERT ON tasks FOR EACH ROW "
                "EXECUTE FUNCTION swarmstack_test_poison()"
            )
        )
    try:
        yield node
    finally:
        async with node.store.db.write() as conn:
            await conn.execute(text("DROP TRIGGER IF EXISTS swarmstack_test_poison ON tasks"))
            await conn.execute(text("DROP FUNCTION IF EXISTS swarmstack_test_poison()"))


async def test_a_batch_that_fails_part_way_stores_nothing(poisoned: Node) -> None:
    tasks = [{"swarm": "echo", "input": n} for n in range(300)]
    tasks[250]["idempotency_key"] = "poison"  # past four of the group commit's 64
    answer = await poisoned.http.post("/api/v1/tasks/batch", json={"tasks": tasks})
    assert answer.status_code == 503, answer.text
    assert answer.headers.get("retry-after")
    async with poisoned.store.db.read() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM tasks"))).scalar_one() == 0
