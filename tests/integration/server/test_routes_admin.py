"""The admin API: keys shown once, listed by prefix, revoked; users; the audit log."""

from __future__ import annotations

from tests.integration.server.conftest import Node


async def test_the_admin_index_lists_its_resources(node: Node) -> None:
    index = (await node.http.get("/api/v1/admin")).json()
    assert set(index["resources"]) == {"users", "keys", "audit"}


async def test_a_key_is_shown_once_and_listed_by_prefix_and_last_use(node: Node) -> None:
    made = await node.http.post(
        "/api/v1/admin/keys",
        json={"name": "ci", "role": "submitter", "description": "pipeline", "expires_in": "30d"},
    )
    assert made.status_code == 201 and made.headers["location"].endswith(made.json()["info"]["id"])
    key, info = made.json()["key"], made.json()["info"]
    assert info["expires_at"] - info["created_at"] == 30 * 86400
    submitted = await node.http.post(
        "/api/v1/tasks", json={"input": "x"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert submitted.status_code == 202
    listed = (await node.http.get("/api/v1/admin/keys")).json()
    ci = next(k for k in listed if k["id"] == info["id"])
    assert ci["prefix"] == key[:12] and ci["last_used_at"] is not None
    assert key not in (await node.http.get("/api/v1/admin/keys")).text


async def test_a_revoked_key_is_refused_at_once(node: Node) -> None:
    made = (
        await node.http.post("/api/v1/admin/keys", json={"name": "tmp", "role": "viewer"})
    ).json()
    headers = {"Authorization": f"Bearer {made['key']}"}
    assert (await node.http.get("/api/v1/cluster", headers=headers)).status_code == 200
    revoked = await node.http.post(f"/api/v1/admin/keys/{made['info']['id']}/revoke")
    assert revoked.json()["revoked"] is True
    assert (await node.http.get("/api/v1/cluster", headers=headers)).status_code == 401
    listed = await node.http.get("/api/v1/admin/keys", params={"include_revoked": True})
    assert made["info"]["id"] in listed.text
    assert (await node.http.post("/api/v1/admin/keys/k_nope/revoke")).status_code == 404


async def test_the_installed_admin_key_is_replaced_not_revoked(node: Node) -> None:
    admin = next(
        k for k in (await node.http.get("/api/v1/admin/keys")).json() if k["name"] == "admin"
    )
    refused = await node.http.post(f"/api/v1/admin/keys/{admin['id']}/revoke")
    assert refused.status_code == 409 and "rotate-admin-key" in refused.json()["fix"]
    assert (await node.http.get("/api/v1/admin")).status_code == 200


async def test_the_admin_key_name_is_reserved_and_bad_roles_are_refused(node: Node) -> None:
    reserved = await node.http.post("/api/v1/admin/keys", json={"name": "admin", "role": "admin"})
    assert reserved.status_code == 422 and "reserved" in reserved.text
    bad = await node.http.post("/api/v1/admin/keys", json={"name": "x", "role": "root"})
    assert bad.status_code == 422
    entries = (await node.http.get("/api/v1/admin/audit", params={"action": "key.create"})).json()
    assert [e["result"] for e in entries["items"]] == ["invalid-input"]


async def test_users_are_listed_without_hashes_and_names_are_unique(node: Node) -> None:
    body = {"username": "alice", "password": "long enough pw", "role": "viewer", "tenant": "red"}
    assert (await node.http.post("/api/v1/admin/users", json=body)).status_code == 201
    assert (await node.http.post("/api/v1/admin/users", json=body)).status_code == 409
    short = {**body, "username": "bob", "password": "short"}
    assert (await node.http.post("/api/v1/admin/users", json=short)).status_code == 422
    listed = await node.http.get("/api/v1/admin/users")
    assert [u["username"] for u in listed.json()] == ["alice"]
    assert "argon2" not in listed.text and "long enough pw" not in listed.text
    assert (await node.http.post("/api/v1/admin/users/nobody/disable")).status_code == 404


async def test_audit_verify_reports_an_intact_chain_and_its_head(node: Node) -> None:
    await node.http.post("/api/v1/admin/keys", json={"name": "a", "role": "viewer"})
    await node.http.post("/api/v1/admin/keys", json={"name": "b", "role": "viewer"})
    verdict = (await node.http.get("/api/v1/admin/audit/verify")).json()
    newest = (await node.http.get("/api/v1/admin/audit", params={"limit": 1})).json()
    assert (
        verdict["ok"] and verdict["entries"] == 2 and verdict["head"] == newest["items"][0]["hash"]
    )
    assert newest["next_before"] == newest["items"][0]["id"]


async def test_key_lifetimes_and_limits_are_bounded(node: Node) -> None:
    for body in (
        {"expires_in": "99999999d"},
        {"expires_in": 1e30},
        {"rate_limit": 1e308},
        {"rate_limit": -1},
        {"max_queued": 10**12},
    ):
        made = await node.http.post(
            "/api/v1/admin/keys", json={"name": "b", "role": "viewer", **body}
        )
        assert made.status_code == 422, (body, made.text)
    unlimited = await node.http.post(
        "/api/v1/admin/keys", json={"name": "u", "role": "viewer", "rate_limit": 0}
    )
    assert unlimited.status_code == 201
    headers = {"Authorization": f"Bearer {unlimited.json()['key']}"}
    assert (await node.http.get("/api/v1/cluster", headers=headers)).status_code == 200
