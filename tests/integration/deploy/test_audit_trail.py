"""Deploys, rollout steps (the operator's and the controller's), aborts and rollbacks are in
the audit log, and the chain verifies afterwards (both backends)."""

from __future__ import annotations

from typing import Any

from tests.conftest import SpecFactory
from tests.integration.deploy.conftest import Cluster, canary_spec


async def audit(cluster: Cluster) -> list[dict[str, Any]]:
    body = (await cluster.http.get("/api/v1/admin/audit", params={"limit": 1000})).json()
    return list(reversed(body["items"]))


async def test_a_rollout_leaves_a_complete_and_verifiable_trail(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    two = canary_spec(
        make_spec,
        "tests.support.agents:echo",
        "2.0.0",
        "{strategy: canary, steps: [{weight: 50, pause: 60s}]}",
    )
    assert (await cluster.deploy(two)).status_code == 201
    await cluster.until(lambda s: s["weight"] == 50)
    assert (await cluster.http.post("/api/v1/swarms/s/rollout/pause")).status_code == 200
    assert (await cluster.http.post("/api/v1/swarms/s/rollout/pause")).status_code == 409
    promoted = await cluster.http.post("/api/v1/swarms/s/rollout/promote-full")
    assert promoted.status_code == 200, promoted.text
    await cluster.until(lambda s: s["phase"] == "healthy" and s["stable"] == "2.0.0")
    assert (await cluster.http.post("/api/v1/swarms/s/rollback", json={})).status_code == 200
    entries = await audit(cluster)
    by_operator = [(e["action"], e["result"]) for e in entries if e["principal"].startswith("key:")]
    assert by_operator == [
        ("deploy", "ok"),
        ("rollout.pause", "ok"),
        ("rollout.pause", "conflict"),
        ("rollout.promote-full", "ok"),
        ("rollback", "ok"),
    ]
    deploy = entries[[e["action"] for e in entries].index("deploy")]
    assert deploy["target"] == "s" and deploy["detail"]["version"] == "2.0.0"
    verdict = (await cluster.http.get("/api/v1/admin/audit/verify")).json()
    assert verdict["ok"] and verdict["entries"] == len(entries)
