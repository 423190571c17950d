"""Object-level access to tasks: own tasks for submitters, tenants apart, sessions scoped."""

from __future__ import annotations

from tests.integration.server.conftest import Node


async def key(node: Node, name: str, role: str, tenant: str | None = None) -> dict[str, str]:
    body = {"name": name, "role": role, **({"tenant": tenant} if tenant else {})}
    made = await node.http.post("/api/v1/admin/keys", json=body)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


async def test_a_submitter_sees_only_its_own_tasks_and_others_are_404(node: Node) -> None:
    alice, bob = await key(node, "alice", "submitter"), await key(node, "bob", "submitter")
    mine = (await node.http.post("/api/v1/tasks?wait=5", json={"input": "a"}, headers=alice)).json()
    theirs = (await node.http.post("/api/v1/tasks", json={"input": "b"}, headers=bob)).json()
    assert (await node.http.get(f"/api/v1/tasks/{mine['id']}", headers=alice)).status_code == 200
    hidden = await node.http.get(f"/api/v1/tasks/{theirs['id']}", headers=alice)
    missing = await node.http.get("/api/v1/tasks/t_doesnotexist", headers=alice)
    waited = await node.http.get(
        f"/api/v1/tasks/{theirs['id']}", params={"wait": 30}, headers=alice
    )  # a long poll gives the same 404 at once
    assert hidden.status_code == missing.status_code == waited.status_code == 404
    assert hidden.json()["detail"].replace(theirs["id"], "ID") == missing.json()["detail"].replace(
        "t_doesnotexist", "ID"
    )
    listed = (await node.http.get("/api/v1/tasks", headers=alice)).json()
    assert [t["id"] for t in listed["items"]] == [mine["id"]]
    events = await node.http.get(f"/api/v1/tasks/{theirs['id']}/events", headers=alice)
    assert events.status_code == 404
    cancel = await node.http.post(f"/api/v1/tasks/{theirs['id']}/cancel", headers=alice)
    assert cancel.status_code == 404


async def test_operators_and_viewers_read_all_and_only_operators_cancel_others(node: Node) -> None:
    sub = await key(node, "s", "submitter")
    task = (
        await node.http.post(
            "/api/v1/tasks", json={"input": {"s": 30}, "swarm": "nap"}, headers=sub
        )
    ).json()
    viewer, operator = await key(node, "v", "viewer"), await key(node, "o", "operator")
    assert (await node.http.get(f"/api/v1/tasks/{task['id']}", headers=viewer)).status_code == 200
    assert (
        await node.http.post(f"/api/v1/tasks/{task['id']}/cancel", headers=viewer)
    ).status_code == 403
    cancelled = await node.http.post(f"/api/v1/tasks/{task['id']}/cancel", headers=operator)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    audit = (await node.http.get("/api/v1/admin/audit", params={"action": "task.cancel"})).json()
    assert [(e["principal"].split(" ")[0], e["result"]) for e in audit["items"]] == [
        ("key:o", "ok")
    ]


async def test_tenants_never_see_each_others_tasks(node: Node) -> None:
    red, blue = await key(node, "r", "operator", "red"), await key(node, "b", "operator", "blue")
    task = (await node.http.post("/api/v1/tasks", json={"input": 1}, headers=red)).json()
    assert (await node.http.get(f"/api/v1/tasks/{task['id']}", headers=red)).status_code == 200
    assert (await node.http.get(f"/api/v1/tasks/{task['id']}", headers=blue)).status_code == 404
    assert (await node.http.get("/api/v1/tasks", headers=blue)).json()["items"] == []
    assert (
        await node.http.post(f"/api/v1/tasks/{task['id']}/cancel", headers=blue)
    ).status_code == 404
    everything = (await node.http.get("/api/v1/tasks")).json()["items"]  # the admin key
    assert [t["id"] for t in everything] == [task["id"]]


async def test_the_same_session_name_of_two_principals_shares_no_history(node: Node) -> None:
    alice, bob = await key(node, "alice", "submitter"), await key(node, "bob", "submitter")
    body = {"swarm": "memory", "session": "chat-1"}
    first = await node.http.post(
        "/api/v1/tasks?wait=5", json={**body, "input": "secret"}, headers=alice
    )
    assert first.json()["session"] == "chat-1"
    second = await node.http.post("/api/v1/tasks?wait=5", json={**body, "input": "hi"}, headers=bob)
    assert second.json()["status"] == "succeeded" and second.json()["session"] == "chat-1"
    assert "secret" not in str(second.json()["result"])
    third = await node.http.post(
        "/api/v1/tasks?wait=5", json={**body, "input": "again"}, headers=alice
    )
    assert "secret" in str(third.json()["result"])


async def test_idempotency_keys_of_two_principals_do_not_collide(node: Node) -> None:
    alice, bob = await key(node, "alice", "submitter"), await key(node, "bob", "submitter")
    same = {"Idempotency-Key": "order-1"}
    a = await node.http.post("/api/v1/tasks", json={"input": 1}, headers={**alice, **same})
    b = await node.http.post("/api/v1/tasks", json={"input": 1}, headers={**bob, **same})
    assert a.json()["id"] != b.json()["id"]


async def test_a_tenant_confines_no_principal_to_global_changes(node: Node) -> None:
    """Tenants separate tasks, not the platform: no tenant admins, no tenant deploys."""
    admin = await node.http.post(
        "/api/v1/admin/keys", json={"name": "ta", "role": "admin", "tenant": "red"}
    )
    assert admin.status_code == 422 and "cannot have a tenant" in admin.text
    user = {"username": "tu", "password": "long enough", "role": "admin", "tenant": "red"}
    assert (await node.http.post("/api/v1/admin/users", json=user)).status_code == 422
    empty = await node.http.post(
        "/api/v1/admin/keys", json={"name": "e", "role": "viewer", "tenant": ""}
    )
    assert empty.status_code == 422
    red = await key(node, "r", "operator", "red")
    assert (await node.http.get("/api/v1/deployments", headers=red)).status_code == 200
    steer = await node.http.post("/api/v1/swarms/echo/rollout/pause", headers=red)
    assert steer.status_code == 403 and "within tenant 'red'" in steer.json()["detail"]
    assert (await node.http.get("/api/v1/admin/keys", headers=red)).status_code == 403
