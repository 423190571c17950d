"""The web console at /console: server-rendered pages (Jinja2) with htmx and uPlot, vendored
under static/ (VENDORED.md), so nothing loads from another origin. docs/console.md describes it.

`install(app)` adds its routes and static files. Every console route is in server/access.py
(`CONSOLE_ROUTES`, `CONSOLE_PUBLIC`); `install` refuses to start when one is missing there.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from swarmstack.server.access import CONSOLE, CONSOLE_PUBLIC, CONSOLE_ROUTES, UnmappedRoute
from swarmstack.server.console import (
    pages,
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
    """Serve the console from `app`; a path under /console that names nothing gets the
    console's own 404 page (the app's other 404s stay problem JSON)."""
    check_console_table()
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    _pages_for_missing_paths(app)


def _pages_for_missing_paths(app: FastAPI) -> None:
    api_handler = app.exception_handlers.get(StarletteHTTPException)

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        in_console = request.url.path == CONSOLE or request.url.path.startswith(CONSOLE + "/")
        if exc.status_code == 404 and in_console:
            return pages.not_found(request)
        if api_handler is None:
            raise exc
        answer = api_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, handler)
