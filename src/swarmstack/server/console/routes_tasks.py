"""Console task views: the filtered list, submit, one task's timeline (live over SSE), cancel,
and bulk cancel / re-run by filter after a confirmation that says how many."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from swarmstack.core.records import TaskEvent, TaskRecord
from swarmstack.core.states import Priority
from swarmstack.errors import Conflict, InvalidInput, NotFound
from swarmstack.security.roles import (
    Principal,
    can_cancel_task,
    can_see_task,
)
from swarmstack.server.audit import audited
from swarmstack.server.console import filters, session
from swarmstack.server.console.pages import ConsoleRoute, render
from swarmstack.server.console.session import Console
from swarmstack.server.queue_caps import check_queue_cap
from swarmstack.server.schemas import TaskIn
from swarmstack.server.sse import event_stream, finished_before
from swarmstack.server.state import Manager, SubmitRequest
from swarmstack.store.task_search import SCAN_LIMIT, encrypted

router = APIRouter(prefix="/console/tasks", route_class=ConsoleRoute, include_in_schema=False)
PAGE = 50
BULK_MAX = 1000  # tasks one bulk action touches at most
ACTIONS = {"cancel": "Cancel", "rerun": "Re-run"}


def _manager(request: Request) -> Manager:
    manager: Manager = request.app.state.manager
    return manager


def _hx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


@router.get("")
async def task_list(request: Request, who: Console, cursor: str | None = None) -> Response:
    """Tasks newest first, filtered; htmx asks for the rows alone."""
    manager = _manager(request)
    fields = filters.chosen(request.query_params)
    found = await manager.store.task_search.page(filters.task_filter(who, fields), PAGE, cursor)
    more = filters.query_string(fields, cursor=found.next_cursor) if found.next_cursor else None
    context: dict[str, Any] = {
        "tasks": found.items,
        "fields": fields,
        "more": more,
        "scanned": found.scanned,
        "scan_limit": SCAN_LIMIT,
        "sealed": encrypted(manager.store.keyring),
        "cursor": cursor,
    }
    if _hx(request) and request.headers.get("hx-target") == "more-row":
        return render(request, "task_rows.html", who, **context)
    context.update(swarms=sorted(manager.specs), statuses=filters.STATUSES)
    return render(request, "tasks.html", who, **context)


@router.post("")
async def submit(request: Request, who: Console) -> Response:
    """Submit a task from the form: a swarm and an input (JSON, else taken as text)."""
    manager = _manager(request)
    fields = await session.form(request)
    text = fields.get("input", "")
    if not text.strip():  # a blank form, sent by a browser that ignores `required`
        raise InvalidInput(
            "input: empty; nothing was submitted",
            fix='write the task\'s input: JSON such as {"text": "hello"}, or plain text',
        )
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    body = checked_submit(fields.get("swarm") or None, value, fields.get("priority") or None)
    await check_queue_cap(manager, who, request)
    task = await manager.submit(SubmitRequest(body.swarm, body.input, body.priority), who)
    return RedirectResponse(f"/console/tasks/{task.id}", status_code=303)


def checked_submit(swarm: str | None, value: Any, priority: str | None) -> TaskIn:
    """The form's task through the JSON API's own rules (`TaskIn`: a known priority, a
    storable swarm name, strict JSON), refused as InvalidInput like the API refuses it."""
    try:
        return TaskIn.model_validate({"swarm": swarm, "input": value, "priority": priority})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the form"
        raise InvalidInput(f"{where}: {first['msg']}") from None


async def _visible(manager: Manager, task_id: str, who: Principal) -> TaskRecord:
    task = await manager.store.tasks.get(task_id)
    if not can_see_task(who, task.owner, task.tenant):
        raise NotFound(f"no task {task_id[:60]!r}")
    return task


def timeline(events: list[TaskEvent], task: TaskRecord) -> list[dict[str, Any]]:
    """Rows for the task's timeline: each event with its offset from the task's creation,
    and the agent, duration, tokens and cost it reports."""
    rows = []
    for event in events:
        data = event.data or {}
        tokens = data.get("tokens")
        if tokens is None and "prompt_tokens" in data:
            tokens = int(data.get("prompt_tokens") or 0) + int(data.get("completion_tokens") or 0)
        ms = data.get("duration_ms")
        rows.append(
            {
                "id": event.id,
                "type": event.type,
                "at": event.created_at - task.created_at,
                "agent": data.get("agent") or data.get("step") or data.get("tool"),
                "duration": ms / 1000 if isinstance(ms, int | float) else None,
                "tokens": tokens,
                "cost": data.get("cost_usd"),
                "error": data.get("error"),
                "detail": {
                    k: v for k, v in data.items() if k not in {"agent", "duration_ms", "error"}
                },
            }
        )
    return rows


async def _detail(request: Request, who: Principal, task_id: str, name: str) -> Response:
    manager = _manager(request)
    task = await _visible(manager, task_id, who)
    events = await manager.store.events.after(task_id, 0, limit=2000)
    return render(
        request,
        name,
        who,
        task=task,
        steps=timeline(events, task),
        may_cancel=can_cancel_task(who, task.owner, task.tenant) and not task.status.terminal,
    )


@router.get("/{task_id}")
async def task_detail(task_id: str, request: Request, who: Console) -> Response:
    """One task: its state, input and output, attempts, and a timeline of its events."""
    return await _detail(request, who, task_id, "task.html")


@router.get("/{task_id}/live")
async def task_live(task_id: str, request: Request, who: Console) -> Response:
    """The changing part of the task page (htmx swaps it in when an event arrives)."""
    return await _detail(request, who, task_id, "task_live.html")


@router.get("/{task_id}/events")
async def task_events(task_id: str, request: Request, who: Console) -> Response:
    """The task's server-sent events for the page's EventSource (cookie-authenticated)."""
    manager = _manager(request)
    await _visible(manager, task_id, who)
    after = request.headers.get("last-event-id", "")
    start = int(after) if after.isdigit() and len(after) < 19 else 0
    if await finished_before(manager, task_id, start):
        return Response(status_code=204)
    return StreamingResponse(
        event_stream(manager, task_id, start, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _targets(request: Request, who: Principal, action: str) -> list[TaskRecord]:
    fields = await session.form(request)
    f = filters.task_filter(who, fields)
    if action == "cancel":
        f = filters.cancellable(who, f)
    return await _manager(request).store.task_search.matching(f, BULK_MAX + 1)


# each action is its own route, so server/access.py names the permission it needs (cancel:
# tasks:cancel, re-run: tasks:submit) and a refusal says which one is missing
@router.post("/bulk/cancel/preview")
async def bulk_cancel_preview(request: Request, who: Console) -> Response:
    """How many tasks a bulk cancel would touch, and a button to confirm it."""
    return await bulk_preview("cancel", request, who)


@router.post("/bulk/rerun/preview")
async def bulk_rerun_preview(request: Request, who: Console) -> Response:
    """How many tasks a bulk re-run would submit again, and a button to confirm it."""
    return await bulk_preview("rerun", request, who)


@router.post("/bulk/cancel")
async def bulk_cancel(request: Request, who: Console) -> Response:
    """Cancel the matching live tasks (at most BULK_MAX, newest first)."""
    return await bulk("cancel", request, who)


@router.post("/bulk/rerun")
async def bulk_rerun(request: Request, who: Console) -> Response:
    """Submit the matching tasks again (at most BULK_MAX, newest first)."""
    return await bulk("rerun", request, who)


async def bulk_preview(action: str, request: Request, who: Principal) -> Response:
    """How many tasks the action would touch, and a button to confirm it."""
    found = await _targets(request, who, action)
    fields = filters.chosen(await session.form(request))
    return render(
        request,
        "bulk_confirm.html",
        who,
        action=action,
        label=ACTIONS[action],
        count=min(len(found), BULK_MAX),
        more=len(found) > BULK_MAX,
        fields=fields,
    )


async def bulk(action: str, request: Request, who: Principal) -> Response:
    """Cancel or re-run the matching tasks (at most BULK_MAX, newest first)."""
    manager = _manager(request)
    found = (await _targets(request, who, action))[:BULK_MAX]
    done = 0
    async with audited(request, who, f"console.bulk-{action}", "tasks", asked=len(found)) as extra:
        if action == "cancel":
            for task in found:
                try:
                    await manager.store.tasks.cancel(task.id, time.time(), who.name)
                except (Conflict, NotFound):
                    continue  # finished meanwhile
                done += 1
        elif found:
            # one queue-cap check and one stored batch, as POST /api/v1/tasks/batch does: a
            # thousand single submits took 10-20 s and could stop half-way at the cap
            await check_queue_cap(manager, who, request, count=len(found))
            results = await manager.submit_many([_again(t) for t in found], who)
            done = sum(isinstance(r, TaskRecord) for r in results)  # refused: swarm gone
        extra["done"] = done
    if action == "cancel" and found:
        ids = [str(t.id) for t in found]
        manager.signals.cancel_requested(ids)
        manager.signals.tasks_finished(ids)
    verb = "cancelled" if action == "cancel" else "submitted again"
    return render(request, "bulk_done.html", who, text=f"{done} of {len(found)} tasks {verb}.")


def _again(task: TaskRecord) -> SubmitRequest:
    """A new submit with the task's swarm, input, priority, timeout and version."""
    return SubmitRequest(
        task.swarm, task.input, Priority.name(task.priority), task.timeout_s, version=task.version
    )


@router.post("/{task_id}/cancel")
async def cancel(task_id: str, request: Request, who: Console) -> Response:
    """Cancel one task, then show it again."""
    manager = _manager(request)
    async with audited(request, who, "task.cancel", task_id[:60], via="console"):
        task = await _visible(manager, task_id, who)
        if not can_cancel_task(who, task.owner, task.tenant):
            raise NotFound(f"no task {task_id[:60]!r}")
        await manager.store.tasks.cancel(task_id, time.time(), who.name)
    manager.signals.cancel_requested([task_id])
    manager.signals.tasks_finished([task_id])
    return RedirectResponse(f"/console/tasks/{task_id}", status_code=303)
