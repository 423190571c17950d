"""Swarms GraphWorkflow JSON as a `graph` flow: the topology spec (`to_spec`), the full export
(`to_json`) and the hosted API's request. Called by `spec.swarms.convert`.

Edges may be `{source, target}` objects or `[source, target]` pairs where either side is a name
or a list (fan-out, fan-in, every source to every target). `max_loops` > 1 repeats the graph:
loop N's entry nodes wait for loop N-1's end nodes (Swarms feeds them its end outputs).
"""

from __future__ import annotations

from typing import Any

from swarmstack.errors import SpecError
from swarmstack.spec.swarms.agents import Agents


def graph_agents(doc: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """Agent definitions of a graph document: its `agents` list (API request, or a topology
    spec with its agents beside it), else the `agent` object of each full-export node."""
    if isinstance(doc.get("agents"), list):
        return list(doc["agents"])
    found = []
    for index, node in enumerate(_nodes(doc, where)):
        agent = node.get("agent")
        if not isinstance(agent, dict):
            raise SpecError(
                f"node {node.get('id')!r} has no agent definition",
                where=f"{where} nodes[{index}]",
                fix="add the agents as agents: [{agent_name, system_prompt, model_name}] "
                "(a topology spec names agents it does not define)",
            )
        found.append({"agent_name": node.get("id"), **agent})
    return found


def graph_flow(doc: dict[str, Any], agents: Agents, where: str) -> dict[str, Any]:
    """The `graph` flow of a GraphWorkflow document whose agents are converted already."""
    node_agent = {n: agents.resolve(a, f"{where} nodes") for n, a in _node_ids(doc, where)}
    if not node_agent:  # the API request: one node per agent, named by it
        node_agent = {name: key for name, key in agents.names.items()}
    deps: dict[str, list[str]] = {n: [] for n in node_agent}
    for index, (source, target) in enumerate(edge_pairs(doc.get("edges"), where)):
        for name in (source, target):
            if name not in deps:
                raise SpecError(
                    f"edge names unknown node {name!r}",
                    where=f"{where} edges[{index}]",
                    fix=f"use one of the nodes: {', '.join(deps)}",
                )
        if source not in deps[target]:
            deps[target].append(source)
    loops = int(doc.get("max_loops") or 1)
    sinks = [n for n in deps if all(n not in d for d in deps.values())]
    ends = _names(doc.get("end_points")) or sinks
    return unrolled(node_agent, deps, ends, loops)


def unrolled(
    node_agent: dict[str, str], deps: dict[str, list[str]], ends: list[str], loops: int
) -> dict[str, Any]:
    """The graph flow repeated `loops` times (loop N's nodes are `<node>-loopN`). Pure."""

    def name(node: str, loop: int) -> str:
        return node if loop == 1 else f"{node}-loop{loop}"

    nodes: dict[str, dict[str, Any]] = {}
    for loop in range(1, loops + 1):
        for node, agent in node_agent.items():
            before = [name(d, loop) for d in deps[node]]
            if not before and loop > 1:
                before = [name(e, loop - 1) for e in ends]
            nodes[name(node, loop)] = {"agent": agent, "depends_on": before}
    flow: dict[str, Any] = {"type": "graph", "nodes": nodes}
    if len(ends) == 1:
        flow["output"] = name(ends[0], loops)
    return flow


def edge_pairs(edges: Any, where: str) -> list[tuple[str, str]]:
    """Every (source, target) an `edges` list means. Pure."""
    if edges is None:
        return []
    if not isinstance(edges, list):
        raise SpecError("edges is not a list", where=where, fix="write edges: [{source, target}]")
    pairs = []
    for index, edge in enumerate(edges):
        if isinstance(edge, dict) and "source" in edge and "target" in edge:
            sources, targets = _names(edge["source"]), _names(edge["target"])
        elif isinstance(edge, list | tuple) and len(edge) == 2:
            sources, targets = _names(edge[0]), _names(edge[1])
        else:
            raise SpecError(
                f"edge {edge!r} is neither {{source, target}} nor [source, target]",
                where=f"{where} edges[{index}]",
                fix='write {"source": "a", "target": "b"}; either side may be a list',
            )
        pairs += [(s, t) for s in sources for t in targets]
    return pairs


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _nodes(doc: dict[str, Any], where: str) -> list[dict[str, Any]]:
    nodes = doc.get("nodes") or []
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        raise SpecError("nodes is not a list of objects", where=where, fix="write nodes: [{id}]")
    for index, node in enumerate(nodes):
        if node.get("type") == "subgraph":
            raise SpecError(
                f"node {node.get('id')!r} is a subgraph, which swarmstack does not import",
                where=f"{where} nodes[{index}]",
                fix="flatten the subgraph's nodes and edges into the parent graph",
            )
    return nodes


def _node_ids(doc: dict[str, Any], where: str) -> list[tuple[str, str]]:
    """(node id, Swarms agent name) per node; the export's agent is named by the node id."""
    pairs = []
    for node in _nodes(doc, where):
        node_id = str(node.get("id"))
        defined: dict[str, Any] = node["agent"] if isinstance(node.get("agent"), dict) else {}
        agent = node.get("agent_name") or defined.get("agent_name") or node_id
        pairs.append((node_id, str(agent)))
    return pairs
