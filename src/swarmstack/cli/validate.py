"""`swarmstack validate`: the spec checks, then what `up` would do next with the spec: import
every Python entrypoint (agents, LLM tools, router rules) and find its attribute."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from swarmstack.agents.llm.tools import load_tool
from swarmstack.agents.python import import_entrypoint
from swarmstack.cli.output import console, escape, print_error
from swarmstack.errors import SwarmstackError
from swarmstack.spec import SwarmSpec
from swarmstack.spec.agents import LLMAgent, PythonAgent
from swarmstack.spec.flows import RouterFlow
from swarmstack.spec.loader import line_of, load_spec_lines
from swarmstack.spec.yaml_nodes import Loc, dotted

Files = Annotated[list[Path], typer.Argument(help="Spec files.")]
Json = Annotated[
    bool,
    typer.Option("--json", help='Print one JSON document: {"ok": ..., "specs": [one per spec]}.'),
]


def validate(files: Files, as_json: Json = False) -> None:
    """Check swarm specs and import their Python entrypoints; errors name file:line and a fix.

    Exit code 0 when every spec is valid, 1 otherwise."""
    reports = [_validate_one(path, as_json) for path in files]
    failed = not all(r["ok"] for r in reports)
    if as_json:
        sys.stdout.write(json.dumps({"ok": not failed, "specs": reports}) + "\n")
    if failed:
        raise typer.Exit(1)


def _validate_one(path: Path, as_json: bool) -> dict[str, Any]:
    """The spec's report; printed at once unless `as_json` (then all are printed as one)."""
    try:
        summary = check(path)
    except SwarmstackError as exc:
        if not as_json:
            print_error(exc)
        return {"file": str(path), "ok": False, "error": str(exc)}
    if not as_json:
        console.print(
            f"[green]ok[/] {escape(str(path))}: swarm {escape(repr(summary['swarm']))} "
            f"release {escape(summary['release'])}, {summary['agents']} agents"
        )
    return summary


def check(path: Path) -> dict[str, Any]:
    """The spec's summary once it loads and every entrypoint imports."""
    spec, lines = load_spec_lines(path)
    for loc, entrypoint, is_tool in entrypoints(spec):
        where = f"{path}:{line_of(loc, lines)} {dotted(loc)}"
        if is_tool:
            load_tool(entrypoint, where)
        else:
            import_entrypoint(entrypoint, where)
    return {
        "file": str(path),
        "ok": True,
        "swarm": spec.name,
        "release": spec.release,
        "agents": len(spec.agents),
    }


def entrypoints(spec: SwarmSpec) -> Iterator[tuple[Loc, str, bool]]:
    """(path in the spec, `module:attr`, is an LLM tool) for everything `up` imports."""
    for name, agent in spec.agents.items():
        if isinstance(agent, PythonAgent):
            yield ("agents", name, "entrypoint"), agent.entrypoint, False
        elif isinstance(agent, LLMAgent):
            for i, tool in enumerate(agent.tools):
                yield ("agents", name, "tools", i), tool, True
    flow = spec.flow
    if isinstance(flow, RouterFlow) and ":" in flow.router and flow.router not in spec.agents:
        yield ("flow", "router"), flow.router, False
