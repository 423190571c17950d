"""Liveness, readiness and metrics: the endpoints that need no credentials."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from swarmstack import __version__
from swarmstack.errors import NotFound, StoreUnavailable
from swarmstack.server.state import Manager

router = APIRouter(tags=["operations"])
READY_CACHE_S = 2.0
WORKER_STALE_S = 10.0


@dataclass
class Readiness:
    """The last readiness verdict and when it was taken."""

    ok: bool = False
    checks: dict[str, str] | None = None
    at: float = 0.0


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok", "version": __version__}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """Readiness: the store answers, a worker's event loop heartbeats, and no swarm's sync pool
    of the in-process worker is full of abandoned calls (cached briefly)."""
    cache: Readiness = request.app.state.readiness
    now = time.monotonic()
    if now - cache.at > READY_CACHE_S:
        cache.ok, cache.checks = await _check(request.app.state.manager)
        cache.at = now
    return JSONResponse(
        {"status": "ready" if cache.ok else "not ready", "checks": cache.checks},
        status_code=200 if cache.ok else 503,
    )


async def _check(manager: Manager) -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        await manager.store.db.ping()
        checks["store"] = "ok"
    except StoreUnavailable as exc:
        checks["store"] = str(exc)
        return False, checks
    checks["worker"] = await _worker_check(manager)
    if manager.local_saturation is not None:
        checks["sync_pools"] = "; ".join(manager.local_saturation()) or "ok"
    return all(v == "ok" for v in checks.values()), checks


async def _worker_check(manager: Manager) -> str:
    now = time.time()
    if manager.local_worker_beat is not None:
        age = now - manager.local_worker_beat()
        return "ok" if age < WORKER_STALE_S else f"local worker silent for {age:.0f}s"
    alive = await manager.store.cluster.workers(alive_within_s=WORKER_STALE_S)
    return "ok" if alive else f"no worker heartbeat in the last {WORKER_STALE_S:.0f}s"


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process (404 when `server.metrics_enabled` is off)."""
    manager: Manager = request.app.state.manager
    if not manager.settings.server.metrics_enabled:
        raise NotFound("metrics are turned off", fix="set [monitoring] metrics_enabled = true")
    return Response(generate_latest(manager.metrics.registry), media_type=CONTENT_TYPE_LATEST)
