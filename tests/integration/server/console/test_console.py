"""The console's routes are all in the access table, and start-up refuses one that is not; a
path under /console that names nothing is answered by a console page, not problem JSON."""

from __future__ import annotations

import pytest

from swarmstack.server import access
from swarmstack.server.access import CONSOLE_PUBLIC, CONSOLE_ROUTES, UnmappedRoute
from swarmstack.server.console import check_console_table, console_routes
from tests.integration.server.conftest import Node
from tests.integration.server.console.browserlike import ORIGIN, signed_in


def test_every_console_route_has_a_permission() -> None:
    routes = console_routes()
    assert ("GET", "/console/tasks") in routes and ("POST", "/console/login") in routes
    assert set(routes) == set(CONSOLE_ROUTES) | set(CONSOLE_PUBLIC)


def test_a_console_route_missing_from_the_table_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = dict(access.CONSOLE_ROUTES)
    del table[("GET", "/console/tasks")]
    monkeypatch.setattr("swarmstack.server.console.CONSOLE_ROUTES", table)
    with pytest.raises(UnmappedRoute, match="GET /console/tasks"):
        check_console_table()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/console/nope"),
        ("GET", "/console/tasks/t_1/no/such/page"),
        ("POST", "/console/nope"),
        ("GET", "/console/static/nope.css"),
    ],
)
async def test_a_path_under_console_that_names_nothing_is_a_console_page(
    node: Node, method: str, path: str
) -> None:
    async with signed_in(node, "ada", "admin") as client:
        page = await client.request(method, path, headers=ORIGIN)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in page.text and f"no console page at {path}" in page.text
    assert '<a href="/console">Back to the console</a>' in page.text
    assert '<link rel="stylesheet" href="/console/static/console.css">' in page.text
    assert "problem" not in page.headers["content-type"]


async def test_a_console_404_escapes_the_path_and_the_api_keeps_problem_json(node: Node) -> None:
    page = await node.http.get("/console/<b>x</b>")
    assert page.status_code == 404 and "&lt;b&gt;x&lt;/b&gt;" in page.text
    assert "<b>x</b>" not in page.text
    fragment = await node.http.get("/console/nope", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and fragment.text.startswith('<p class="notice error"')
    api = await node.http.get("/api/v1/nope")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert (await node.http.get("/consolex")).headers["content-type"] == "application/problem+json"
