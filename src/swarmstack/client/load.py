"""Load generation for `swarmstack loadtest`: many `POST /api/v1/tasks` on keep-alive
connections, closed-loop (`concurrency` submitters back to back) or open-loop (a steady `rate`
of scheduled arrivals), each request timed and its error kind recorded.

The client must not be what is measured. httpx's connection pool scans all of its connections
on every request (docs/benchmarks.md (c)), so the connections are spread over small pools of
`POOL_SIZE`; the body is encoded once; answers are parsed only when `--wait` needs the outcome.
`LoadResult.cpu_s` is this process's own CPU time, so a report can say what the client cost.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from swarmstack.client.load_stats import error_kind, schedule
from swarmstack.errors import SwarmstackError

POOL_SIZE = 8
PATH = "/api/v1/tasks"


@dataclass(frozen=True)
class LoadPlan:
    """What to send. Exactly one of `requests` and `duration_s`; `rate` (per second) makes the
    run open-loop, else `concurrency` submitters run closed-loop. `wait_s` > 0 asks for the
    outcome (`?wait=`) and counts a task that did not succeed as an error."""

    url: str
    api_key: str | None = None
    swarm: str | None = None
    requests: int | None = 1000
    duration_s: float | None = None
    concurrency: int = 1000
    rate: float | None = None
    wait_s: float = 0.0
    timeout_s: float = 30.0
    payload: Any = field(default_factory=lambda: {"text": "loadtest"})


@dataclass(frozen=True)
class Sample:
    """One request: when it was due (seconds from the start), its latency (seconds, from when
    it was due in an open-loop run, from when it was sent in a closed-loop one) and its error
    kind (None: it succeeded)."""

    due_s: float
    latency_s: float
    error: str | None


@dataclass
class Tally:
    """Live counters the progress display reads while the run goes on."""

    total: int | None
    done: int = 0
    errors: int = 0
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=500))

    def add(self, sample: Sample) -> None:
        """Count one finished request."""
        self.done += 1
        self.errors += sample.error is not None
        self.recent.append(sample.latency_s)


@dataclass(frozen=True)
class LoadResult:
    """Every sample, the wall time of the run and the CPU this process spent (seconds)."""

    samples: list[Sample]
    elapsed_s: float
    cpu_s: float
    # the manager's own words for the first answer of each `http <status>` kind (its problem
    # detail, e.g. "no swarm named 'x'. Fix: use one of: triage"), so a run where every request
    # fails the same way says why
    details: dict[str, str] = field(default_factory=dict)


def planned_total(plan: LoadPlan) -> int | None:
    """How many requests the plan sends, when known in advance (closed-loop with a duration
    sends as many as the server takes)."""
    if plan.requests is not None:
        return plan.requests
    if plan.rate is not None and plan.duration_s is not None:
        return len(schedule(plan.rate, duration_s=plan.duration_s))
    return None


async def check_reachable(plan: LoadPlan) -> None:
    """GET /health once, so a wrong URL is one clear error rather than N failed requests.

    Raises SwarmstackError when nothing answers like a manager."""
    try:
        async with httpx.AsyncClient(base_url=plan.url, timeout=5.0) as client:
            answer = await client.get("/health")
    except httpx.HTTPError as exc:
        raise SwarmstackError(
            f"cannot reach the manager at {plan.url}: {exc or type(exc).__name__}",
            fix="start one with `swarmstack up` or pass --url / set SWARMSTACK_URL",
        ) from exc
    if answer.status_code != 200:
        raise SwarmstackError(
            f"{plan.url}/health answered HTTP {answer.status_code}, not like a manager",
            fix="pass the manager's base URL, e.g. --url http://127.0.0.1:8080",
        )


async def run_load(plan: LoadPlan, tally: Tally) -> LoadResult:
    """Send the plan's requests; every sample, also counted into `tally` as it finishes."""
    clients = _clients(plan)
    sender = _Sender(plan, clients)
    cpu0, began = time.process_time(), time.perf_counter()
    try:
        if plan.rate is not None:
            samples = await _open_loop(plan, sender, tally, began)
        else:
            samples = await _closed_loop(plan, sender, tally, began)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    cpu = time.process_time() - cpu0
    return LoadResult(samples, time.perf_counter() - began, cpu, sender.details)


def _clients(plan: LoadPlan) -> list[httpx.AsyncClient]:
    count = max(1, math.ceil(plan.concurrency / POOL_SIZE))
    headers = {"Content-Type": "application/json"}
    if plan.api_key:
        headers["Authorization"] = f"Bearer {plan.api_key}"
    limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)
    # no pool timeout: waiting for a connection is queueing, and counts in the latency
    timeout = httpx.Timeout(plan.timeout_s + plan.wait_s, pool=None)
    return [
        httpx.AsyncClient(base_url=plan.url, headers=headers, limits=limits, timeout=timeout)
        for _ in range(count)
    ]


class _Sender:
    """One request at a time per call; classifies the answer."""

    def __init__(self, plan: LoadPlan, clients: list[httpx.AsyncClient]) -> None:
        body: dict[str, Any] = {"input": plan.payload}
        if plan.swarm:
            body["swarm"] = plan.swarm
        self.body = json.dumps(body).encode()
        self.params = {"wait": f"{plan.wait_s:g}"} if plan.wait_s else None
        self.clients = clients
        self.waits = plan.wait_s > 0
        self.details: dict[str, str] = {}

    async def send(self, index: int) -> str | None:
        """The error kind of request `index`, or None when it succeeded."""
        client = self.clients[index % len(self.clients)]
        try:
            answer = await client.post(PATH, content=self.body, params=self.params)
        except httpx.HTTPError as exc:
            return error_kind(exception=exc)
        except OSError as exc:
            return error_kind(exception=exc)
        return self.judge(answer)

    def judge(self, answer: httpx.Response) -> str | None:
        if answer.status_code >= 300:
            kind = error_kind(status=answer.status_code)
            if kind not in self.details:
                self.details[kind] = _detail(answer)
            return kind
        if not self.waits:
            return None
        if answer.status_code == 202:
            return "not finished within --wait"
        status = json.loads(answer.content).get("status")
        return None if status == "succeeded" else f"task {status}"


async def _closed_loop(plan: LoadPlan, sender: _Sender, tally: Tally, began: float) -> list[Sample]:
    samples: list[Sample] = []
    issued = 0
    deadline = began + plan.duration_s if plan.duration_s is not None else math.inf

    def claim() -> int | None:
        nonlocal issued
        if (plan.requests is not None and issued >= plan.requests) or (
            time.perf_counter() >= deadline
        ):
            return None
        issued += 1
        return issued - 1

    async def submitter() -> None:
        while (index := claim()) is not None:
            sent = time.perf_counter()
            error = await sender.send(index)
            sample = Sample(sent - began, time.perf_counter() - sent, error)
            samples.append(sample)
            tally.add(sample)

    await asyncio.gather(*(submitter() for _ in range(plan.concurrency)))
    return samples


async def _open_loop(plan: LoadPlan, sender: _Sender, tally: Tally, began: float) -> list[Sample]:
    assert plan.rate is not None
    due = schedule(plan.rate, plan.requests, plan.duration_s if plan.requests is None else None)
    samples: list[Sample] = []

    async def one(index: int, at: float) -> None:
        error = await sender.send(index)
        sample = Sample(at, time.perf_counter() - (began + at), error)  # from when it was due
        samples.append(sample)
        tally.add(sample)

    pending: list[asyncio.Task[None]] = []
    for index, at in enumerate(due):
        delay = began + at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(one(index, at)))
    await asyncio.gather(*pending)
    return samples


def _detail(answer: httpx.Response) -> str:
    """The problem detail of an error answer (RFC 9457 `detail`), else the start of its body."""
    try:
        detail = json.loads(answer.content).get("detail")
    except (ValueError, AttributeError):
        detail = None
    text = detail if isinstance(detail, str) and detail else answer.text
    return " ".join(text.split())[:300] or answer.reason_phrase
