"""Odd query strings, paths and filter forms: each console page refuses them as a page (422),
never as a 500 or a JSON problem, on every route that hands them to the store."""

from __future__ import annotations

import pytest

from swarmstack.server.console.session import CSRF
from tests.integration.server.conftest import Node
from tests.integration.server.console.browserlike import ORIGIN, signed_in

REFUSED = [
    "/console/tasks?swarm=%00",
    "/console/tasks?version=a%00b",
    "/console/tasks?principal=%01",
    "/console/tasks?q=%00",
    "/console/tasks?since=nan",
    "/console/tasks?until=inf",
    "/console/tasks?since=1e400",
    "/console/tasks?since=-1e20",
    "/console/admin?action=%00",
    "/console/admin?principal=%00",
    "/console/admin?before=99999999999999999999999",
    "/console/admin?before=abc",
    "/console/swarms/echo?a=%00&b=x",
    "/console/swarms/ec%00ho",
    "/console/tasks/t_%00",
]


@pytest.mark.parametrize("url", REFUSED)
async def test_an_odd_value_is_refused_as_a_page(node: Node, url: str) -> None:
    async with signed_in(node, "ada", "admin") as client:
        answer = await client.get(url)
        assert answer.status_code == 422, answer.text[:300]
        assert answer.headers["content-type"].startswith("text/html")
        assert "Invalid input" in answer.text and "Value error" not in answer.text


async def test_a_bulk_filter_form_with_a_control_character_is_refused(node: Node) -> None:
    async with signed_in(node, "ada", "admin") as client:
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        for form in ({"swarm": "\x00"}, {"q": "a\x00"}, {"since": "nan"}):
            answer = await client.post(
                "/console/tasks/bulk/rerun/preview", data=form, headers=headers
            )
            assert answer.status_code == 422, (form, answer.text[:300])
