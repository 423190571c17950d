"""Flow execution: how a task's input travels through the swarm's agents.

Called by `SwarmRuntime.run`. This module dispatches on the flow type; each type lives in its
own module (`flow_concurrent`, `flow_router`, `flow_graph`, `flow_hierarchical`,
`flow_group_chat`; `sequential` is here). Every step
goes through `FlowEnv.step` (`steps.run_step`), so the trace and step events look the same for
all flows.
"""

from __future__ import annotations

from typing import Any

from swarmstack.agents.context import TaskContext
from swarmstack.agents.flow_concurrent import run_concurrent
from swarmstack.agents.flow_env import FlowEnv
from swarmstack.agents.flow_graph import run_graph
from swarmstack.agents.flow_group_chat import run_group_chat
from swarmstack.agents.flow_hierarchical import run_hierarchical
from swarmstack.agents.flow_router import run_router
from swarmstack.spec.flows import (
    ConcurrentFlow,
    Flow,
    GraphFlow,
    GroupChatFlow,
    HierarchicalFlow,
    RouterFlow,
    SequentialFlow,
)


async def run_flow(flow: Flow | None, env: FlowEnv, data: Any, ctx: TaskContext) -> Any:
    """Run `data` through `flow` (or through the only agent when there is no flow)."""
    match flow:
        case None:
            name = next(iter(env.agents))
            return await env.step(name, data, ctx, step=name, announce=False)
        case SequentialFlow():
            return await run_sequential(flow, env, data, ctx)
        case ConcurrentFlow():
            return await run_concurrent(flow, env, data, ctx)
        case RouterFlow():
            return await run_router(flow, env, data, ctx)
        case GraphFlow():
            return await run_graph(flow, env, data, ctx)
        case HierarchicalFlow():
            return await run_hierarchical(flow, env, data, ctx)
        case GroupChatFlow():
            return await run_group_chat(flow, env, data, ctx)


async def run_sequential(flow: SequentialFlow, env: FlowEnv, data: Any, ctx: TaskContext) -> Any:
    """Each step's output is the next step's input."""
    for index, name in enumerate(flow.steps):
        data = await env.step(name, data, ctx, step=f"{index}:{name}")
    return data
