"""`graph` flows: a DAG of nodes; a node runs as soon as all its dependencies are done.

Independent nodes run at the same time. A node's input is the task input when it has no
dependencies, its dependency's output when it has one, else `{dependency: output}`. The result
is the `output` node's output, else the sink's (`{sink: output}` for several sinks). The first
failed node cancels the running ones and fails the task. Cycles and unknown names are rejected
when the spec is validated (`spec.swarm.check_graph`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from swarmstack.agents.context import TaskContext
from swarmstack.agents.flow_env import FlowEnv, all_or_first_error
from swarmstack.spec.flows import GraphFlow


async def run_graph(flow: GraphFlow, env: FlowEnv, data: Any, ctx: TaskContext) -> Any:
    """Run every node once, in dependency order, in parallel where possible."""
    ready: dict[str, asyncio.Future[Any]] = {
        name: asyncio.get_running_loop().create_future() for name in flow.nodes
    }

    async def node(name: str) -> Any:
        deps = flow.nodes[name].depends_on
        outputs = {dep: await asyncio.shield(ready[dep]) for dep in deps}
        step_input = data if not deps else outputs[deps[0]] if len(deps) == 1 else outputs
        output = await env.step(flow.nodes[name].agent, step_input, ctx, step=f"node:{name}")
        ready[name].set_result(output)
        return output

    try:
        outputs = await all_or_first_error({name: node(name) for name in flow.nodes})
    finally:
        for future in ready.values():
            future.cancel()
    return graph_result(flow, outputs)


def sinks(flow: GraphFlow) -> list[str]:
    """Nodes no other node depends on, in spec order. Pure."""
    used = {dep for node in flow.nodes.values() for dep in node.depends_on}
    return [name for name in flow.nodes if name not in used]


def graph_result(flow: GraphFlow, outputs: dict[str, Any]) -> Any:
    """The `output` node's output, the single sink's, or `{sink: output}`. Pure."""
    if flow.output is not None:
        return outputs[flow.output]
    ends = sinks(flow)
    return outputs[ends[0]] if len(ends) == 1 else {name: outputs[name] for name in ends}
