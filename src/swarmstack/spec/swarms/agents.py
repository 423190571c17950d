"""Swarms agent definitions (YAML, AgentSpec JSON, markdown front matter) as `kind: llm` agents.

Called by `spec.swarms.convert`. Known keys map onto `LLMAgent` fields; every other key is kept
under `options` with a note, so nothing a Swarms file says is lost silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from swarmstack.errors import SpecError

DEFAULT_MODEL = "gpt-4.1"  # the hosted Swarms API's AgentSpec default (2026)
MAPPED = frozenset(
    {
        "agent_name",
        "name",
        "system_prompt",
        "model_name",
        "model",
        "temperature",
        "max_tokens",
        "description",
        "agent_description",
        "role",
    }
)
_SLUG = re.compile(r"[^a-z0-9_-]+")


@dataclass(slots=True)
class Agents:
    """Converted agents by swarmstack name, the Swarms name of each, and import notes."""

    specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # Swarms name -> swarmstack name
    roles: dict[str, str] = field(default_factory=dict)  # swarmstack name -> Swarms role
    notes: list[str] = field(default_factory=list)

    def resolve(self, name: str, where: str) -> str:
        """The swarmstack name of Swarms agent `name` (exact, then case-insensitive)."""
        if name in self.names:
            return self.names[name]
        lowered = {k.lower(): v for k, v in self.names.items()}
        if name.strip().lower() in lowered:
            return lowered[name.strip().lower()]
        known = ", ".join(self.names) or "none"
        raise SpecError(
            f"names unknown agent {name!r}", where=where, fix=f"use one of the agents: {known}"
        )

    def add(self, name: str, spec: dict[str, Any]) -> str:
        """Add a generated agent (a director, a router) under a free name; its name."""
        key = free_name(name, self.specs)
        self.specs[key] = spec
        return key


def slug(name: str) -> str:
    """A valid swarmstack agent or swarm name for `name`. Pure."""
    text = _SLUG.sub("-", name.strip().lower()).strip("-_") or "agent"
    text = text if text[0].isalpha() else f"a-{text}"
    return text[:63]


def free_name(name: str, taken: dict[str, Any]) -> str:
    """`name`, or `name-2`, `name-3`... whichever is not in `taken`. Pure."""
    key, n = slug(name), 2
    while key in taken:
        key, n = f"{slug(name)[:60]}-{n}", n + 1
    return key


def convert_agents(raws: Any, where: str, rules: str = "") -> Agents:
    """Every agent of a Swarms `agents:` list."""
    if not isinstance(raws, list) or not raws:
        raise SpecError(
            "has no agents", where=f"{where} agents", fix="list at least one agent under agents:"
        )
    out = Agents()
    for index, raw in enumerate(raws):
        here = f"{where} agents[{index}]"
        if not isinstance(raw, dict):
            raise SpecError("is not a mapping", where=here, fix="write agent_name: ... and so on")
        name, spec, role = convert_agent(raw, here, out.notes, rules)
        if name in out.names:
            raise SpecError(f"repeats agent name {name!r}", where=here, fix="rename one of them")
        key = free_name(name, out.specs)
        out.names[name], out.specs[key] = key, spec
        if role:
            out.roles[key] = role
    return out


def convert_agent(
    raw: dict[str, Any], where: str, notes: list[str], rules: str = ""
) -> tuple[str, dict[str, Any], str]:
    """(Swarms name, LLMAgent fields, role) of one agent."""
    flat = _flatten_model(raw, where, notes)
    name = flat.get("agent_name") or flat.get("name")
    if name is not None and not isinstance(name, str):
        raise SpecError(
            f"agent_name must be a string, not {type(name).__name__} {name!r}",
            where=where,
            fix=f'quote it: agent_name: "{name}"',
        )
    if not isinstance(name, str) or not name.strip():
        raise SpecError("has no agent_name", where=where, fix="add agent_name: <a name>")
    model = flat.get("model_name") or flat.get("model")
    if not model:
        notes.append(f"{where}: no model_name; using {DEFAULT_MODEL}")
    prompt = str(flat.get("system_prompt") or "")
    spec: dict[str, Any] = {
        "kind": "llm",
        "model": str(model or DEFAULT_MODEL),
        "system_prompt": f"Rules: {rules}\n\n{prompt}".strip() if rules else prompt,
        "description": str(flat.get("description") or flat.get("agent_description") or ""),
    }
    for key in ("temperature", "max_tokens"):
        if flat.get(key) is not None:
            spec[key] = flat[key]
    options = {k: v for k, v in flat.items() if k not in MAPPED and v is not None}
    if options.get("max_loops") == 1:  # the default: one pass per step, as swarmstack does
        del options["max_loops"]
    if options:
        spec["options"] = options
        notes.append(f"{where}: kept {', '.join(sorted(options))} as options (not used)")
    return name, spec, str(flat.get("role") or "")


def _flatten_model(raw: dict[str, Any], where: str, notes: list[str]) -> dict[str, Any]:
    """The nested dialect's `model: {model_name, temperature, max_tokens}` as flat keys."""
    model = raw.get("model")
    if not isinstance(model, dict):
        return dict(raw)
    flat = {k: v for k, v in raw.items() if k != "model"}
    for key, value in model.items():
        flat.setdefault(key, value)
    notes.append(f"{where}: read the nested model: block as flat keys")
    return flat
