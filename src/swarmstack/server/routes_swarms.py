"""The Swarms API shape (`/v1/...`) as thin adapters over durable tasks.

A completion request is imported (`spec.swarms`; a bad definition answers 422 naming the
field), submitted as a task of the built-in swarm `swarms-api` (loaded by the node when
`server.swarms_api` is on; see `agents/swarms_api.py`), and waited for up to
`server.max_wait`. Finished: the Swarms answer (`swarms_shape.py`); failed: a problem
document whose `detail` says why; still running: 202 with `job_id`, `status` and the task's
URL. Credentials: `x-api-key` or `Authorization: Bearer`.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from swarmstack.agents.swarms_api import SWARM, definition_spec
from swarmstack.core.records import TaskRecord
from swarmstack.core.states import TaskStatus
from swarmstack.errors import AgentError, InvalidInput, NotFound, SwarmstackError
from swarmstack.security.roles import Permission, allows
from swarmstack.server.auth import Who
from swarmstack.server.problems import problem_of, problem_responses
from swarmstack.server.queue_caps import check_queue_cap
from swarmstack.server.state import Manager, SubmitRequest
from swarmstack.server.swarms_shape import (
    AgentCompletionIn,
    SwarmSpecIn,
    agent_completion,
    log_entry,
    swarm_completion,
    timestamp,
)
from swarmstack.spec.swarms import SUPPORTED
from swarmstack.store import Principal

router = APIRouter(
    prefix="/v1", tags=["swarms-api"], responses=problem_responses(401, 403, 404, 422, 429, 503)
)
RUNS = {
    202: {"description": "Still running after `server.max_wait`: `job_id` and the task URL"},
    **problem_responses(500),
}
MAX_BATCH = 10  # the hosted API's batch limit


def _manager(request: Request) -> Manager:
    manager: Manager = request.app.state.manager
    return manager


@router.post("/swarm/completions", responses=RUNS)
async def swarm_completions(body: SwarmSpecIn, request: Request, who: Who) -> JSONResponse:
    """Run a Swarms SwarmSpec and answer a SwarmCompletion."""
    manager = _manager(request)
    await _ensure_swarm(manager)
    await check_queue_cap(manager, who, request)
    req, text = _swarm_request(body, "request body", manager.settings.llm.routes)
    task = await _submit_and_wait(manager, req, who)
    return _answer(task, request, lambda t: swarm_completion(t, body, text))


@router.post("/swarm/batch/completions")
async def swarm_batch(
    bodies: Annotated[list[SwarmSpecIn], Body(max_length=MAX_BATCH)], request: Request, who: Who
) -> JSONResponse:
    """Run up to 10 SwarmSpecs at once; per item, in order, its completion or its error."""
    manager = _manager(request)
    await _ensure_swarm(manager)
    await check_queue_cap(manager, who, request, count=len(bodies))
    answers: list[Any] = [None] * len(bodies)
    ready: list[tuple[int, SubmitRequest, str]] = []
    for index, body in enumerate(bodies):
        try:
            req, text = _swarm_request(body, f"request body [{index}]", manager.settings.llm.routes)
            ready.append((index, req, text))
        except SwarmstackError as exc:
            answers[index] = _error_item(body, exc, request)
    stored = await manager.submit_many([r for _, r, _ in ready], who)
    deadline = time.monotonic() + manager.settings.server.max_wait
    for (index, _, text), result in zip(ready, stored, strict=True):
        body = bodies[index]
        if isinstance(result, SwarmstackError):
            answers[index] = _error_item(body, result, request)
            continue
        task = await manager.wait_for(result, max(0.0, deadline - time.monotonic()))
        answers[index] = _item(task, body, text, request)
    return JSONResponse(answers)


@router.post("/agent/completions", responses=RUNS)
async def agent_completions(body: AgentCompletionIn, request: Request, who: Who) -> JSONResponse:
    """Run one Swarms agent on a task and answer an AgentCompletion."""
    manager = _manager(request)
    await _ensure_swarm(manager)
    await check_queue_cap(manager, who, request)
    definition = {"agent_config": body.agent_config}
    routes = manager.settings.llm.routes
    definition_spec(definition, "request body", routes)
    data = {"kind": "agent", "definition": definition, "task": body.task_text(), "routes": routes}
    task = await _submit_and_wait(manager, SubmitRequest(SWARM, data, None), who)
    return _answer(task, request, lambda t: agent_completion(t, body))


@router.get("/swarms/available")
async def swarms_available(who: Who) -> dict[str, Any]:
    """The swarm types this server runs."""
    return {"status": "success", "success": True, "swarms": SUPPORTED, "swarm_types": SUPPORTED}


@router.get("/models/available")
async def models_available(request: Request, who: Who) -> dict[str, Any]:
    """Models the loaded and deployed swarms name; requests may name any model the worker's
    OpenAI-compatible endpoint serves."""
    manager = _manager(request)
    specs = [*manager.specs.values(), *manager.router.specs.values()]
    models = {getattr(agent, "model", None) for spec in specs for agent in spec.agents.values()} - {
        None
    }
    return {"success": True, "models": sorted(str(m) for m in models)}


@router.get("/swarm/logs")
async def swarm_logs(request: Request, who: Who) -> dict[str, Any]:
    """The caller's Swarms API requests, newest first (any caller's with tasks:read-any)."""
    page = await _manager(request).store.tasks.list(
        swarm=SWARM,
        limit=100,
        owner=None if allows(who.role, Permission.TASKS_READ_ANY) else who.id,
        tenant=who.tenant,
    )
    logs = [log_entry(task) for task in page.items]
    return {"status": "success", "count": len(logs), "logs": logs, "timestamp": timestamp()}


def _swarm_request(
    body: SwarmSpecIn, where: str, routes: dict[str, str]
) -> tuple[SubmitRequest, str]:
    """The task request of a SwarmSpec whose definition imports; InvalidInput/SpecError else."""
    text = body.task_text()
    definition = body.definition()
    if "agents" not in definition:
        raise InvalidInput("the request has no agents", where=where, fix="add agents: [AgentSpec]")
    definition_spec(definition, where, routes)
    data = {"kind": "swarm", "definition": definition, "task": text, "routes": routes}
    return SubmitRequest(SWARM, data, None), text


async def _submit_and_wait(manager: Manager, req: SubmitRequest, who: Principal) -> TaskRecord:
    task = await manager.submit(req, who)
    return await manager.wait_for(task, manager.settings.server.max_wait)


async def _ensure_swarm(manager: Manager) -> None:
    """NotFound unless this node serves the Swarms API (`server.swarms_api`)."""
    if not manager.settings.server.swarms_api:
        raise NotFound(
            "the Swarms API shape is off on this server",
            fix="start it with SWARMSTACK_SERVER__SWARMS_API=true (docs/swarms.md)",
        )


def _answer(task: TaskRecord, request: Request, shape: Any) -> JSONResponse:
    if task.status is TaskStatus.SUCCEEDED:
        return JSONResponse(shape(task))
    if not task.status.terminal:
        return JSONResponse(_pending(task), status_code=202)
    error = _failure(task)
    return JSONResponse(
        {**problem_of(error, request.url.path), "job_id": task.id},
        status_code=error.status,
        media_type="application/problem+json",
    )


def _item(task: TaskRecord, body: SwarmSpecIn, text: str, request: Request) -> dict[str, Any]:
    if task.status is TaskStatus.SUCCEEDED:
        return swarm_completion(task, body, text)
    if not task.status.terminal:
        return {**_pending(task), "swarm_name": body.name}
    return _error_item(body, _failure(task), request) | {"job_id": task.id}


def _error_item(body: SwarmSpecIn, exc: SwarmstackError, request: Request) -> dict[str, Any]:
    problem = problem_of(exc, request.url.path)
    return {"status": "error", "swarm_name": body.name, "detail": problem["detail"]}


def _pending(task: TaskRecord) -> dict[str, Any]:
    return {
        "job_id": task.id,
        "status": task.status.value,
        "detail": "still running; read the outcome at the task URL",
        "task_url": f"/api/v1/tasks/{task.id}",
    }


def _failure(task: TaskRecord) -> SwarmstackError:
    return AgentError(
        f"the swarm {task.status.value}: {task.error or 'no error recorded'}",
        fix=f"see GET /api/v1/tasks/{task.id} for its trace",
    )
