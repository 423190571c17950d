"""The console's overview: throughput, latency percentiles, error rate, queue depth, and tokens
and cost per swarm over time, as charts that refresh every few seconds (console.js polls the
series as JSON and draws it with uPlot)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from swarmstack.server.console.pages import ConsoleRoute, render
from swarmstack.server.console.session import Console
from swarmstack.server.state import Manager
from swarmstack.store.task_series import task_series

router = APIRouter(prefix="/console/overview", route_class=ConsoleRoute, include_in_schema=False)
WINDOWS = {"900": "15 minutes", "3600": "1 hour", "21600": "6 hours", "86400": "24 hours"}
BUCKETS = 30


def _manager(request: Request) -> Manager:
    manager: Manager = request.app.state.manager
    return manager


@router.get("")
async def overview(request: Request, who: Console) -> Response:
    """The charts page, with the current queue depth per swarm."""
    depth = await _manager(request).store.tasks.queue_depth()
    return render(request, "overview.html", who, windows=WINDOWS, depth=depth)


@router.get("/series")
async def series(
    request: Request,
    who: Console,
    window: Annotated[int, Query(ge=60, le=7 * 86400)] = 3600,
) -> Response:
    """The charts' data for the last `window` seconds, in 30 buckets."""
    now = time.time()
    found = await task_series(
        _manager(request).store.db, now - window, now, BUCKETS, tenant=who.tenant
    )
    return JSONResponse(found.as_dict())
