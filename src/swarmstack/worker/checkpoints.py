"""Step checkpoints of a retried task: what its earlier attempts finished.

Called by the runner before each attempt of a swarm with `runtime.resume_steps`. The store's
event stream is the checkpoint log: every finished step already leaves a `step_finished` event
with its output (flushed before the attempt's outcome is recorded, and periodically while it
runs), so after a crash or a temporary error the next attempt restores those steps
(`agents.steps.run_step`) and runs only the rest.
"""

from __future__ import annotations

from typing import Any

from swarmstack.agents.steps import checkpoints_of
from swarmstack.core.records import TaskRecord
from swarmstack.spec.swarm import SwarmSpec
from swarmstack.store import Store

PAGE = 500


async def load_checkpoints(store: Store, task: TaskRecord, spec: SwarmSpec) -> dict[str, Any]:
    """Finished steps' outputs by step name; empty on a first attempt or without
    `runtime.resume_steps`."""
    if not spec.runtime.resume_steps or task.attempts <= 1:
        return {}
    events: list[tuple[str, dict[str, Any]]] = []
    after = 0
    while True:
        page = await store.events.after(task.id, after, PAGE)
        events += [(event.type, event.data) for event in page]
        if len(page) < PAGE:
            return checkpoints_of(events)
        after = page[-1].id
