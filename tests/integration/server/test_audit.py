"""server/audit.py: changes are recorded with their result, refused ones too, and a failing
audit store never turns a done change into an error."""

from __future__ import annotations

import pytest

from swarmstack.errors import StoreUnavailable
from swarmstack.store import AuditEntry
from tests.integration.server.conftest import Node


async def test_a_cancel_is_recorded_with_principal_source_and_result(node: Node) -> None:
    task = (await node.http.post("/api/v1/tasks", json={"swarm": "nap", "input": {"s": 30}})).json()
    assert (await node.http.post(f"/api/v1/tasks/{task['id']}/cancel")).status_code == 200
    assert (await node.http.post(f"/api/v1/tasks/{task['id']}/cancel")).status_code == 409
    items = (await node.http.get("/api/v1/admin/audit", params={"action": "task.cancel"})).json()
    entries = list(reversed(items["items"]))
    assert [e["result"] for e in entries] == ["ok", "conflict"]
    first = entries[0]
    assert first["principal"].startswith("key:admin (k_") and first["target"] == task["id"]
    assert first["source"] == "127.0.0.1" and first["at"] > 0


async def test_an_audit_failure_is_counted_not_raised(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(entry: AuditEntry, now: float) -> None:
        raise StoreUnavailable("the store is down")

    monkeypatch.setattr(node.store.audit, "append", down)
    task = (await node.http.post("/api/v1/tasks", json={"swarm": "nap", "input": {"s": 30}})).json()
    assert (await node.http.post(f"/api/v1/tasks/{task['id']}/cancel")).status_code == 200
    assert node.metrics.audit_failures._value.get() == 1
