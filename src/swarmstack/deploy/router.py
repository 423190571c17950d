"""A node's view of deployments: every swarm's route and the specs of the versions it routes to.

Refreshed from the store every `refresh_s` seconds (`server.route_refresh`) and at once after a
change on this node, so managers learn of a deploy, a step or an abort by another manager within
that time, without a restart. Until then a task may be routed to a version that is no longer
live; the store puts it on stable in the insert's transaction (`store.reroute`), so routes here
may be stale but never strand a task. Routing itself is pure (`core.routing.choose`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from swarmstack.core.live_versions import live_versions
from swarmstack.core.routing import choose
from swarmstack.errors import NotFound, StoreUnavailable
from swarmstack.spec import SwarmSpec
from swarmstack.store import Route, Store

log = logging.getLogger(__name__)


class Router:
    """Routes and version specs, cached; `version_for` decides a new task's version."""

    def __init__(self, store: Store, refresh_s: float = 1.0) -> None:
        self.store = store
        self.refresh_s = refresh_s
        self.routes: dict[str, Route] = {}
        self.specs: dict[tuple[str, str], SwarmSpec] = {}
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        """Read every route and load the specs of versions not yet cached."""
        self.routes = {r.swarm: r for r in await self.store.deployments.routes()}
        wanted = {(r.swarm, v) for r in self.routes.values() for v in (r.stable, r.candidate) if v}
        missing = sorted(wanted - set(self.specs))
        for deployment in await self.store.deployments.named(missing):
            self.specs[(deployment.swarm, deployment.version)] = SwarmSpec.model_validate(
                deployment.spec
            )

    async def spec(self, swarm: str, version: str) -> SwarmSpec:
        """The spec of a version (from the cache, else the store); NotFound if there is none."""
        key = (swarm, version)
        if key not in self.specs:
            deployment = await self.store.deployments.get(swarm, version)
            self.specs[key] = SwarmSpec.model_validate(deployment.spec)
        return self.specs[key]

    def stable_spec(self, swarm: str) -> SwarmSpec | None:
        """The spec of the swarm's stable version, if routed and cached."""
        route = self.routes.get(swarm)
        return None if route is None else self.specs.get((swarm, route.stable))

    def swarms(self) -> list[str]:
        """Every swarm that has a route."""
        return sorted(self.routes)

    def version_for(self, swarm: str, key: str) -> str | None:
        """The version a new task of `swarm` with routing key `key` runs on (None: the swarm has
        no deployment yet)."""
        route = self.routes.get(swarm)
        if route is None:
            return None
        return choose(key, route.stable, route.candidate, route.weight)

    async def pinned(self, swarm: str, version: str) -> SwarmSpec:
        """The spec of a version a client pinned; NotFound naming the swarm's live versions (a
        pin to a retired one is refused by the store with 409)."""
        try:
            return await self.spec(swarm, version)
        except NotFound:
            found = await self.store.deployments.state(swarm)
            live = sorted(live_versions(found[0])) if found is not None else []
            raise NotFound(
                f"swarm {swarm!r} has no version {version!r}",
                fix=f"pin one of: {', '.join(live) or '(none deployed)'}",
            ) from None

    def start(self) -> None:
        """Refresh in the background every `refresh_s` seconds."""
        self._task = asyncio.create_task(self._loop(), name="router-refresh")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            try:
                await self.refresh()
            except StoreUnavailable as exc:
                log.warning("route refresh failed: %s", exc)
            except Exception:
                log.exception("route refresh failed")

    async def aclose(self) -> None:
        """Stop refreshing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
