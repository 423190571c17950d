"""A real manager and worker on one event loop, over a real SQLite file (or PostgreSQL where a
module asks for both backends: `node_store`), driven through ASGI."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from swarmstack.metrics import Metrics
from swarmstack.node import Node as BuiltNode
from swarmstack.node import build_node
from swarmstack.server import Manager
from swarmstack.settings import Settings
from swarmstack.signals import LocalSignals
from swarmstack.spec import SwarmSpec
from swarmstack.store import Store
from swarmstack.store.tables import api_keys
from swarmstack.worker import Worker
from tests.conftest import SpecFactory, empty_tables
from tests.support.keys import TEST_KEY

ADMIN_KEY = "ssk_test_admin_key"
JWT_SECRET = "test-jwt-secret-of-at-least-32-bytes!"


@dataclass
class Node:
    """What a test drives: the HTTP client plus the pieces behind it."""

    http: httpx.AsyncClient
    manager: Manager
    worker: Worker
    store: Store
    metrics: Metrics


@pytest.fixture
def swarms(make_spec: SpecFactory) -> list[SwarmSpec]:
    """Swarms loaded by the node: echo (default), a two-step pipeline and a napper."""
    fast = "{retry_attempts: 2, retry_delay: 0s, lease: 5s}"
    return [
        make_spec("echo", runtime=fast),
        make_spec("nap", "tests.support.agents:nap", runtime=fast),
        make_spec("blocking", "tests.support.agents:blocking_nap", runtime=fast),
        make_spec("flaky", "tests.support.agents:flaky", runtime=fast),
        make_spec(
            "broken",
            "tests.support.agents:always_fails",
            runtime="{retry_attempts: 1, retry_delay: 0s}",
        ),
        make_spec(
            "slow", "tests.support.agents:nap", runtime="{retry_attempts: 0, timeout: 200ms}"
        ),
        _pipeline(make_spec),
        make_spec("produce", "tests.support.agents:produce", runtime=fast),
        make_spec("overloaded", "tests.support.agents:overloaded", runtime=fast),
        make_spec(
            "memory",
            "tests.support.agents:remember",
            extra="sessions: {on_conflict: enqueue, max_messages: 10}\n",
        ),
    ]


def _pipeline(make_spec: SpecFactory) -> SwarmSpec:
    data = make_spec("pipeline").model_dump()
    data["agents"] = {
        "shout": {"kind": "python", "entrypoint": "tests.support.agents:upper"},
        "bang": {"kind": "python", "entrypoint": "tests.support.agents:exclaim"},
    }
    data["flow"] = {"type": "sequential", "steps": ["shout", "bang"]}
    return SwarmSpec.model_validate(data)


@pytest.fixture
def server_overrides() -> dict[str, object]:
    """Server settings a test changes (parametrize `server_overrides` to set them)."""
    return {}


@pytest.fixture
def rate_limits() -> dict[str, object]:
    """Rate limit settings a test changes (override the fixture to set them)."""
    return {}


@pytest.fixture
def node_store() -> str | None:
    """The node's store URL; None: the SQLite file under its data directory. A module runs on
    both backends by overriding it with `def node_store(store_url: str) -> str`."""
    return None


@pytest.fixture
async def node(
    tmp_path: Path,
    swarms: list[SwarmSpec],
    server_overrides: dict[str, object],
    rate_limits: dict[str, object],
    node_store: str | None,
) -> AsyncIterator[Node]:
    """Manager + worker + ASGI client; everything stopped afterwards."""
    server = {"max_body_bytes": 4096, **server_overrides}
    settings = Settings(
        data_dir=tmp_path,
        store={"url": node_store or ""},  # type: ignore[arg-type]
        rate_limits=rate_limits,  # type: ignore[arg-type]
        server=server,  # type: ignore[arg-type]
        security={  # type: ignore[arg-type]
            "admin_key": ADMIN_KEY,
            "jwt_secret": JWT_SECRET,
            "encryption_key": TEST_KEY,
        },
    )
    if node_store and not node_store.startswith("sqlite"):
        await _empty(settings)
    built = await build_node(swarms, settings, metrics=Metrics())
    assert built.manager is not None and built.worker is not None
    manager, worker, store, metrics = built.manager, built.worker, built.store, built.metrics
    await built.start_manager()
    await built.start_worker()
    transport = httpx.ASGITransport(app=built.app(manage_lifecycle=False))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://swarm",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    ) as http:
        yield Node(http, manager, worker, store, metrics)
    await built.stop(drain_timeout_s=1)


async def _empty(settings: Settings) -> None:
    """Empty the PostgreSQL database that the session's tests share, before a node uses it."""
    opened = await build_node([], settings, manager=False, worker=False, metrics=Metrics())
    await empty_tables(opened.store.db)
    await opened.stop()


PEER = ("203.0.113.5", 40000)


@dataclass
class Started:
    """A started manager without a worker, and its app."""

    node: BuiltNode
    app: FastAPI

    def client(
        self, key: str | None = ADMIN_KEY, peer: tuple[str, int] = PEER, **kw: Any
    ) -> httpx.AsyncClient:
        """An HTTP client of the app from `peer`, sending `key` (None: no credentials)."""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        transport = httpx.ASGITransport(app=self.app, client=peer, **kw)
        return httpx.AsyncClient(transport=transport, base_url="http://swarm", headers=headers)

    async def key(self, name: str, role: str, **columns: object) -> str:
        """A new API key of `role`, with `columns` of api_keys set (rate_limit, ...)."""
        key = f"ssk_{name}_{role}_key"
        who = await self.node.store.keys.add(key, name, role, time.time())
        if columns:
            async with self.node.store.db.write() as conn:
                await conn.execute(update(api_keys).where(api_keys.c.id == who.id).values(columns))
        return key


Start = Callable[..., Awaitable[Started]]


@pytest.fixture
async def start(tmp_path: Path, make_spec: SpecFactory) -> AsyncIterator[Start]:
    """Starts managers (no worker) on one SQLite store with the given settings."""
    async with AsyncExitStack() as stack:

        async def run(**settings: Any) -> Started:
            node = await build_node(
                [make_spec("echo")],
                Settings(
                    data_dir=tmp_path,
                    security={"admin_key": ADMIN_KEY, "encryption_key": TEST_KEY},
                    **settings,
                ),
                worker=False,
                metrics=Metrics(),
                signals=LocalSignals(),
            )
            await node.start_manager()
            stack.push_async_callback(node.stop)
            return Started(node, node.app(manage_lifecycle=False))

        yield run
