"""The web console at /console: server-rendered pages (Jinja2) with htmx and uPlot, vendored
under static/ (VENDORED.md), so nothing loads from another origin. docs/console.md describes it.

`install(app)` adds its routes and static files. Every console route is in server/access.py
(`CONSOLE_ROUTES`, `CONSOLE_PUBLIC`); `install` refuses to start when one is missing there.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.staticfiles import StaticFiles

from swarmstack.server.access import CONSOLE_PUBLIC, CONSOLE_ROUTES, UnmappedRoute
from swarmstack.server.console import (
    routes_admin,
    routes_overview,
    routes_signin,
    routes_swarms,
    routes_tasks,
)

STATIC = Path(__file__).parent / "static"
ROUTERS = (
    routes_signin.router,
    routes_overview.router,
    routes_tasks.router,
    routes_swarms.router,
    routes_admin.router,
)


def console_routes() -> list[tuple[str, str]]:
    """(method, path) of every console route."""
    return [
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    ]


def check_console_table() -> None:
    """Raise UnmappedRoute when a console route has no entry in server/access.py."""
    missing = [
        f"{m} {p}" for m, p in console_routes() if (m, p) not in CONSOLE_ROUTES | CONSOLE_PUBLIC
    ]
    if missing:
        raise UnmappedRoute("console routes without a permission: " + ", ".join(missing))


def install(app: FastAPI) -> None:
    """Serve the console from `app`."""
    check_console_table()
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
