"""The root of a swarm spec and the checks that span its sections."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from swarmstack.spec.agents import NAME, Agent
from swarmstack.spec.base import SpecModel
from swarmstack.spec.deploy import Deploy
from swarmstack.spec.flows import (
    ConcurrentFlow,
    Flow,
    GraphFlow,
    GroupChatFlow,
    HierarchicalFlow,
    RouterFlow,
    SequentialFlow,
)
from swarmstack.spec.retention import Retention
from swarmstack.spec.runtime import Resources, Rollout, Runtime, Scaling, Sessions


class SwarmSpec(SpecModel):
    """One swarm: its agents, how they cooperate, and how it runs and deploys."""

    version: Literal[1] = Field(1, description="Spec format version; always 1.")
    name: str = Field(pattern=NAME, description="Swarm name: lowercase, digits, - and _.")
    release: str = Field("0.0.0", min_length=1, description="The swarm's own release label.")
    description: str = Field("", description="What the swarm does.")
    agents: dict[str, Agent] = Field(min_length=1, description="Agents by name.")
    flow: Flow | None = Field(
        None, description="How agents cooperate; may be omitted when there is one agent."
    )
    runtime: Runtime = Field(default_factory=Runtime, description="How tasks run.")
    sessions: Sessions = Field(default_factory=Sessions, description="Session behaviour.")
    retention: Retention = Field(
        default_factory=Retention,
        description="How long this swarm's finished tasks, keys and events are kept "
        "(unset keys: the [retention] settings).",
    )
    resources: Resources = Field(default_factory=Resources, description="Worker pod resources.")
    scaling: Scaling = Field(default_factory=Scaling, description="Worker autoscaling.")
    rollout: Rollout = Field(default_factory=Rollout, description="How new versions roll out.")
    deploy: Deploy = Field(default_factory=Deploy, description="Deployment target.")

    @model_validator(mode="after")
    def _references(self) -> SwarmSpec:
        for name in self.agents:
            if not _valid_name(name):
                raise ValueError(f"agent name {name!r} must match {NAME}")
        if self.flow is None and len(self.agents) > 1:
            raise ValueError("several agents need a `flow`; add flow: {type: sequential, ...}")
        for where, ref in flow_references(self.flow):
            if ref not in self.agents and ":" not in ref:
                known = ", ".join(sorted(self.agents))
                raise ValueError(f"{where} names unknown agent {ref!r}; known agents: {known}")
        if isinstance(self.flow, GraphFlow):
            check_graph(self.flow)
        return self

    def entry_agents(self) -> list[str]:
        """Agent names in flow order (the single agent when there is no flow)."""
        refs = [ref for _, ref in flow_references(self.flow) if ref in self.agents]
        return list(dict.fromkeys(refs)) or list(self.agents)


def _valid_name(name: str) -> bool:
    import re

    return re.match(NAME, name) is not None


def flow_references(flow: Flow | None) -> list[tuple[str, str]]:
    """(field path, agent name) for every agent a flow names."""
    match flow:
        case SequentialFlow(steps=steps):
            return [(f"flow.steps[{i}]", s) for i, s in enumerate(steps)]
        case ConcurrentFlow(branches=branches, aggregator=aggregator):
            refs = [(f"flow.branches[{i}]", b) for i, b in enumerate(branches)]
            return refs + ([("flow.aggregator", aggregator)] if aggregator else [])
        case RouterFlow(router=router, routes=routes):
            return [("flow.router", router)] + [
                (f"flow.routes[{i}]", r) for i, r in enumerate(routes)
            ]
        case GraphFlow(nodes=nodes):
            return [(f"flow.nodes.{n}.agent", node.agent) for n, node in nodes.items()]
        case HierarchicalFlow(director=director, workers=workers):
            return [("flow.director", director)] + [
                (f"flow.workers[{i}]", w) for i, w in enumerate(workers)
            ]
        case GroupChatFlow(speakers=speakers):
            return [(f"flow.speakers[{i}]", s) for i, s in enumerate(speakers)]
    return []


def check_graph(flow: GraphFlow) -> None:
    """Unknown dependencies and cycles are errors that name the nodes involved."""
    for name, node in flow.nodes.items():
        for dep in node.depends_on:
            if dep not in flow.nodes:
                raise ValueError(f"flow.nodes.{name}.depends_on names unknown node {dep!r}")
    if flow.output is not None and flow.output not in flow.nodes:
        raise ValueError(f"flow.output names unknown node {flow.output!r}")
    cycle = find_cycle({n: list(node.depends_on) for n, node in flow.nodes.items()})
    if cycle:
        raise ValueError(f"flow.nodes has a cycle: {' -> '.join(cycle)}; remove one depends_on")


def find_cycle(edges: dict[str, list[str]]) -> list[str]:
    """A cycle as a list of nodes that starts and ends on the same node, or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for start in edges:
        if start not in state and (found := visit(start)):
            return found
    return []
