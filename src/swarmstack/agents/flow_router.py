"""`router` flows: a router picks the next agent, up to `max_hops` times.

The router is an agent (usually `kind: llm`) or a rule `module:function`. At each hop it sees
the current data and answers a route name, or `DONE`/None to stop; the chosen agent's output is
the new current data. An LLM router gets the routes and their descriptions with the data, and
its answer is read leniently (case, quotes and punctuation ignored; a sentence that names exactly
one route picks it); anything else stops the flow. A rule must return a route name or None.
Every hop is a step in the trace and a `route` event.
"""

from __future__ import annotations

import json
import re
from typing import Any

from swarmstack.agents.context import TaskContext
from swarmstack.agents.flow_env import FlowEnv
from swarmstack.agents.python import to_jsonable
from swarmstack.errors import InvalidInput
from swarmstack.spec.flows import RouterFlow

STOP_WORDS = frozenset({"", "done", "none", "stop", "finish", "finished", "end"})


async def run_router(flow: RouterFlow, env: FlowEnv, data: Any, ctx: TaskContext) -> Any:
    """Route `data` from agent to agent until the router stops or `max_hops` is reached."""
    for hop in range(1, flow.max_hops + 1):
        route = await choose(flow, env, data, ctx, hop)
        if route is None:
            break
        data = await env.step(route, data, ctx, step=f"hop{hop}:{route}")
    return data


async def choose(
    flow: RouterFlow, env: FlowEnv, data: Any, ctx: TaskContext, hop: int
) -> str | None:
    """Ask the router for the next route; record the decision as a `route` event."""
    is_llm = getattr(env.agents[flow.router], "kind", "python") == "llm"
    question = router_prompt(flow, env, data) if is_llm else data
    answer = await env.step(flow.router, question, ctx, step=f"hop{hop}:router")
    route = read_answer(answer, flow.routes) if is_llm else check_rule(answer, flow)
    ctx.emit(
        "route",
        {
            "hop": hop,
            "router": flow.router,
            "route": route,
            "answer": answer if isinstance(answer, str) else to_jsonable(answer),
        },
    )
    return route


def router_prompt(flow: RouterFlow, env: FlowEnv, data: Any) -> str:
    """What an LLM router reads: the routes, how to answer, and the current data."""
    routes = "\n".join(f"- {name}: {env.descriptions.get(name) or name}" for name in flow.routes)
    text = data if isinstance(data, str) else json.dumps(to_jsonable(data))
    return (
        f"Routes:\n{routes}\n\nAnswer with exactly one route name, or DONE if the work "
        f"is finished.\n\nCurrent input:\n{text}"
    )


def read_answer(answer: Any, routes: list[str]) -> str | None:
    """The route an LLM answer names, or None (stop). Pure."""
    text = str(answer or "").strip().strip("\"'`.!").strip().lower()
    by_lower = {route.lower(): route for route in routes}
    if text in by_lower:
        return by_lower[text]
    if text in STOP_WORDS:
        return None
    words = set(re.findall(r"[a-z0-9_-]+", text))
    named = [route for low, route in by_lower.items() if low in words]
    return named[0] if len(named) == 1 else None


def check_rule(answer: Any, flow: RouterFlow) -> str | None:
    """A rule's answer must be a route name or None."""
    if answer is None or answer in flow.routes:
        return answer  # type: ignore[no-any-return]
    raise InvalidInput(
        f"router rule {flow.router} returned {answer!r}, not a route",
        fix=f"return one of {', '.join(flow.routes)} or None",
    )
