"""`hierarchical` flows: a director plans and gives orders to workers, then reviews the results.

Each loop is three kinds of step: `loopN:plan` (the director answers a JSON object
`{"plan": ..., "orders": [{"agent_name": ..., "task": ...}]}`), one `loopN:order<i>:<agent>`
step per order (all at once; a failed order is recorded and its siblings go on), and
`loopN:feedback` (the director reviews the results, when `feedback` is on). The next loop's
director sees the original task, the previous results and the feedback. A director answer
without orders ends the flow early. The result is `{plan, results, feedback}` of the last loop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from swarmstack.agents.context import TaskContext
from swarmstack.agents.flow_concurrent import keep_going
from swarmstack.agents.flow_env import FlowEnv
from swarmstack.agents.llm.agent import as_text
from swarmstack.errors import AgentError
from swarmstack.spec.flows import HierarchicalFlow

_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(slots=True)
class Round:
    """What one loop produced."""

    plan: str = ""
    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    feedback: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The flow's result."""
        extra = {"errors": self.errors} if self.errors else {}
        return {"plan": self.plan, "results": self.results, "feedback": self.feedback, **extra}


async def run_hierarchical(
    flow: HierarchicalFlow, env: FlowEnv, data: Any, ctx: TaskContext
) -> Any:
    """Plan, execute and review for `flow.loops` rounds."""
    task = as_text(data)
    last = Round()
    for loop in range(1, flow.loops + 1):
        prompt = director_prompt(flow, env, task, last)
        answer = await env.step(flow.director, prompt, ctx, step=f"loop{loop}:plan")
        plan, orders = read_orders(answer, flow.workers, flow.director)
        ctx.emit("orders", {"loop": loop, "plan": plan, "orders": orders})
        if not orders:
            break
        current = Round(plan=plan)
        coros = {
            _key(i, order["agent_name"], orders): env.step(
                order["agent_name"], order["task"], ctx, step=f"loop{loop}:order{i}:{_name(order)}"
            )
            for i, order in enumerate(orders)
        }
        current.results, current.errors = await keep_going(coros)
        if flow.feedback:
            review = feedback_prompt(task, current)
            feedback = await env.step(flow.director, review, ctx, step=f"loop{loop}:feedback")
            current.feedback = as_text(feedback)
        last = current
    return last.as_dict()


def _name(order: dict[str, str]) -> str:
    return order["agent_name"]


def _key(index: int, agent: str, orders: list[dict[str, str]]) -> str:
    """The agent's name, with `#index` when the director gave it several orders."""
    return agent if sum(o["agent_name"] == agent for o in orders) == 1 else f"{agent}#{index}"


def director_prompt(flow: HierarchicalFlow, env: FlowEnv, task: str, last: Round) -> str:
    """What the director reads when it plans a loop. Pure."""
    workers = "\n".join(f"- {w}: {env.descriptions.get(w) or w}" for w in flow.workers)
    previous = ""
    if last.results or last.errors:
        previous = (
            f"\n\nPrevious loop results:\n{json.dumps(last.results)}"
            f"\nErrors: {json.dumps(last.errors)}\nFeedback: {last.feedback}"
        )
    return (
        f"You direct these workers:\n{workers}\n\nAnswer only a JSON object "
        '{"plan": "...", "orders": [{"agent_name": "<worker>", "task": "..."}]}; '
        f"an empty orders list means the work is done.{previous}\n\nTask:\n{task}"
    )


def feedback_prompt(task: str, current: Round) -> str:
    """What the director reads when it reviews a loop's results. Pure."""
    return (
        f"Review the workers' results for the task and say what is missing or wrong.\n\n"
        f"Task:\n{task}\n\nPlan:\n{current.plan}\n\nResults:\n{json.dumps(current.results)}"
        f"\nErrors: {json.dumps(current.errors)}"
    )


def read_orders(answer: Any, workers: list[str], director: str) -> tuple[str, list[dict[str, str]]]:
    """(plan, orders) from the director's answer; orders naming no worker are dropped. Pure
    apart from the error for an answer that holds no JSON object."""
    document = answer if isinstance(answer, dict) else _parse(as_text(answer), director)
    by_lower = {w.lower(): w for w in workers}
    orders = []
    for order in document.get("orders") or []:
        if not isinstance(order, dict):
            continue
        agent = by_lower.get(str(order.get("agent_name", "")).strip().lower())
        if agent is not None and str(order.get("task", "")).strip():
            orders.append({"agent_name": agent, "task": str(order["task"])})
    return str(document.get("plan", "")), orders


def _parse(text: str, director: str) -> dict[str, Any]:
    match = _OBJECT.search(text)
    try:
        document = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise AgentError(
            f"director {director!r} answered no JSON object of orders: {text[:200]!r}",
            fix='make its model answer {"plan": ..., "orders": [{"agent_name": ..., "task": ...}]}',
        )
    return document
