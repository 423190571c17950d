"""One node's wiring: store, signals, result cache, manager and worker, built in one place.

`build_node()` is what `swarmstack up` and `serve` run, and what the tests and benchmarks start,
so all of them run the same process wiring. It loads the encryption keys (stopping when
encryption is on and none is set), opens (and migrates) the store, waiting for it while it is
down (`patiently`), checks that the keys open what the store holds, starts the signal link,
installs the admin key, and builds a manager, a worker, or both. The HTTP server around it
stays with the CLI.

Layer: above server and worker (it composes them), below cli.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import FastAPI
from pydantic import BaseModel

from swarmstack.agents import SwarmRuntime, swarms_api
from swarmstack.agents.runtime import saturated
from swarmstack.core.ids import new_api_key, node_id
from swarmstack.core.retry import RetryPolicy
from swarmstack.deploy.service import Deployer
from swarmstack.errors import StoreRefused, StoreUnavailable, SwarmstackError
from swarmstack.metrics import Metrics
from swarmstack.metrics import metrics as process_metrics
from swarmstack.metrics.tracing import configure_tracing, flush_tracing
from swarmstack.security.keyring import LiveKeyring, load_keyring
from swarmstack.security.tokens import keys_from
from swarmstack.server import Manager, create_app
from swarmstack.settings import Settings
from swarmstack.settings.models import LIVE_SETTINGS
from swarmstack.signals import ResultCache, Signals, make_cache, make_signals
from swarmstack.spec import SwarmSpec
from swarmstack.store import AuditEntry, Store, check_keys, open_store
from swarmstack.worker import Worker

log = logging.getLogger("swarmstack")
STARTUP_PATIENCE_S = 60.0
_T = TypeVar("_T")


@dataclass(frozen=True)
class AdminKey:
    """The admin key at start-up: `shown` is a key just generated (printed once, never one
    given by the environment); `source` is generated | environment | stored."""

    shown: str | None
    source: str


@dataclass
class Node:
    """What one process runs. `manager` and `worker` are None when the role is not run here."""

    specs: list[SwarmSpec]
    settings: Settings
    store: Store
    signals: Signals
    metrics: Metrics
    cache: ResultCache | None = None
    manager: Manager | None = None
    worker: Worker | None = None
    admin_key: AdminKey | None = None
    owns_store: bool = True
    owns_signals: bool = True
    owns_cache: bool = True
    _closed: bool = field(default=False, repr=False)
    _manager_started: bool = field(default=False, repr=False)

    def app(self, manage_lifecycle: bool = True) -> FastAPI:
        """The manager's ASGI app (with `manage_lifecycle`, its lifespan starts and stops the
        manager). Raises RuntimeError on a node without a manager."""
        if self.manager is None:
            raise RuntimeError("this node runs no manager; build it with manager=True")
        return create_app(self.manager, manage_lifecycle=manage_lifecycle)

    async def start_manager(self) -> None:
        """Start the manager's background loops (waiters, leader) without an ASGI lifespan;
        `stop()` then stops them."""
        if self.manager is not None:
            await self.manager.start()
            self._manager_started = True

    async def start_worker(self) -> None:
        """Register the worker and start claiming (waiting for the store while it is down)."""
        if self.worker is not None:
            await patiently("register the worker", self.worker.start)

    async def reload(self, settings: Settings) -> list[str]:
        """Apply what can change without a restart (see `LIVE_SETTINGS`); the dotted names of
        the other settings that changed and wait for a restart."""
        before, after = _flat(self.settings), _flat(settings)
        changed = sorted(k for k in after if after[k] != before.get(k))
        if self.worker is not None:
            self.worker.reconfigure(settings.worker)
        if self.manager is not None:
            self.manager.token_keys = keys_from(settings.security)  # raises before any change
            self.manager.settings = settings
        admin = settings.security.admin_key
        if admin is not None and admin != self.settings.security.admin_key:
            await install_admin_key(self.store, admin.get_secret_value())
        if any(k.startswith("security.encryption") for k in changed):
            await self._rekey(settings)
        self.settings = settings
        await self._audit_reload(changed)
        return [k for k in changed if k not in LIVE_SETTINGS]

    async def _rekey(self, settings: Settings) -> None:
        """Run with the encryption keys of `settings` from now on, once they open what the
        store holds (else SettingsError, and the keys in use stay)."""
        keyring = load_keyring(settings.security)
        await check_keys(self.store.db, keyring)
        if isinstance(self.store.keyring, LiveKeyring):
            self.store.keyring.use(settings.security, keyring)
            log.info("encryption keys re-read: key ids %s", ", ".join(keyring.kids) or "none")

    async def _audit_reload(self, changed: list[str]) -> None:
        """Record a reload in the audit log (names of changed settings only, never values)."""
        entry = AuditEntry("system:sighup", "settings.reload", self.settings.mode, "-", "ok",
                           {"changed": changed, "node": socket.gethostname()})  # fmt: skip
        try:
            await self.store.audit.append(entry, time.time())
        except SwarmstackError as exc:
            log.error("could not record the settings reload in the audit log: %s", exc)

    async def stop(self, drain_timeout_s: float | None = None) -> None:
        """Drain the worker, then close the links and the store this node opened. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.worker is not None:
            await self.worker.stop(drain_timeout_s)
        if self.manager is not None and self._manager_started:
            await self.manager.stop()
        if self.owns_signals:
            await self.signals.aclose()
        if self.cache is not None and self.owns_cache:
            await self.cache.aclose()
        if self.owns_store:
            await self.store.close()
        await asyncio.to_thread(flush_tracing)


def with_swarms_api(specs: Sequence[SwarmSpec], settings: Settings) -> list[SwarmSpec]:
    """`specs`, plus the Swarms API adapter's built-in swarm when `server.swarms_api` is on."""
    if not settings.server.swarms_api or any(s.name == swarms_api.SWARM for s in specs):
        return list(specs)
    return [*specs, swarms_api.builtin_spec()]


async def build_node(
    specs: Sequence[SwarmSpec],
    settings: Settings,
    *,
    manager: bool = True,
    worker: bool = True,
    metrics: Metrics | None = None,
    store: Store | None = None,
    signals: Signals | None = None,
    cache: ResultCache | None = None,
    manager_id: str | None = None,
) -> Node:
    """A node for `specs`: the store from `settings` (or `store`, left open at stop), the signal
    link from `settings` (or `signals`, started and closed by the caller), the result cache from
    `settings` (or `cache`, closed by the caller), the admin key, and a manager and/or a worker.

    Raises StoreUnavailable when the store stays down for STARTUP_PATIENCE_S seconds, and
    SettingsError for bad settings: among them no encryption key while encryption is on, and
    keys that do not open what the store holds."""
    metrics = metrics or process_metrics
    configure_tracing(settings.tracing)
    specs = with_swarms_api(specs, settings)
    opened = store is None
    store = store or await open_for(specs, settings)
    link = signals or make_signals(settings)
    if signals is None:
        await link.start()
    node = Node(
        list(specs),
        settings,
        store,
        link,
        metrics,
        owns_store=opened,
        owns_signals=signals is None,
        owns_cache=cache is None,
    )
    deployed = await patiently(
        "deploy the spec files", lambda: Deployer(store).deploy_files(specs, by="startup")
    )
    if worker:
        node.worker = build_worker(store, specs, settings, link, metrics)
        for result in deployed:  # the worker's own runtime runs its files' version
            node.worker.versions.adopt(result.deployment.swarm, result.deployment.version)
    if manager:
        node.cache = cache or make_cache(settings)
        node.admin_key = await ensure_admin_key(store, settings)
        node.manager = _manager(node, manager_id)
    return node


def _manager(node: Node, manager_id: str | None) -> Manager:
    local = node.worker
    return Manager(
        node.store,
        {s.name: s for s in node.specs},
        node.settings,
        node.signals,
        node.metrics,
        local_worker_beat=(lambda: local.last_beat) if local else None,
        local_saturation=(lambda: saturated(local.runtimes.values())) if local else None,
        cache=node.cache,
        id=manager_id or node_id(socket.gethostname(), os.getpid()),
    )


def _flat(settings: Settings) -> dict[str, object]:
    """Every leaf setting by dotted name (secrets compared by value, never printed)."""
    flat: dict[str, object] = {}

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(f"{prefix}{name}.", getattr(value, name))
        else:
            flat[prefix.rstrip(".")] = value

    walk("", settings)
    return flat


def policies(specs: Sequence[SwarmSpec]) -> dict[str, RetryPolicy]:
    """Retry policies by swarm name."""
    return {s.name: RetryPolicy.of(s.runtime) for s in specs}


async def open_for(specs: Sequence[SwarmSpec], settings: Settings) -> Store:
    """Open (and migrate) the store configured in `settings` with its encryption keys, waiting
    for it if it is down. Raises SettingsError when encryption is on and no key is set, or when
    the keys do not open what the store holds (a missing or wrong key)."""
    keyring = LiveKeyring(settings.security)
    store = await patiently(
        "open the store",
        lambda: open_store(
            settings.store_url(),
            policies=policies(specs),
            pool_size=settings.store.pool_size,
            max_overflow=settings.store.max_overflow,
            ping_after_idle=settings.store.ping_after_idle,
            keyring=keyring,
        ),
    )
    try:
        await patiently("check the encryption keys", lambda: check_keys(store.db, keyring))
    except BaseException:
        await store.close()
        raise
    return store


async def patiently(what: str, action: Callable[[], Awaitable[_T]]) -> _T:
    """`action()`, retried with backoff while the store is unavailable, for up to
    STARTUP_PATIENCE_S: nodes often start before their database (or while it restarts)."""
    deadline = time.monotonic() + STARTUP_PATIENCE_S
    delay = 0.5
    while True:
        try:
            return await action()
        except StoreRefused:
            raise  # a wrong password or database name: waiting does not fix it
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
        who = await store.keys.add(key, "admin", "admin", time.time())
        entry = AuditEntry("system:first-start", "key.create", who.id, "-", "ok", {"role": "admin"})
        await store.audit.append(entry, time.time())
        return AdminKey(key, "generated")
    return AdminKey(None, "stored")


async def install_admin_key(store: Store, key: str, by: str = "system:settings") -> int:
    """Make `key` the one admin key; how many earlier admin keys were revoked. A replacement
    (something revoked) is recorded in the audit log as done `by`."""
    who = await store.keys.add(key, "admin", "admin", time.time())
    revoked = await store.keys.make_sole("admin", key)
    if revoked:
        log.info("revoked %d earlier admin key(s): the admin key was replaced", revoked)
        entry = AuditEntry(by, "key.replace-admin", who.id, "-", "ok", {"revoked": revoked})
        try:
            await store.audit.append(entry, time.time())
        except SwarmstackError as exc:
            log.error("could not record the admin key replacement in the audit log: %s", exc)
    return revoked


def build_worker(
    store: Store,
    specs: Sequence[SwarmSpec],
    settings: Settings,
    signals: Signals,
    metrics: Metrics | None = None,
) -> Worker:
    """A worker for `specs`; each swarm's runtime has its own pool for blocking agents."""
    metrics = metrics or process_metrics
    runtimes = {s.name: SwarmRuntime(s, metrics=metrics) for s in specs}
    return Worker(store, runtimes, signals, settings.worker, metrics)
