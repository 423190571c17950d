"""The worker's small HTTP surface: /health, /ready and /metrics for probes and scrapes."""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from swarmstack import __version__
from swarmstack.agents.runtime import saturated
from swarmstack.worker import Worker

STALE_S = 10.0


def create_worker_app(worker: Worker, metrics_enabled: bool = True) -> FastAPI:
    """Probe and metrics endpoints of one worker process (no /metrics when disabled)."""
    app = FastAPI(title="swarmstack worker", version=__version__, openapi_url=None)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "worker": worker.id}

    @app.get("/ready")
    async def ready() -> JSONResponse:
        age = time.time() - worker.last_beat
        full = saturated(worker.runtimes.values())
        ok = age < STALE_S and not full
        return JSONResponse(
            {
                "status": "ready" if ok else "not ready",
                "heartbeat_age_s": round(age, 3),
                "in_flight": len(worker.running),
                "sync_pools": "; ".join(full) or "ok",
            },
            status_code=200 if ok else 503,
        )

    @app.get("/metrics")
    async def metrics() -> Response:
        if not metrics_enabled:
            return Response("metrics are turned off\n", status_code=404)
        return Response(generate_latest(worker.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
