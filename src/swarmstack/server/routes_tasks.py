"""The task API: submit, read, list, cancel, and stream events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from opentelemetry.trace import Span

from swarmstack.core.records import TaskRecord
from swarmstack.core.states import TaskStatus
from swarmstack.core.tracecontext import tracer
from swarmstack.errors import InvalidInput, NotFound
from swarmstack.security.roles import Permission, allows, can_cancel_task, can_see_task
from swarmstack.server.answers import batch_json, task_json
from swarmstack.server.audit import audited
from swarmstack.server.auth import Who
from swarmstack.server.problems import problem_responses
from swarmstack.server.queue_caps import check_queue_cap
from swarmstack.server.schemas import (
    BatchIn,
    BatchOut,
    LegacyTaskIn,
    StorableName,
    TaskIn,
    TaskList,
    TaskOut,
)
from swarmstack.server.sse import event_stream, finished_before
from swarmstack.server.state import Manager, SubmitRequest
from swarmstack.store import Principal

router = APIRouter(
    prefix="/api/v1",
    tags=["tasks"],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
)
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
LastEventId = Annotated[
    str,
    Header(
        description="Resume after this event id (the `id:` of the last event received).",
        pattern=r"^[0-9]{0,18}$",  # checked by the route as documented; fits a 64-bit id
    ),
]
PinnedVersion = Annotated[
    StorableName | None,
    Header(
        alias="X-Swarm-Version",
        max_length=64,
        description="Run the task on this version (as the body's `version` field).",
    ),
]
Wait = Annotated[
    float,
    Query(
        ge=0,
        le=3600,
        description="Seconds to wait for the outcome, at most `server.max_wait` (60 s by default).",
    ),
]


def _manager(request: Request) -> Manager:
    manager: Manager = request.app.state.manager
    return manager


@contextmanager
def _submit_span(route: str) -> Iterator[Span]:
    """The `submit` span, inside FastAPI's server span of the request (which continues the
    caller's `traceparent`); the tasks stored in it carry its context to their workers
    (core.tracecontext)."""
    with tracer().start_as_current_span("submit", attributes={"http.route": route}) as span:
        yield span


async def _accept(
    request: Request, response: Response, req: SubmitRequest, who: Principal, wait: float
) -> TaskOut:
    manager = _manager(request)
    with _submit_span(request.url.path) as span:
        task = await manager.submit(req, who)
        span.set_attribute("swarmstack.task.id", task.id)
    task = await manager.wait_for(task, wait)
    response.status_code = 200 if task.status.terminal else 202
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return TaskOut.of(task)


@router.post(
    "/tasks",
    status_code=202,
    response_model=TaskOut,
    responses={200: {"description": "Finished within `wait`"}},
)
async def submit_task(
    body: TaskIn,
    request: Request,
    response: Response,
    who: Who,
    idempotency_key: IdemKey = None,
    wait: Wait = 0,
    pinned: PinnedVersion = None,
) -> TaskOut:
    """Queue a task; 202 once it is stored (200 if it finished within `wait`). It runs on the
    version its swarm's route picks (by session, else by id), or on the one pinned by the
    `version` field or the `X-Swarm-Version` header (a preview)."""
    await check_queue_cap(_manager(request), who, request)
    version = body.version or pinned
    req = SubmitRequest(
        body.swarm, body.input, body.priority, body.timeout, body.session, idempotency_key, version
    )
    return await _accept(request, response, req, who, wait)


@router.post("/tasks/batch", response_model=BatchOut)
async def submit_batch(body: BatchIn, request: Request, who: Who) -> Response:
    """Queue up to 1,000 tasks in one request, stored in one transaction: each is routed,
    validated and deduplicated (its own `idempotency_key`) as a single submit, and answered
    in order with what a single submit would have answered: 202 and the task, 200 for a
    finished task found under its key, else the status and problem document of its error
    (an unknown swarm, a reused key, a busy session). A body that does not match the schema
    is refused whole (422). The batch counts as one request against the caller's rate limit
    and as all its tasks against its cap of queued tasks (429 for the whole batch)."""
    manager = _manager(request)
    if "idempotency-key" in request.headers:
        raise InvalidInput(
            "a batch takes no Idempotency-Key header: it would name every task of it at once",
            where="Idempotency-Key header",
            fix="give each task its own `idempotency_key` field in the batch body",
        )
    await check_queue_cap(manager, who, request, count=len(body.tasks))
    reqs = [
        SubmitRequest(
            t.swarm, t.input, t.priority, t.timeout, t.session, t.idempotency_key, t.version
        )
        for t in body.tasks
    ]
    with _submit_span(request.url.path) as span:
        results = await manager.submit_many(reqs, who)
        span.set_attribute("swarmstack.tasks", len(results))
    return Response(batch_json(results, request.url.path), media_type="application/json")


@router.post(
    "/task",
    status_code=202,
    response_model=TaskOut,
    responses={200: {"description": "Finished within `wait`"}},
)
async def submit_task_legacy(
    body: LegacyTaskIn,
    request: Request,
    response: Response,
    who: Who,
    idempotency_key: IdemKey = None,
    wait: Wait = 0,
) -> TaskOut:
    """The seed's `{"task": ..., "priority": ...}` request, routed to the default swarm."""
    await check_queue_cap(_manager(request), who, request)
    req = SubmitRequest(body.swarm, body.task, body.priority, idempotency_key=idempotency_key)
    return await _accept(request, response, req, who, wait)


def _sees_every_task(who: Principal) -> bool:
    """Whether no object-level rule can hide a task from `who` (so cached answers may serve)."""
    return who.tenant is None and allows(who.role, Permission.TASKS_READ_ANY)


async def _visible_task(manager: Manager, task_id: str, who: Principal) -> TaskRecord:
    """The task if `who` may see it; otherwise the same 404 as for an id that does not exist,
    so the answer does not confirm that the id exists (OWASP API1:2023)."""
    task = await manager.store.tasks.get(task_id)
    if not can_see_task(who, task.owner, task.tenant):
        raise NotFound(f"no task {task_id[:60]!r}", fix="check the id from the submit answer")
    return task


@router.get("/tasks/{task_id}", response_model=TaskOut)
async def get_task(task_id: str, request: Request, who: Who, wait: Wait = 0) -> Response:
    """One task with its result, error, trace and every failed attempt (404 for a task of
    another principal that `who` may not read). With `wait` (seconds, capped by
    `server.max_wait`), a long poll: the answer comes once the task has an outcome, or as the
    task is when `wait` runs out (200 either way; `status` tells which)."""
    manager = _manager(request)
    if wait > 0:
        task = await manager.wait_for(await _visible_task(manager, task_id, who), wait)
        return Response(task_json(task), media_type="application/json")
    if _sees_every_task(who):
        return Response(await manager.task_answer(task_id), media_type="application/json")
    task = await _visible_task(manager, task_id, who)
    return Response(task_json(task), media_type="application/json")


@router.get("/tasks", response_model=TaskList)
async def list_tasks(
    request: Request,
    who: Who,
    status: Annotated[TaskStatus | None, Query()] = None,
    swarm: Annotated[StorableName | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[StorableName | None, Query(max_length=40)] = None,
) -> TaskList:
    """Tasks newest first, filtered by status and swarm, paginated by cursor (a submitter
    sees its own tasks, a principal with a tenant those of its tenant)."""
    page = await _manager(request).store.tasks.list(
        status=status.value if status else None,
        swarm=swarm,
        limit=limit,
        cursor=cursor,
        owner=None if allows(who.role, Permission.TASKS_READ_ANY) else who.id,
        tenant=who.tenant,
    )
    return TaskList(items=[TaskOut.of(t) for t in page.items], next_cursor=page.next_cursor)


@router.post("/tasks/{task_id}/cancel", response_model=TaskOut)
async def cancel_task(task_id: str, request: Request, who: Who) -> TaskOut:
    """Cancel a queued or running task (a running one is stopped by its worker). A submitter
    may cancel its own tasks; an operator any task."""
    manager = _manager(request)
    async with audited(request, who, "task.cancel", task_id[:60]):
        found = await _visible_task(manager, task_id, who)
        if not can_cancel_task(who, found.owner, found.tenant):
            raise NotFound(f"no task {task_id[:60]!r}", fix="check the id from the submit answer")
        task = await manager.store.tasks.cancel(task_id, time.time(), who.name)
    manager.signals.cancel_requested([task.id])
    manager.signals.tasks_finished([task.id])
    return TaskOut.of(task)


@router.get(
    "/tasks/{task_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        204: {"description": "The task has finished and no event follows `Last-Event-ID`"},
    },
)
async def task_events(
    task_id: str, request: Request, who: Who, last_event_id: LastEventId = ""
) -> Response:
    """Server-sent events of a task; resumes after `Last-Event-ID`; ends with the outcome.
    204 when the task has finished and nothing follows `Last-Event-ID` (an EventSource then
    stops reconnecting)."""
    manager = _manager(request)
    after = _event_id(last_event_id)
    if not _sees_every_task(who):
        await _visible_task(manager, task_id, who)
    if await finished_before(manager, task_id, after):
        return Response(status_code=204)
    return StreamingResponse(
        event_stream(manager, task_id, after, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _event_id(value: str) -> int:
    """The header already matched `^[0-9]{0,18}$`."""
    return int(value) if value else 0
