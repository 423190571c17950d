"""The LLM agents' HTTP client: sharded pools that share one TLS context, and work."""

from __future__ import annotations

from swarmstack.agents.http import ShardedTransport, new_http_client, tls_context
from swarmstack.testing import FakeLLM


def test_shards_cover_the_connections_and_share_one_tls_context() -> None:
    first, second = ShardedTransport(100), ShardedTransport(3)
    assert len(first.shards) == 13 and len(second.shards) == 1
    contexts = {id(shard._pool._ssl_context) for shard in [*first.shards, *second.shards]}
    assert contexts == {id(tls_context())}


async def test_a_client_of_sharded_pools_makes_requests() -> None:
    with FakeLLM() as fake:
        async with new_http_client(max_connections=16) as client:
            answers = [await client.get(f"{fake.base_url}/models") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
