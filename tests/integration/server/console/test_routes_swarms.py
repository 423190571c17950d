"""Console swarm pages: the version diff, and rollout actions refused to a viewer."""

from __future__ import annotations

from swarmstack.server.console.routes_swarms import BY_PHASE, VERBS, spec_diff
from swarmstack.server.console.session import CSRF
from tests.integration.server.conftest import Node
from tests.integration.server.console.browserlike import ORIGIN, signed_in


def test_the_diff_shows_changed_lines_only() -> None:
    lines = spec_diff({"name": "a", "release": "1"}, {"name": "a", "release": "2"}, "x", "y")
    assert "-release: '1'" in lines and "+release: '2'" in lines
    assert not [line for line in lines if line.startswith(("+name", "-name"))]


def test_every_offered_verb_is_a_rollout_verb() -> None:
    assert {v for verbs in BY_PHASE.values() for v in verbs} <= set(VERBS)


async def test_a_viewer_may_not_steer_a_rollout(node: Node) -> None:
    async with signed_in(node, "vin", "viewer") as client:
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        promote = await client.post("/console/swarms/echo/rollout/promote", headers=headers)
        assert promote.status_code == 403 and "deployments:write" in promote.text
        back = await client.post("/console/swarms/echo/rollback", headers=headers)
        assert back.status_code == 403


async def test_an_unknown_verb_is_refused(node: Node) -> None:
    answer = await node.http.post("/console/swarms/echo/rollout/explode")
    assert answer.status_code == 422
