"""The built-in swarm behind the Swarms API adapter (`server/routes_swarms.py`).

The adapter submits each request as a durable task of the swarm `swarms-api`, whose one agent
is `run` below: it imports the request's Swarms definition (`spec.swarms`), builds its agents,
and runs the definition's flow inside this task, so every inner step is a step of the task
(trace, step events, budget, cancel, timeout). Agents run on the worker's OPENAI_BASE_URL and
OPENAI_API_KEY. A definition that does not import is a permanent error.
"""

from __future__ import annotations

import json
import os
from typing import Any

from swarmstack.agents.context import TaskContext
from swarmstack.agents.flows import run_flow
from swarmstack.agents.runtime import SwarmRuntime
from swarmstack.errors import InvalidInput
from swarmstack.spec.loader import parse_spec
from swarmstack.spec.swarm import SwarmSpec
from swarmstack.spec.swarms import import_text, runnable

SWARM = "swarms-api"
AGENT = "swarm"
TIMEOUT_S = 300  # the hosted API's standard tier timeout
_SPEC = f"""
name: {SWARM}
description: Runs Swarms API requests (POST /v1/swarm/completions and /v1/agent/completions).
agents:
  {AGENT}:
    kind: python
    entrypoint: swarmstack.agents.swarms_api:run
flow: null
runtime:
  timeout: {TIMEOUT_S}s
  retry_attempts: 2
  resume_steps: true
"""


def builtin_spec() -> SwarmSpec:
    """The `swarms-api` swarm the adapter deploys on first use."""
    return parse_spec(_SPEC, "swarmstack.agents.swarms_api", {})


def definition_spec(definition: Any, where: str, routes: dict[str, str] | None = None) -> SwarmSpec:
    """The runnable spec of a Swarms definition (a parsed JSON object): each agent on its
    model's route (the manager's `llm.routes`), else this process's OpenAI endpoint; user text
    is never interpolated."""
    if not isinstance(definition, dict):
        raise InvalidInput("the task input has no Swarms definition", where=where)
    imported = import_text(json.dumps(definition), where)
    return runnable(imported, os.environ, where, routes)


async def run(data: Any, ctx: TaskContext) -> Any:
    """Run the task input `{"definition": {...}, "task": "...", "routes": {model: url}}`
    through its definition's flow."""
    if not isinstance(data, dict) or not isinstance(data.get("task"), str):
        raise InvalidInput("the input is not a Swarms API task", fix="submit it via /v1/swarm")
    routes = data.get("routes") if isinstance(data.get("routes"), dict) else None
    spec = definition_spec(data.get("definition"), f"task {ctx.task_id}", routes)
    runtime = SwarmRuntime(spec)
    try:
        return await run_flow(spec.flow, runtime.env, data["task"], ctx)
    finally:
        await runtime.aclose()
