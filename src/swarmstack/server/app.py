"""The manager's ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp

from swarmstack import __version__
from swarmstack.server import (
    health,
    problems,
    routes_admin,
    routes_auth,
    routes_cluster,
    routes_deployments,
    routes_swarms,
    routes_tasks,
)
from swarmstack.server.access import check_table
from swarmstack.server.auth import PrincipalCache
from swarmstack.server.console import install as install_console
from swarmstack.server.limits import RateLimitHeaders
from swarmstack.server.middleware import BodyLimit, HttpMetrics
from swarmstack.server.security_headers import SecurityHeaders, cors, docs_policies
from swarmstack.server.state import Manager


class SwarmstackApp(FastAPI):
    """FastAPI with `SecurityHeaders` outside every other layer, the handler of unexpected
    errors included (Starlette puts that one outside all middleware added the usual way)."""

    hsts = False

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return SecurityHeaders(stack, hsts=self.hsts, pages=docs_policies(self))


def create_app(manager: Manager, *, manage_lifecycle: bool = True) -> FastAPI:
    """The FastAPI app for `manager`; with `manage_lifecycle` it starts and stops it."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            await manager.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await manager.stop()

    app = SwarmstackApp(
        title="swarmstack",
        version=__version__,
        lifespan=lifespan,
        description="Task API of a swarmstack manager.",
    )
    app.state.manager = manager
    app.state.principals = PrincipalCache()
    app.state.readiness = health.Readiness()
    app.state.limiter = manager.limiter
    app.hsts = manager.settings.server.tls_cert is not None
    problems.install(app)
    app.include_router(health.router)
    app.include_router(routes_tasks.router)
    app.include_router(routes_cluster.router)
    app.include_router(routes_deployments.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_swarms.router)
    check_table(app)
    install_console(app)
    # add_middleware puts each one outside the ones before it
    app.add_middleware(RateLimitHeaders)
    if manager.settings.server.gzip:
        app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(HttpMetrics, metrics=manager.metrics)
    app.add_middleware(BodyLimit, max_bytes=manager.settings.server.max_body_bytes)
    if origins := manager.settings.server.cors_origins:
        app.user_middleware.insert(0, cors(origins))  # outermost: 413s and 429s readable too
    return app
