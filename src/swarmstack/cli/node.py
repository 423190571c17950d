"""Compose processes: manager and worker in one event loop (`up`), or one role (`serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
import uvloop
from fastapi import FastAPI

from swarmstack.agents import SwarmRuntime
from swarmstack.agents.runtime import saturated
from swarmstack.core.ids import new_api_key
from swarmstack.core.retry import RetryPolicy
from swarmstack.errors import InvalidInput, StoreUnavailable
from swarmstack.metrics import metrics
from swarmstack.server import Manager, create_app
from swarmstack.settings import Settings
from swarmstack.settings.models import ServerSettings
from swarmstack.signals import ResultCache, Signals, make_cache, make_signals
from swarmstack.spec import SwarmSpec
from swarmstack.store import Store, open_store
from swarmstack.worker import Worker
from swarmstack.worker.http import create_worker_app

log = logging.getLogger("swarmstack")
STARTUP_PATIENCE_S = 60.0
_T = TypeVar("_T")


@dataclass
class Banner:
    """What `up` prints once it listens."""

    url: str
    admin_key: AdminKey
    swarm: str


@dataclass(frozen=True)
class AdminKey:
    """The admin key at start-up: `shown` is a key just generated (printed once, never one
    given by the environment); `source` is generated | environment | stored."""

    shown: str | None
    source: str


def policies(specs: Sequence[SwarmSpec]) -> dict[str, RetryPolicy]:
    """Retry policies by swarm name."""
    return {s.name: RetryPolicy.of(s.runtime) for s in specs}


async def open_for(specs: Sequence[SwarmSpec], settings: Settings) -> Store:
    """Open (and migrate) the store configured in `settings`, waiting for it if it is down."""
    return await patiently(
        "open the store",
        lambda: open_store(
            settings.store_url(),
            policies=policies(specs),
            pool_size=settings.store.pool_size,
            max_overflow=settings.store.max_overflow,
        ),
    )


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on uvloop (a faster event loop, part of uvicorn[standard])."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


async def patiently(what: str, action: Callable[[], Awaitable[_T]]) -> _T:
    """`action()`, retried with backoff while the store is unavailable, for up to
    STARTUP_PATIENCE_S: nodes often start before their database (or while it restarts)."""
    deadline = time.monotonic() + STARTUP_PATIENCE_S
    delay = 0.5
    while True:
        try:
            return await action()
        except StoreUnavailable as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("cannot %s yet (%s); retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def ensure_admin_key(store: Store, settings: Settings) -> AdminKey:
    """Install SWARMSTACK_SECURITY__ADMIN_KEY as the one admin key (revoking earlier ones), or
    create a key on first start."""
    if settings.security.admin_key is not None:
        await install_admin_key(store, settings.security.admin_key.get_secret_value())
        return AdminKey(None, "environment")
    if await store.keys.count() == 0:
        key = new_api_key()
        await store.keys.add(key, "admin", "admin", time.time())
        return AdminKey(key, "generated")
    return AdminKey(None, "stored")


async def install_admin_key(store: Store, key: str) -> int:
    """Make `key` the one admin key; how many earlier admin keys were revoked."""
    await store.keys.add(key, "admin", "admin", time.time())
    revoked = await store.keys.make_sole("admin", key)
    if revoked:
        log.info("revoked %d earlier admin key(s): the admin key was replaced", revoked)
    return revoked


def build_worker(
    store: Store, specs: Sequence[SwarmSpec], settings: Settings, signals: Signals
) -> Worker:
    """A worker for `specs`; each swarm's runtime has its own pool for blocking agents."""
    runtimes = {s.name: SwarmRuntime(s, metrics=metrics) for s in specs}
    return Worker(store, runtimes, signals, settings.worker, metrics)


def tls_options(server: ServerSettings) -> dict[str, str]:
    """uvicorn's TLS options from `server.tls_cert` / `server.tls_key` (the seed's SWARM_TLS_*)."""
    cert, key = server.tls_cert, server.tls_key
    if cert is None and key is None:
        return {}
    if cert is None or key is None:
        raise InvalidInput(
            "server.tls_cert and server.tls_key go together",
            where="settings",
            fix="set both (SWARM_TLS_CERT and SWARM_TLS_KEY, or [security] tls_cert/tls_key) "
            "or neither",
        )
    for name, path in (("tls_cert", cert), ("tls_key", key)):
        if not path.is_file():
            raise InvalidInput(
                f"server.{name} {path} is not a readable file",
                where=f"server.{name}",
                fix="point it at a PEM file, or unset it to serve plain HTTP",
            )
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


def base_url(server: ServerSettings, port: int | None = None) -> str:
    """The URL clients use to reach this server."""
    scheme = "https" if server.tls_cert else "http"
    return f"{scheme}://{server.host}:{server.port if port is None else port}"


async def serve_http(
    app: FastAPI, server: ServerSettings, on_listen: asyncio.Event, port: int | None = None
) -> None:
    """Run uvicorn until SIGINT/SIGTERM (HTTPS when TLS files are set)."""
    config = uvicorn.Config(
        app,
        host=server.host,
        port=server.port if port is None else port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        **tls_options(server),  # type: ignore[arg-type]
    )
    uvi = _Server(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, uvi.request_exit)
    watcher = asyncio.create_task(_signal_started(uvi, on_listen))
    try:
        await uvi.serve()
    finally:
        watcher.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


class _Server(uvicorn.Server):
    """uvicorn without its own signal capture: it re-raises SIGTERM after shutdown, which
    would skip the worker drain and end the process with -15 instead of 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def request_exit(self) -> None:
        """Begin a graceful shutdown (second request: force it)."""
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


async def _signal_started(server: uvicorn.Server, on_listen: asyncio.Event) -> None:
    """uvicorn has no started event; poll its flag briefly."""
    for _ in range(3000):
        if server.started:
            on_listen.set()
            return
        await asyncio.sleep(0.01)


async def run_all(
    specs: Sequence[SwarmSpec],
    settings: Settings,
    workers: int,
    on_ready: asyncio.Event | None = None,
    banner: list[Banner] | None = None,
) -> None:
    """Manager plus workers: in-process (`workers == 0`) or as N worker processes."""
    store = await open_for(specs, settings)
    signals = make_signals(settings)
    await signals.start()
    cache = make_cache(settings)
    key = await ensure_admin_key(store, settings)
    worker = build_worker(store, specs, settings, signals) if workers == 0 else None
    manager = Manager(
        store,
        {s.name: s for s in specs},
        settings,
        signals,
        metrics,
        local_worker_beat=(lambda: worker.last_beat) if worker else None,
        local_saturation=(lambda: saturated(worker.runtimes.values())) if worker else None,
        cache=cache,
    )
    procs = spawn_workers(workers, settings) if workers else []
    listening = on_ready or asyncio.Event()
    try:
        if worker:
            await worker.start()
        tls_options(settings.server)
        if banner is not None:
            banner.append(Banner(base_url(settings.server), key, specs[0].name))
        await serve_http(create_app(manager), settings.server, listening)
    finally:
        if worker:
            await worker.stop()
        stop_processes(procs)
        await close_links(signals, cache)
        await store.close()


async def run_worker(specs: Sequence[SwarmSpec], settings: Settings, port: int | None) -> None:
    """A worker process; with `port`, it also serves /health, /ready and /metrics."""
    store = await open_for(specs, settings)
    signals = make_signals(settings)
    await signals.start()
    worker = build_worker(store, specs, settings, signals)
    await patiently("register the worker", worker.start)
    try:
        if port is None:
            await _wait_for_signal()
        else:
            await serve_http(
                create_worker_app(worker, settings.server.metrics_enabled),
                settings.server,
                asyncio.Event(),
                port,
            )
    finally:
        await worker.stop()
        await close_links(signals, None)
        await store.close()


async def close_links(signals: Signals, cache: ResultCache | None) -> None:
    """Close the signal channel and the result cache."""
    await signals.aclose()
    if cache is not None:
        await cache.aclose()


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def spawn_workers(count: int, settings: Settings) -> list[subprocess.Popen[bytes]]:
    """Start `count` worker processes on the same specs and store."""
    env = {**os.environ, "SWARM_MODE": "worker", "SWARMSTACK_STORE__URL": settings.store_url()}
    specs = os.environ.get("SWARMSTACK_SPECS", "")
    cmd = [sys.executable, "-m", "swarmstack", "serve", "--no-http", *specs.split(os.pathsep)]
    return [subprocess.Popen(cmd, env=env) for _ in range(count)]


def stop_processes(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process, then wait for it to drain."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()


def data_dir_ready(path: Path) -> None:
    """Create the data directory with private permissions."""
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        path.chmod(0o700)
