"""The versions a worker can run: its own specs' versions, and every deployed version of its
swarms that it loads while running (a canary, a blue-green preview, a version pinned by a task).

Python code does not travel through the store: a version is loaded from its stored spec, its
agents imported from the code this worker carries. A version deployed for another
`code_version`, or whose agents do not import here, is not loaded: this worker never claims its
tasks, and the reason is kept for `status` (and the leader reports versions no live worker runs).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from swarmstack.agents import SwarmRuntime
from swarmstack.metrics import Metrics
from swarmstack.spec import SwarmSpec
from swarmstack.store import Deployment, Store

log = logging.getLogger(__name__)
Key = tuple[str, str]  # (swarm, version)


class VersionSet:
    """Loaded runtimes by (swarm, version), refreshed from the store's routes and queue."""

    def __init__(
        self,
        store: Store,
        base: dict[str, SwarmRuntime],
        metrics: Metrics,
        code_version: str | None = None,
    ) -> None:
        self.store = store
        self.base = base  # the worker's own runtimes, by swarm
        self.metrics = metrics
        self.code_version = code_version
        self.loaded: dict[Key, SwarmRuntime] = {}
        self.refused: dict[Key, str] = {}

    def adopt(self, swarm: str, version: str) -> None:
        """Run tasks of `version` with the worker's own runtime of `swarm` (its spec files)."""
        self.loaded[(swarm, version)] = self.base[swarm]

    def of(self, swarm: str) -> list[str]:
        """The versions of `swarm` this worker can run."""
        return sorted(v for s, v in self.loaded if s == swarm)

    def runtime(self, swarm: str, version: str | None) -> SwarmRuntime:
        """The runtime for a task (its version's, else the worker's own for the swarm)."""
        if version is not None and (swarm, version) in self.loaded:
            return self.loaded[(swarm, version)]
        return self.base[swarm]

    def names(self) -> list[str]:
        """`swarm@version` of every loaded version (what the worker registers)."""
        return sorted(f"{s}@{v}" for s, v in self.loaded)

    async def refresh(self) -> bool:
        """Load the versions the routes and the queue need; True when something was loaded."""
        swarms = sorted(self.base)
        wanted = {
            (r.swarm, v)
            for r in await self.store.deployments.routes()
            if r.swarm in self.base
            for v in (r.stable, r.candidate)
            if v
        }
        wanted |= set(await self.store.tasks.queued_versions(swarms))
        missing = sorted(wanted - set(self.loaded) - set(self.refused))
        if not missing:
            return False
        for deployment in await self.store.deployments.named(missing):
            self._load(deployment)
        return True

    def _load(self, deployment: Deployment) -> None:
        key = (deployment.swarm, deployment.version)
        need = deployment.code_version
        if need is not None and need != self.code_version:
            self.refused[key] = (
                f"needs code {need!r}; this worker carries {self.code_version or 'no declared'}"
                " code (worker.code_version)"
            )
            log.warning("not loading %s@%s: %s", *key, self.refused[key])
            return
        try:
            spec = SwarmSpec.model_validate(deployment.spec)
            self.loaded[key] = SwarmRuntime(spec, metrics=self.metrics)
        except Exception as exc:  # an agent that does not import here, a spec from a newer build
            self.refused[key] = f"cannot load here: {type(exc).__name__}: {exc}"[:500]
            log.warning("not loading %s@%s: %s", *key, self.refused[key])
            return
        log.info("loaded version %s of swarm %s", deployment.version, deployment.swarm)

    async def aclose(self, keep: Iterable[SwarmRuntime]) -> None:
        """Close every loaded runtime that is not one of `keep` (the worker's own)."""
        own = {id(rt) for rt in keep}
        for runtime in {id(rt): rt for rt in self.loaded.values()}.values():
            if id(runtime) not in own:
                await runtime.aclose()
