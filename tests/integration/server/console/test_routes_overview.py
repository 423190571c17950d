"""Console overview, swarms and admin pages per role (the overview series as JSON too)."""

from __future__ import annotations

from tests.integration.server.conftest import Node
from tests.integration.server.console.browserlike import (
    signed_in,
)


async def test_overview_swarms_and_admin_answer_the_admin(node: Node) -> None:
    done = await node.http.post("/api/v1/tasks?wait=5", json={"swarm": "echo", "input": "x"})
    assert done.json()["status"] == "succeeded"
    overview = await node.http.get("/console/overview")
    assert overview.status_code == 200 and 'data-series="/console/overview/series"' in overview.text
    series = (await node.http.get("/console/overview/series?window=900")).json()
    assert len(series["times"]) == 30 and sum(series["throughput"]) >= 1
    assert set(series) >= {"p50", "p95", "p99", "error_rate", "queue_depth", "tokens", "cost"}
    swarms = await node.http.get("/console/swarms")
    assert swarms.status_code == 200
    admin = await node.http.get("/console/admin")
    assert admin.status_code == 200 and "Audit log" in admin.text and "API keys" in admin.text


async def test_each_role_gets_the_views_its_permissions_allow(node: Node) -> None:
    async with signed_in(node, "vic", "viewer") as viewer:
        assert (await viewer.get("/console")).headers["location"] == "/console/overview"
        assert (await viewer.get("/console/overview")).status_code == 200
        assert (await viewer.get("/console/swarms")).status_code == 200
        admin = await viewer.get("/console/admin")
        assert admin.status_code == 403
        nav = (await viewer.get("/console/tasks")).text
        assert 'href="/console/admin"' not in nav and 'href="/console/swarms"' in nav
    async with signed_in(node, "sue", "submitter") as submitter:
        assert (await submitter.get("/console")).headers["location"] == "/console/tasks"
        assert (await submitter.get("/console/overview")).status_code == 403
        assert (await submitter.get("/console/swarms")).status_code == 403
