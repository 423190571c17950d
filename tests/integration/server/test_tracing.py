"""A task's trace through the real app: the caller's trace continues into the submit span, and
the task's queue wait, run, steps and record on the worker are its children."""

from __future__ import annotations

import asyncio

from opentelemetry.trace import SpanKind

from tests.integration.server.conftest import Node
from tests.support.spans import recorded

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


async def test_a_task_is_traced_from_submit_to_record(node: Node) -> None:
    exporter = recorded()
    answer = await node.http.post(
        "/api/v1/tasks",
        params={"wait": 10},
        json={"swarm": "pipeline", "input": "hi"},
        headers={"traceparent": f"00-{TRACE}-{PARENT}-01"},
    )
    assert answer.json()["status"] == "succeeded"
    for _ in range(200):  # the worker's spans end just after the outcome is committed
        if any(s.name == "task pipeline" for s in exporter.get_finished_spans()):
            break
        await asyncio.sleep(0.02)
    finished = exporter.get_finished_spans()
    spans = {s.name: s for s in finished}
    server = next(s for s in finished if s.kind is SpanKind.SERVER)
    submit, task = spans["submit"], spans["task pipeline"]
    assert {s.context.trace_id for s in finished} == {int(TRACE, 16)}  # the caller's trace
    assert server.parent is not None and server.parent.span_id == int(PARENT, 16)
    assert submit.attributes is not None
    assert submit.attributes["swarmstack.task.id"] == answer.json()["id"]
    for child in (spans["queue wait"], task):
        assert child.parent is not None and child.parent.span_id == submit.context.span_id
    assert task.kind is SpanKind.CONSUMER and task.attributes is not None
    assert task.attributes["swarmstack.outcome"] == "succeeded"
    assert float(task.attributes["swarmstack.queue_wait_s"]) >= 0  # type: ignore[arg-type]
    for name in ("step 0:shout", "step 1:bang", "record"):
        assert spans[name].parent is not None and spans[name].parent.span_id == task.context.span_id
    assert spans["step 0:shout"].attributes == {
        "swarmstack.step": "0:shout",
        "gen_ai.agent.name": "shout",
    }
    first, second = spans["step 0:shout"].end_time, spans["step 1:bang"].start_time
    assert first is not None and second is not None and first <= second


async def test_without_a_traceparent_the_submit_starts_a_trace(node: Node) -> None:
    exporter = recorded()
    answer = await node.http.post("/api/v1/tasks", params={"wait": 10}, json={"input": 1})
    assert answer.json()["status"] == "succeeded"
    for _ in range(200):
        if any(s.name == "task echo" for s in exporter.get_finished_spans()):
            break
        await asyncio.sleep(0.02)
    finished = exporter.get_finished_spans()
    server = next(s for s in finished if s.kind is SpanKind.SERVER)
    task = next(s for s in finished if s.name == "task echo")
    assert server.parent is None
    assert task.context.trace_id == server.context.trace_id
