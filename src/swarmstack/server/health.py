"""Liveness, readiness and metrics: the endpoints that need no credentials."""

from __future__ import annotations

import time
from collections.abc import Callable
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
    """Readiness: the manager can accept tasks (its store answers) and, when a worker runs in
    this process (`up`), that worker's event loop heartbeats and no swarm's sync pool is full
    of abandoned calls (cached briefly). A manager without a worker reports the live workers
    as information only: with autoscaled workers at zero, tasks must still be accepted, or the
    queue never grows and the workers are never scaled up."""
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
    if manager.local_worker_beat is None:
        checks["workers"] = await _live_workers(manager)
        return True, checks
    checks["worker"] = _local_worker_check(manager.local_worker_beat)
    if manager.local_saturation is not None:
        checks["sync_pools"] = "; ".join(manager.local_saturation()) or "ok"
    return all(v == "ok" for v in checks.values()), checks


def _local_worker_check(last_beat: Callable[[], float]) -> str:
    age = time.time() - last_beat()
    return "ok" if age < WORKER_STALE_S else f"local worker silent for {age:.0f}s"


async def _live_workers(manager: Manager) -> str:
    """Information, not a verdict: workers may be scaled to zero until tasks queue up."""
    try:
        alive = await manager.store.cluster.workers(alive_within_s=WORKER_STALE_S)
    except StoreUnavailable as exc:
        return f"unknown ({exc})"
    return f"{len(alive)} live"


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
