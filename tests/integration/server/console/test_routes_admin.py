"""The console's admin page: users and keys for admins, the key revoke action, and 403 for
everyone else."""

from __future__ import annotations

from swarmstack.server.console.session import CSRF
from tests.integration.server.conftest import Node
from tests.integration.server.console.browserlike import ORIGIN, signed_in


async def test_an_admin_revokes_a_key_from_the_console(node: Node) -> None:
    made = await node.http.post("/api/v1/admin/keys", json={"name": "ci", "role": "viewer"})
    key_id = made.json()["info"]["id"]
    page = await node.http.get("/console/admin")
    assert f"/console/admin/keys/{key_id}/revoke" in page.text
    revoked = await node.http.post(f"/console/admin/keys/{key_id}/revoke")
    assert revoked.status_code == 303
    listed = await node.http.get("/api/v1/admin/keys?include_revoked=true")
    assert [k["revoked"] for k in listed.json() if k["id"] == key_id] == [True]
    audit = await node.http.get("/console/admin?action=key.revoke")
    assert key_id in audit.text


async def test_an_operator_may_not_open_admin(node: Node) -> None:
    async with signed_in(node, "opal", "operator") as client:
        assert (await client.get("/console/admin")).status_code == 403
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        refused = await client.post("/console/admin/users/opal/disable", headers=headers)
        assert refused.status_code == 403
