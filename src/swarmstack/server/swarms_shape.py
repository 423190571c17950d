"""The Swarms API's request bodies and answers, built from swarmstack tasks. Pure apart from
reading the clock for `timestamp`.

Called by `routes_swarms.py`. Answers carry both documented completion shapes: the 2026 one
(`job_id`, `usage`, `execution_time`, `number_of_agents`) and the 2025 one (`task`,
`metadata` with `billing_info`). Tokens and cost are the ones recorded per LLM call: the task's
totals from its usage, each agent's from the steps of its trace (a step records its own calls,
also when steps run at once). Only the split of the task's cost between input and output tokens
is estimated, in proportion to the tokens, since a call's cost is recorded as one figure.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from swarmstack.core.records import TaskRecord
from swarmstack.errors import InvalidInput
from swarmstack.spec.swarms.agents import free_name

RUNNER_AGENT = "swarm"  # the built-in swarm's own step (agents.swarms_api.AGENT)


class SwarmSpecIn(BaseModel):
    """A Swarms SwarmSpec; keys this adapter does not read are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    name: str | None = Field(None, max_length=100, description="Swarm name.")
    description: str | None = Field(None, description="What the swarm does.")
    agents: list[dict[str, Any]] | None = Field(None, description="AgentSpec objects.")
    swarm_type: str | None = Field(None, description="See GET /v1/swarms/available.")
    rearrange_flow: str | None = Field(None, description="AgentRearrange flow: `a -> b, c`.")
    max_loops: int = Field(1, ge=1, le=20, description="Loops (see docs/swarms.md).")
    rules: str | None = Field(None, description="Rules put before every agent's prompt.")
    task: str | None = Field(None, description="The task.")
    messages: list[dict[str, Any]] | dict[str, Any] | None = Field(
        None, description="Used as the task when `task` is missing."
    )
    stream: bool = Field(False, description="Streaming is not supported: false only.")

    def task_text(self) -> str:
        """The task: `task`, else the messages as text; InvalidInput when there is neither."""
        if self.stream:
            raise InvalidInput(
                "stream: true is not supported",
                fix="send stream: false, or stream events from /api/v1/tasks/{id}/events",
            )
        if self.task:
            return self.task
        if self.messages:
            items = self.messages if isinstance(self.messages, list) else [self.messages]
            return "\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" for m in items)
        raise InvalidInput("the request has no task", fix='add "task": "what to do"')

    def definition(self) -> dict[str, Any]:
        """The Swarms definition the worker imports (everything but the task)."""
        return self.model_dump(exclude_none=True, exclude={"task", "messages", "stream", "tasks"})


class AgentCompletionIn(BaseModel):
    """A Swarms AgentCompletion: one agent, one task, an optional history."""

    model_config = ConfigDict(extra="allow")

    agent_config: dict[str, Any] = Field(description="An AgentSpec.")
    task: str = Field(min_length=1, description="The task.")
    history: list[dict[str, Any]] | dict[str, Any] | None = Field(
        None, description="Earlier messages, put before the task."
    )

    def task_text(self) -> str:
        """The task, after the history when there is one."""
        if not self.history:
            return self.task
        items = self.history if isinstance(self.history, list) else [self.history]
        lines = "\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" for m in items)
        return f"History:\n{lines}\n\nTask:\n{self.task}"


def swarm_completion(task: TaskRecord, body: SwarmSpecIn, text: str) -> dict[str, Any]:
    """A finished task as a SwarmCompletion (both documented shapes)."""
    names = agent_names(body)
    usage = usage_of(task, names)
    seconds = execution_time(task)
    count = len(body.agents or [])
    return {
        "job_id": task.id,
        "status": "success",
        "swarm_name": body.name,
        "description": body.description,
        "swarm_type": body.swarm_type,
        "task": text,
        "output": transcript(task, names),
        "result": task.result,
        "number_of_agents": count,
        "execution_time": seconds,
        "usage": {**usage["totals"], "billing_info": usage["billing"]},
        "metadata": {
            "max_loops": body.max_loops,
            "num_agents": count,
            "execution_time_seconds": seconds,
            "completion_time": timestamp(task.finished_at),
            "billing_info": usage["billing"],
        },
        "timestamp": timestamp(task.finished_at),
    }


def agent_names(body: SwarmSpecIn) -> dict[str, str]:
    """Each agent's key in the imported spec -> its Swarms name: the keys the import gives
    (`agent_name`, else `name`; `name-2`, `name-3`... for names that share a key). Pure."""
    names: dict[str, str] = {}
    for raw in body.agents or []:
        name = raw.get("agent_name") or raw.get("name")
        if isinstance(name, str) and name.strip():
            names[free_name(name, names)] = name
    return names


def agent_completion(task: TaskRecord, body: AgentCompletionIn) -> dict[str, Any]:
    """A finished task as an AgentCompletion answer."""
    totals = usage_of(task, {})["totals"]
    return {
        "job_id": task.id,
        "success": True,
        "name": body.agent_config.get("agent_name"),
        "description": body.agent_config.get("description"),
        "temperature": body.agent_config.get("temperature"),
        "outputs": task.result,
        "usage": {**totals, "img_cost": 0.0, "total_cost": totals["total_cost"]},
        "timestamp": timestamp(task.finished_at),
    }


def transcript(task: TaskRecord, names: dict[str, str]) -> list[dict[str, Any]]:
    """The task, then each finished step's output in the order the steps finished."""
    input_task = task.input.get("task") if isinstance(task.input, dict) else task.input
    messages: list[dict[str, Any]] = [{"role": "User", "content": input_task}]
    for step in _steps(task):
        if "output" in step:
            role = names.get(step["agent"], step["agent"])
            messages.append({"role": role, "content": step["output"]})
    return messages


def usage_of(task: TaskRecord, names: dict[str, str]) -> dict[str, Any]:
    """Token totals and a Swarms-shaped `billing_info` for `task`."""
    used = task.usage or {}
    prompt, completion = int(used.get("prompt_tokens", 0)), int(used.get("completion_tokens", 0))
    total, cost = prompt + completion, float(used.get("cost_usd", 0.0))
    share = prompt / total if total else 0.0
    per_agent = per_agent_usage(task, names)
    billing = {
        "cost_breakdown": {
            "agent_cost": 0.0,
            "input_token_cost": round(cost * share, 8),
            "output_token_cost": round(cost - cost * share, 8),
            "token_counts": {
                "total_input_tokens": prompt,
                "total_output_tokens": completion,
                "total_tokens": total,
                "per_agent": per_agent,
            },
            "num_agents": len(per_agent),
            "execution_time_seconds": execution_time(task),
        },
        "total_cost": round(cost, 8),
    }
    totals = {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": total,
        "total_cost": round(cost, 8),
    }
    return {"totals": totals, "billing": billing}


def per_agent_usage(task: TaskRecord, names: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each agent's input, output and total tokens and cost: the sum of its steps' own."""
    per_agent: dict[str, dict[str, Any]] = {}
    for step in _steps(task):
        mine = per_agent.setdefault(
            names.get(step["agent"], step["agent"]),
            {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "total_cost": 0.0},
        )
        mine["input_tokens"] += int(step.get("prompt_tokens", 0))
        mine["output_tokens"] += int(step.get("completion_tokens", 0))
        mine["total_tokens"] = mine["input_tokens"] + mine["output_tokens"]
        mine["total_cost"] = round(mine["total_cost"] + float(step.get("cost_usd", 0.0)), 8)
    return per_agent


def log_entry(task: TaskRecord) -> dict[str, Any]:
    """One `GET /v1/swarm/logs` item: who asked for which swarm and task, and when."""
    data = task.input if isinstance(task.input, dict) else {}
    found = data.get("definition")
    definition: dict[str, Any] = found if isinstance(found, dict) else {}
    action = "agent_completion" if data.get("kind") == "agent" else "swarm_completion"
    return {
        "id": task.id,
        "api_key": f"{task.submitted_by[:4]}…" if task.submitted_by else None,
        "data": {
            "action": action,
            "swarm_name": definition.get("name"),
            "task": data.get("task"),
            "status": task.status.value,
            "timestamp": timestamp(task.created_at),
        },
    }


def execution_time(task: TaskRecord) -> float:
    """Seconds from the last attempt's start to the outcome."""
    if task.started_at is None or task.finished_at is None:
        return 0.0
    return round(max(0.0, task.finished_at - task.started_at), 3)


def timestamp(at: float | None = None) -> str:
    """ISO 8601 in UTC, as the Swarms API writes it."""
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).isoformat()


def _steps(task: TaskRecord) -> list[dict[str, Any]]:
    return [s for s in task.trace or [] if s.get("agent") != RUNNER_AGENT]
