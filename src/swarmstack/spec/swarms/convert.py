"""Swarms definitions as swarmstack spec documents: which format a document is, and the spec
it becomes. Pure: parsed data in, a spec document (a dict) and notes out.

Formats: the agent YAML (`agents:` with an optional `swarm_architecture:`), the hosted API's
SwarmSpec JSON and AgentCompletion JSON, a plain list of agents (`agent_loader`), markdown
agents (front matter + prompt; see `read_markdown`), and GraphWorkflow JSON (with `edges`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swarmstack.errors import SpecError
from swarmstack.spec.swarms.agents import Agents, convert_agents, slug
from swarmstack.spec.swarms.graph import graph_agents, graph_flow
from swarmstack.spec.swarms.types import Shape, flow_for

FORMATS = (
    "an agent YAML (agents: [...], optional swarm_architecture:), a SwarmSpec JSON "
    "(agents + swarm_type), an AgentCompletion JSON (agent_config), a GraphWorkflow JSON "
    "(nodes/agents + edges) or a markdown agent (--- front matter --- then the prompt)"
)


@dataclass(slots=True)
class Imported:
    """A spec document (not yet validated) and what the import changed or kept aside."""

    spec: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    task: str | None = None  # the definition's own task, if it has one


def convert(doc: Any, where: str, default_name: str) -> Imported:
    """The spec document of a parsed Swarms definition found at `where`."""
    if isinstance(doc, list) and doc and all(isinstance(a, dict) for a in doc):
        doc = {"agents": doc}  # agent_loader's JSON / YAML list of agents
    if not isinstance(doc, dict):
        raise SpecError(f"is not a Swarms definition; expected {FORMATS}", where=where)
    if "edges" in doc:
        return _graph(doc, where, default_name)
    if isinstance(doc.get("agent_config"), dict):
        return _single(doc["agent_config"], doc.get("task"), where, default_name)
    if "swarm_architecture" in doc or ("agents" in doc and "swarm_type" not in doc):
        return _agent_yaml(doc, where, default_name)
    if "agents" in doc:
        return _swarm_spec(doc, where, default_name)
    raise SpecError(f"is not a Swarms definition; expected {FORMATS}", where=where)


def _agent_yaml(doc: dict[str, Any], where: str, default_name: str) -> Imported:
    arch = doc.get("swarm_architecture")
    if arch is not None and not isinstance(arch, dict):
        raise SpecError("is not a mapping", where=f"{where} swarm_architecture")
    arch = arch or {}
    agents = convert_agents(doc.get("agents"), where, str(arch.get("rules") or ""))
    swarm_type = arch.get("swarm_type")
    if not arch and len(agents.specs) > 1:
        agents.notes.append(f"{where}: no swarm_architecture; the agents run as a sequence")
    if isinstance(arch.get("flow"), str) and not arch.get("rearrange_flow"):
        arch = {**arch, "rearrange_flow": arch["flow"]}
    return _assemble(arch, agents, swarm_type, f"{where} swarm_architecture", default_name)


def _swarm_spec(doc: dict[str, Any], where: str, default_name: str) -> Imported:
    agents = convert_agents(doc.get("agents"), where, str(doc.get("rules") or ""))
    return _assemble(doc, agents, doc.get("swarm_type"), where, default_name)


def _single(raw: dict[str, Any], task: Any, where: str, default_name: str) -> Imported:
    agents = convert_agents([raw], f"{where} agent_config")
    return _assemble({"task": task}, agents, None, where, default_name)


def _graph(doc: dict[str, Any], where: str, default_name: str) -> Imported:
    agents = convert_agents(graph_agents(doc, where), where, str(doc.get("rules") or ""))
    flow = graph_flow(doc, agents, where)
    imported = _document(doc, agents, flow, default_name)
    return imported


def _assemble(
    doc: dict[str, Any], agents: Agents, swarm_type: Any, where: str, default_name: str
) -> Imported:
    loops = _loops(doc.get("max_loops"), where)
    names = list(agents.specs)
    flow = None
    if swarm_type is not None or len(names) > 1:
        kind = str(swarm_type or "SequentialWorkflow")
        shape = Shape(names, loops, doc.get("rearrange_flow"), where, agents.notes)
        flow = flow_for(kind, shape, agents)
    return _document(doc, agents, flow, default_name)


def _document(
    doc: dict[str, Any], agents: Agents, flow: dict[str, Any] | None, default_name: str
) -> Imported:
    spec: dict[str, Any] = {
        "name": slug(str(doc.get("name") or default_name)),
        "description": str(doc.get("description") or ""),
        "agents": agents.specs,
    }
    if flow is not None:
        spec["flow"] = flow
    spec["runtime"] = {"resume_steps": True}  # a retry goes on from the last finished step
    task = doc.get("task")
    return Imported(spec, agents.notes, str(task) if task else None)


def _loops(value: Any, where: str) -> int:
    if value is None:
        return 1
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 20:
        return value
    raise SpecError(
        f"max_loops {value!r} is not a whole number from 1 to 20",
        where=where,
        fix='set max_loops: 1 (swarmstack has no "auto" loops)',
    )
