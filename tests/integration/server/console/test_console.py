"""The console's routes are all in the access table, and start-up refuses one that is not."""

from __future__ import annotations

import pytest

from swarmstack.server import access
from swarmstack.server.access import PUBLIC, ROUTES, UnmappedRoute
from swarmstack.server.console import check_console_table, console_routes


def test_every_console_route_has_a_permission() -> None:
    routes = console_routes()
    assert ("GET", "/console/tasks") in routes and ("POST", "/console/login") in routes
    assert all(r in ROUTES or r in PUBLIC for r in routes)


def test_a_console_route_missing_from_the_table_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = dict(access.ROUTES)
    del table[("GET", "/console/tasks")]
    monkeypatch.setattr("swarmstack.server.console.ROUTES", table)
    with pytest.raises(UnmappedRoute, match="GET /console/tasks"):
        check_console_table()
