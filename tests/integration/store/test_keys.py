"""API keys: created once, stored hashed, listed by prefix, expiring and revocable."""

from __future__ import annotations

from sqlalchemy import select

from swarmstack.store import NewKey, Store
from swarmstack.store.tables import api_keys


async def test_a_created_key_is_stored_only_as_a_hash_and_a_prefix(store: Store) -> None:
    key, info = await store.keys.create(NewKey("ci", "submitter", "CI pipeline"), 1.0)
    assert key.startswith("ssk_") and info.prefix == key[:12] and info.role == "submitter"
    async with store.db.read() as conn:
        row = (await conn.execute(select(api_keys).where(api_keys.c.id == info.id))).one()
    assert key not in [str(v) for v in row]
    who = await store.keys.lookup(key, 2.0)
    assert who is not None and (who.id, who.role, who.kind) == (info.id, "submitter", "key")


async def test_expired_and_revoked_keys_stop_working(store: Store) -> None:
    key, info = await store.keys.create(NewKey("tmp", "viewer", expires_at=100.0), 1.0)
    assert await store.keys.lookup(key, 99.0) is not None
    assert await store.keys.lookup(key, 100.0) is None
    other, other_info = await store.keys.create(NewKey("ops", "operator"), 1.0)
    assert (await store.keys.revoke(other_info.id)).revoked
    assert await store.keys.lookup(other, 2.0) is None
    assert [k.id for k in await store.keys.list()] == [info.id]
    assert len(await store.keys.list(include_revoked=True)) == 2


async def test_last_use_is_recorded_at_most_once_a_minute(store: Store) -> None:
    key, info = await store.keys.create(NewKey("ci", "submitter"), 1.0)
    await store.keys.lookup(key, 1000.0)
    await store.keys.lookup(key, 1030.0)
    assert (await store.keys.get(info.id)).last_used_at == 1000.0
    await store.keys.lookup(key, 1061.0)
    assert (await store.keys.get(info.id)).last_used_at == 1061.0


async def test_a_key_carries_its_tenant_and_limits(store: Store) -> None:
    new = NewKey("team", "submitter", tenant="red", rate_limit=2.5, max_queued=10)
    key, _ = await store.keys.create(new, 1.0)
    who = await store.keys.lookup(key, 2.0)
    assert who is not None and (who.tenant, who.rate_limit, who.max_queued) == ("red", 2.5, 10)
