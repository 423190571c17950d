"""Run processes: `up` (manager and worker in one event loop, or N worker processes) and
`serve` (one role), around the wiring that `swarmstack.node.build_node` does."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from fastapi import FastAPI

from swarmstack.errors import InvalidInput
from swarmstack.node import AdminKey, Node, build_node
from swarmstack.settings import Settings
from swarmstack.settings.models import ServerSettings
from swarmstack.spec import SwarmSpec
from swarmstack.worker.http import create_worker_app

log = logging.getLogger("swarmstack")
GC_YOUNG = 50_000  # allocations between collections of the young generation (Python: 700)


@dataclass
class Banner:
    """What `up` prints once it listens."""

    url: str
    admin_key: AdminKey
    swarm: str
    encryption: str = ""


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on uvloop (a faster event loop, part of uvicorn[standard])."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def settle_heap() -> None:
    """Once a worker has started: exempt what start-up made (modules, specs, pools) from garbage
    collection, since it lives as long as the process, and collect the young generation every
    GC_YOUNG allocations instead of every 700. A task's objects live for seconds, so with the
    default they all move on to full collections, and with thousands of tasks in flight each full
    collection walks all of them: 40 % of a worker's CPU at 10,000 LLM tasks in flight, 10 % after
    this (docs/benchmarks.md (c))."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, older, oldest)


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


PARENT_CHECK_S = 1.0  # how often a worker `up` started checks that `up` is still there


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
        # The app reads X-Forwarded-For itself, only from server.trusted_proxies: uvicorn's
        # default would let any local client pick its address (rate limits, audit source).
        proxy_headers=False,
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


Reload = Callable[[], Settings]


def on_hangup(node: Node, reload: Reload | None) -> Callable[[], None]:
    """On SIGHUP re-read the settings (config.toml, .env, mounted *_FILE secrets) and apply
    those that can change live; returns a function that removes the handler."""
    if reload is None:
        return lambda: None
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()

    def hangup() -> None:
        task = loop.create_task(_reload(node, reload))
        pending.add(task)
        task.add_done_callback(pending.discard)

    loop.add_signal_handler(signal.SIGHUP, hangup)

    def forget() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    return forget


async def _reload(node: Node, reload: Reload) -> None:
    try:
        restart = await node.reload(reload())
    except Exception as exc:  # a broken config.toml must not take the node down
        log.error("SIGHUP: settings not re-read, the running ones stay: %s", exc)
        return
    later = f"; needing a restart to apply: {', '.join(restart)}" if restart else ""
    log.info("settings re-read on SIGHUP%s", later)


async def run_all(
    specs: Sequence[SwarmSpec],
    settings: Settings,
    workers: int,
    on_ready: asyncio.Event | None = None,
    banner: list[Banner] | None = None,
    reload: Reload | None = None,
) -> None:
    """Manager plus workers: in-process (`workers == 0`) or as N worker processes."""
    node = await build_node(specs, settings, worker=workers == 0)
    procs = spawn_workers(workers, settings) if workers else []
    listening = on_ready or asyncio.Event()
    forget = on_hangup(node, reload)
    try:
        await node.start_worker()
        settle_heap()
        tls_options(settings.server)
        if banner is not None and node.admin_key is not None:
            kid = node.store.keyring.current_kid
            at_rest = (
                f"task data: encrypted at rest (AES-256-GCM, key id {kid})"
                if kid
                else "task data: stored in plain text (security.encryption is off)"
            )
            banner.append(Banner(base_url(settings.server), node.admin_key, specs[0].name, at_rest))
        await serve_http(node.app(), settings.server, listening)
    finally:
        forget()
        stop_processes(procs)
        await node.stop()


async def run_manager(
    specs: Sequence[SwarmSpec],
    settings: Settings,
    announce: Callable[[AdminKey], None],
    reload: Reload | None = None,
) -> None:
    """A manager process (`serve` with SWARM_MODE=manager); `announce` tells the admin key."""
    node = await build_node(specs, settings, worker=False)
    settle_heap()
    forget = on_hangup(node, reload)
    try:
        if node.admin_key is not None:
            announce(node.admin_key)
        await serve_http(node.app(), settings.server, asyncio.Event())
    finally:
        forget()
        await node.stop()


async def run_worker(
    specs: Sequence[SwarmSpec],
    settings: Settings,
    port: int | None,
    reload: Reload | None = None,
) -> None:
    """A worker process; with `port`, it also serves /health, /ready and /metrics."""
    node = await build_node(specs, settings, manager=False)
    await node.start_worker()
    settle_heap()
    assert node.worker is not None
    forget = on_hangup(node, reload)
    try:
        if port is None:
            await _wait_for_signal()
        else:
            await serve_http(
                create_worker_app(node.worker, settings.server.metrics_enabled),
                settings.server,
                asyncio.Event(),
                port,
            )
    finally:
        forget()
        await node.stop()


async def _wait_for_signal() -> None:
    """Until SIGINT or SIGTERM; or, for a worker `up` started, until that `up` is gone (killed
    with SIGKILL it cannot stop its workers, which would go on running tasks unwatched)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    parent = _parent_pid()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=PARENT_CHECK_S)
        if parent is not None and os.getppid() != parent:
            log.warning(
                "the `swarmstack up` (pid %d) that started this worker is gone; stopping", parent
            )
            return


def _parent_pid() -> int | None:
    """The pid of the `up` that started this worker (SWARMSTACK_PARENT_PID), if any."""
    value = os.environ.get("SWARMSTACK_PARENT_PID", "")
    return int(value) if value.isdigit() else None


def spawn_workers(count: int, settings: Settings) -> list[subprocess.Popen[bytes]]:
    """Start `count` worker processes on the same specs and store."""
    env = {
        **os.environ,
        "SWARM_MODE": "worker",
        "SWARMSTACK_STORE__URL": settings.store_url(),
        "SWARMSTACK_PARENT_PID": str(os.getpid()),  # the worker stops if `up` is gone
    }
    if (key_file := settings.security.encryption_key_file) is not None:  # `up`'s own key file
        env.pop("SWARM_ENCRYPTION_KEY_FILE", None)
        env["SWARMSTACK_SECURITY__ENCRYPTION_KEY_FILE"] = str(key_file)
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
