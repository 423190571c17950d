"""A real worker for one swarm of napping agents, as store-level tests need it."""

from __future__ import annotations

from swarmstack.agents import SwarmRuntime
from swarmstack.core.clock import Clock
from swarmstack.metrics import Metrics
from swarmstack.settings.models import WorkerSettings
from swarmstack.signals import LocalSignals
from swarmstack.store import Store
from swarmstack.worker import Worker
from tests.conftest import SpecFactory

NAP_RUNTIME = "{lease: 1s, retry_delay: 0s}"


def nap_worker(store: Store, make_spec: SpecFactory, clock: Clock | None = None) -> Worker:
    """A worker for swarm `s` (agent `tests.support.agents:nap`, 1 s leases) that polls often."""
    spec = make_spec("s", "tests.support.agents:nap", runtime=NAP_RUNTIME)
    metrics = Metrics()
    return Worker(
        store,
        {"s": SwarmRuntime(spec, metrics=metrics)},
        LocalSignals(),
        WorkerSettings(poll_interval=0.05),
        metrics,
        clock=clock,
    )
