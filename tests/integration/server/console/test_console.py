"""The console's routes are all in the access table, and start-up refuses one that is not."""

from __future__ import annotations

import pytest

from swarmstack.server import access
from swarmstack.server.access import CONSOLE_PUBLIC, CONSOLE_ROUTES, UnmappedRoute
from swarmstack.server.console import check_console_table, console_routes


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
