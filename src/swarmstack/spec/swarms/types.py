"""Swarms swarm types as swarmstack flows. Pure: a type name and agent names in, a flow out.

Called by `spec.swarms.convert`. The table at the end (`BUILDERS`) is the mapping documented
in docs/swarms.md; types that need an agent Swarms makes itself (a director, a router, a
consensus judge) get a generated `kind: llm` agent on the first agent's model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from swarmstack.errors import SpecError
from swarmstack.spec.swarms.agents import Agents

ALIASES = {"HiearchicalSwarm": "HierarchicalSwarm"}  # the hosted API's own spelling
DIRECTOR_PROMPT = "You direct a team: split the task into orders for the workers you are given."
ROUTER_PROMPT = "You route each task to the one agent best able to handle it."
CONSENSUS_PROMPT = (
    "You read several agents' answers to one task, compare them, and write the answer most of "
    "them support, with a short reason."
)


@dataclass(frozen=True, slots=True)
class Shape:
    """What a swarm type is built from."""

    agents: list[str]  # swarmstack names, in the Swarms order
    loops: int = 1
    rearrange_flow: str | None = None
    where: str = ""
    notes: list[str] = field(default_factory=list)


Builder = Callable[[Shape, Agents], dict[str, Any]]


def flow_for(swarm_type: str, shape: Shape, agents: Agents) -> dict[str, Any]:
    """The flow of `swarm_type`, or a SpecError listing the supported types."""
    builder = BUILDERS.get(ALIASES.get(swarm_type, swarm_type))
    if builder is None:
        raise SpecError(
            f"swarm_type {swarm_type!r} is not supported",
            where=shape.where,
            fix=f"use one of: {', '.join(SUPPORTED)}",
        )
    return builder(shape, agents)


def sequential(shape: Shape, _agents: Agents) -> dict[str, Any]:
    """SequentialWorkflow: each output is the next input; `max_loops` repeats the chain."""
    return {"type": "sequential", "steps": shape.agents * shape.loops}


def concurrent(shape: Shape, _agents: Agents) -> dict[str, Any]:
    """ConcurrentWorkflow: all agents on the task at once; a failure keeps the others."""
    if shape.loops > 1:
        shape.notes.append(
            f"{shape.where}: ConcurrentWorkflow runs once (Swarms ignores max_loops)"
        )
    return {"type": "concurrent", "branches": shape.agents, "on_error": "continue"}


def rearrange(shape: Shape, agents: Agents) -> dict[str, Any]:
    """AgentRearrange: `a -> b, c -> d`; steps in order, names in one step at once."""
    if not shape.rearrange_flow:
        raise SpecError(
            "AgentRearrange needs a flow",
            where=shape.where,
            fix='add rearrange_flow: "first -> second, third"',
        )
    groups = parse_flow(shape.rearrange_flow, agents, shape.where)
    if all(len(group) == 1 for group in groups):
        return {"type": "sequential", "steps": [g[0] for g in groups] * shape.loops}
    return layered(groups * shape.loops)


def mixture(shape: Shape, agents: Agents) -> dict[str, Any]:
    """MixtureOfAgents as Swarms' router builds it: `max_loops` layers of every agent, then
    the last agent aggregates."""
    return layered([shape.agents] * shape.loops + [[shape.agents[-1]]])


def voting(shape: Shape, agents: Agents) -> dict[str, Any]:
    """MajorityVoting: every agent answers, then a consensus agent judges; per loop."""
    judge = agents.add("consensus", _generated(agents, CONSENSUS_PROMPT))
    if shape.loops == 1:
        return {"type": "concurrent", "branches": shape.agents, "aggregator": judge}
    return layered([shape.agents, [judge]] * shape.loops)


def router(shape: Shape, agents: Agents) -> dict[str, Any]:
    """MultiAgentRouter: the agent whose role is `router` (else a generated one) picks the
    agent for the task (`max_loops` hops)."""
    boss = _by_role(shape, agents, "router") or agents.add(
        "router", _generated(agents, ROUTER_PROMPT)
    )
    routes = [a for a in shape.agents if a != boss]
    return {"type": "router", "router": boss, "routes": routes, "max_hops": shape.loops}


def hierarchical(shape: Shape, agents: Agents) -> dict[str, Any]:
    """HierarchicalSwarm: the agent whose role is `director` (else a generated one) plans."""
    director = _by_role(shape, agents, "director") or agents.add(
        "director", _generated(agents, DIRECTOR_PROMPT)
    )
    workers = [a for a in shape.agents if a != director]
    if not workers:
        raise SpecError(
            "HierarchicalSwarm needs at least one worker besides the director",
            where=shape.where,
            fix="add an agent whose role is not director",
        )
    return {"type": "hierarchical", "director": director, "workers": workers, "loops": shape.loops}


def group_chat(shape: Shape, _agents: Agents) -> dict[str, Any]:
    """GroupChat: every agent speaks once per loop, in list order."""
    turns = min(100, shape.loops * len(shape.agents))
    return {"type": "group_chat", "speakers": shape.agents, "max_turns": turns}


def parse_flow(text: str, agents: Agents, where: str) -> list[list[str]]:
    """`a -> b, c -> d` as groups of swarmstack names; empty names are errors. Pure."""
    groups = []
    for step in text.split("->"):
        names = [n.strip() for n in step.split(",")]
        if not all(names):
            raise SpecError(
                f"rearrange_flow {text!r} has an empty step or name",
                where=where,
                fix='write names separated by "->" (in order) and "," (at once)',
            )
        groups.append([agents.resolve(n, f"{where} rearrange_flow") for n in names])
    return groups


def layered(groups: list[list[str]]) -> dict[str, Any]:
    """A graph where each group runs once the whole previous group is done; a name seen again
    gets `-2`, `-3`... as its node name. Pure."""
    nodes: dict[str, dict[str, Any]] = {}
    previous: list[str] = []
    for group in groups:
        current = []
        for agent in group:
            node, n = agent, 2
            while node in nodes or node in current:
                node, n = f"{agent}-{n}", n + 1
            nodes[node] = {"agent": agent, "depends_on": list(previous)}
            current.append(node)
        previous = current
    flow: dict[str, Any] = {"type": "graph", "nodes": nodes}
    if len(previous) == 1:
        flow["output"] = previous[0]
    return flow


def graph_needs_edges(shape: Shape, _agents: Agents) -> dict[str, Any]:
    """GraphWorkflow comes from a GraphWorkflow JSON, which has the edges."""
    raise SpecError(
        "GraphWorkflow needs nodes and edges",
        where=shape.where,
        fix='import a GraphWorkflow JSON: {"agents": [...], "edges": [{"source", "target"}]}',
    )


def _by_role(shape: Shape, agents: Agents, role: str) -> str | None:
    """The first agent whose Swarms `role` is `role`."""
    return next((a for a in shape.agents if agents.roles.get(a, "").lower() == role), None)


def _generated(agents: Agents, prompt: str) -> dict[str, Any]:
    first = next(iter(agents.specs.values()))
    return {"kind": "llm", "model": first["model"], "system_prompt": prompt}


BUILDERS: dict[str, Builder] = {
    "SequentialWorkflow": sequential,
    "ConcurrentWorkflow": concurrent,
    "AgentRearrange": rearrange,
    "MixtureOfAgents": mixture,
    "HierarchicalSwarm": hierarchical,
    "MajorityVoting": voting,
    "GroupChat": group_chat,
    "MultiAgentRouter": router,
}
SUPPORTED = [*BUILDERS, "GraphWorkflow"]
BUILDERS["GraphWorkflow"] = graph_needs_edges
