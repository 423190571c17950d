"""What every flow runner needs: the built agents, their timeouts, the sync pool.

Built once by `SwarmRuntime`; flow modules call `FlowEnv.step` so each step goes through
`steps.run_step` (uniform trace entries and step events).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from swarmstack.agents.context import TaskContext
from swarmstack.agents.steps import AgentCall, run_step
from swarmstack.agents.sync_pool import SyncPool


@dataclass(frozen=True, slots=True)
class FlowEnv:
    """Agents by name (rules of router flows by their `module:function`), and how to run them."""

    agents: dict[str, AgentCall]
    timeouts: dict[str, float | None] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    pool: SyncPool | None = None

    async def step(
        self, agent: str, data: Any, ctx: TaskContext, *, step: str, announce: bool = True
    ) -> Any:
        """Run agent `agent` on `data` as the step named `step`."""
        return await run_step(
            self.agents[agent],
            data,
            ctx,
            self.pool,
            step=step,
            timeout_s=self.timeouts.get(agent),
            announce=announce,
        )


async def all_or_first_error(coros: dict[str, Coroutine[Any, Any, Any]]) -> dict[str, Any]:
    """Run all at once; on the first failure cancel the rest and raise that error itself."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = {key: group.create_task(coro) for key, coro in coros.items()}
    except BaseExceptionGroup as errors:
        raise first_leaf(errors) from None
    return {key: task.result() for key, task in tasks.items()}


def first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first non-group exception inside a (possibly nested) exception group."""
    first = group.exceptions[0]
    return first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
