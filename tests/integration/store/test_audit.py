"""The audit log: a chain that concurrent appends keep intact and verify finds tampering in."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, update

from swarmstack.store import AuditEntry, Store
from swarmstack.store.tables import audit_log


def entry(i: int) -> AuditEntry:
    return AuditEntry("user:alice", "deploy", f"swarm-{i}", "10.0.0.1", "ok", {"n": i})


async def test_concurrent_appends_keep_one_chain(store: Store) -> None:
    await asyncio.gather(*(store.audit.append(entry(i), float(i)) for i in range(20)))
    state = await store.audit.verify()
    assert state.broken is None and state.count == 20
    newest = await store.audit.page(limit=5)
    assert [e.id for e in newest] == sorted((e.id for e in newest), reverse=True)
    assert newest[0].hash == state.head


async def test_an_edit_in_place_is_found(store: Store) -> None:
    for i in range(5):
        await store.audit.append(entry(i), float(i))
    async with store.db.write() as conn:
        await conn.execute(update(audit_log).where(audit_log.c.id == 3).values(result="refused"))
    state = await store.audit.verify()
    assert state.broken is not None and state.broken.entry_id == 3


async def test_a_deleted_entry_is_found(store: Store) -> None:
    for i in range(5):
        await store.audit.append(entry(i), float(i))
    async with store.db.write() as conn:
        await conn.execute(delete(audit_log).where(audit_log.c.id == 2))
    state = await store.audit.verify()
    assert state.broken is not None and state.broken.entry_id == 3 and state.count == 4


async def test_pages_filter_by_action_and_principal(store: Store) -> None:
    await store.audit.append(entry(1), 1.0)
    await store.audit.append(AuditEntry("key:ci (k_1)", "task.cancel", "t1", "-", "ok"), 2.0)
    assert [e.action for e in await store.audit.page(action="task.cancel")] == ["task.cancel"]
    assert [e.target for e in await store.audit.page(principal="user:alice")] == ["swarm-1"]
    first = await store.audit.page(limit=1)
    assert [e.target for e in await store.audit.page(before=first[0].id)] == ["swarm-1"]


async def test_unstorable_text_is_kept_storable(store: Store) -> None:
    odd = AuditEntry("user:\x00x", "a" * 100, "t\ud800", "-", "ok", {"k": "\x00"})
    record = await store.audit.append(odd, 1.0)
    assert "\x00" not in record.principal and len(record.action) == 60
    assert (await store.audit.verify()).broken is None
