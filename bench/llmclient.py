"""What one LLM call costs the worker's CPU: the project's ChatClient next to bare httpx and
bare aiohttp, making the same calls in the same run.

The bundled OpenAI-compatible test server runs in its own process, so its CPU is not counted;
this process measures `time.process_time()` (all its threads) around a batch of chat calls at
1, 100 and 1,000 calls in flight, whole answers and streamed ones (11 SSE chunks), on uvloop as
the worker runs. Every variant parses answers with the same code (`agents.llm.stream`), so the
difference between them is the HTTP client and the ChatClient around it.

- `httpx`: `httpx.AsyncClient` over pools of 8 keep-alive connections taken in turn (how the
  worker called models before aiohttp; one pool of 1,000 costs far more, see benchmarks.md).
- `aiohttp`: one `aiohttp.ClientSession` whose `TCPConnector` allows 1,000 connections.
- `ChatClient`: `swarmstack.agents.llm.ChatClient` as a worker builds it (retries, timeouts),
  over aiohttp since it was measured here (over httpx's sharded pools before).

Then `bench/callmemory.py` measures the RSS one whole call in flight holds, 10,000 at once, for
each client and for a bare asyncio connection (the floor), each in a process of its own.

    python bench/run.py llmclient            # 3 rounds; --quick: 1 round, fewer calls
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import uvloop

from bench.procs import REPO, free_port, process, wait_http
from swarmstack.agents.http import HttpPool
from swarmstack.agents.llm import ChatClient, ChatRequest
from swarmstack.agents.llm.stream import ChatResult, StreamAssembler, parse_completion
from swarmstack.agents.llm.stream import parse_sse_line as sse

CONCURRENCY = (1, 100, 1000)
PROMPT = "[[say:one two three four five six seven eight]]"
Call = Callable[[bool], Awaitable[ChatResult]]


def body(stream: bool, prompt: str = PROMPT) -> dict[str, Any]:
    """The request an LLM agent sends for a one-line task."""
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": prompt},
    ]
    request: dict[str, Any] = {"model": "bench-model", "messages": messages, "stream": stream}
    if stream:
        request["stream_options"] = {"include_usage": True}
    return request


HEADERS = {"Authorization": "Bearer fake"}


class Sharded(httpx.AsyncBaseTransport):
    """Round-robin over pools of 8 connections (httpcore scans a whole pool per request)."""

    def __init__(self, connections: int) -> None:
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
        pools = [httpx.AsyncHTTPTransport(limits=limits) for _ in range(math.ceil(connections / 8))]
        self.pools, self._next = pools, itertools.cycle(pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()


async def httpx_variant(
    url: str, prompt: str = PROMPT, connections: int = 1000
) -> tuple[Call, Callable[[], Awaitable[None]]]:
    client = httpx.AsyncClient(
        transport=Sharded(connections), timeout=httpx.Timeout(None, connect=60)
    )

    async def call(stream: bool) -> ChatResult:
        if not stream:
            response = await client.post(url, json=body(False, prompt), headers=HEADERS)
            response.raise_for_status()
            return parse_completion(response.json())
        assembler = StreamAssembler()
        async with client.stream("POST", url, json=body(True, prompt), headers=HEADERS) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if (chunk := sse(line)) is not None:
                    assembler.feed(chunk)
        return assembler.finish()

    return call, client.aclose


async def aiohttp_variant(
    url: str, prompt: str = PROMPT, connections: int = 1000
) -> tuple[Call, Callable[[], Awaitable[None]]]:
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(sock_connect=60),
    )

    async def call(stream: bool) -> ChatResult:
        async with session.post(url, json=body(stream, prompt), headers=HEADERS) as response:
            response.raise_for_status()
            if not stream:
                return parse_completion(await response.json())
            assembler = StreamAssembler()
            async for raw in response.content:
                if (chunk := sse(raw.decode())) is not None:
                    assembler.feed(chunk)
            return assembler.finish()

    return call, session.close


async def chatclient_variant(
    url: str, prompt: str = PROMPT, connections: int = 1000
) -> tuple[Call, Callable[[], Awaitable[None]]]:
    http = HttpPool(connections)
    chat = ChatClient(http)

    async def call(stream: bool) -> ChatResult:
        return await chat.complete(
            ChatRequest(url, body(stream, prompt), dict(HEADERS), 60.0), None
        )

    return call, http.aclose


VARIANTS = {"httpx": httpx_variant, "aiohttp": aiohttp_variant, "ChatClient": chatclient_variant}


async def cpu_per_call_us(call: Call, stream: bool, concurrency: int, calls: int) -> float:
    """Microseconds of this process's CPU per call, `concurrency` calls in flight."""

    async def lane(count: int) -> None:
        for _ in range(count):
            result = await call(stream)
            assert result.content.startswith("one two"), result

    per_lane = max(1, calls // concurrency)
    await asyncio.gather(*(lane(1) for _ in range(concurrency)))  # open the connections
    started = time.process_time()
    await asyncio.gather(*(lane(per_lane) for _ in range(concurrency)))
    return (time.process_time() - started) / (per_lane * concurrency) * 1e6


async def measure(url: str, calls: int) -> dict[str, dict[str, float]]:
    """{"<mode> x<concurrency>": {variant: µs per call}} for one round."""
    cells: dict[str, dict[str, float]] = {}
    for name, build in VARIANTS.items():
        call, close = await build(url)
        try:
            for stream, concurrency in itertools.product((False, True), CONCURRENCY):
                cell = f"{'stream' if stream else 'whole'} x{concurrency}"
                count = max(calls, 3 * concurrency)
                cells.setdefault(cell, {})[name] = round(
                    await cpu_per_call_us(call, stream, concurrency, count), 1
                )
        finally:
            await close()
    return cells


def run_llmclient(work: Path, quick: bool) -> dict[str, Any]:
    """Every round's figures, their medians, each variant's ratio to httpx, and RSS per call."""
    with fake_server(work, "cpu") as url:
        rounds = [
            uvloop.run(measure(url, 300 if quick else 1000)) for _ in range(1 if quick else 3)
        ]
    medians = {
        cell: {v: statistics.median(r[cell][v] for r in rounds) for v in rounds[0][cell]}
        for cell in rounds[0]
    }
    ratios = {
        cell: {v: round(us / row["httpx"], 3) for v, us in row.items()}
        for cell, row in medians.items()
    }
    return {
        "us_per_call_median": medians,
        "ratio_to_httpx": ratios,
        "rounds": rounds,
        "kib_rss_per_call_in_flight": call_memory(work, 1000 if quick else 10_000),
    }


@contextlib.contextmanager
def fake_server(work: Path, label: str) -> Iterator[str]:
    """The test server in a process of its own; yields its chat completions URL."""
    port = free_port()
    # idle connections stay open between cells (a server closing them races with their reuse)
    args = [sys.executable, "-m", "uvicorn", "--factory", "swarmstack.testing.fake_llm:create_app"]
    args += ["--port", str(port), "--timeout-keep-alive", "600", "--backlog", "16384"]
    args += ["--log-level", "warning"]
    with process(args, work / f"fake-llm-{label}.log"):
        base = f"http://127.0.0.1:{port}/v1"
        wait_http(base + "/models")
        yield base + "/chat/completions"


def call_memory(work: Path, calls: int) -> dict[str, float]:
    """RSS per whole call in flight, `calls` at once, each client in a fresh process and with
    a fresh server (one that has just dropped 10,000 connections is still closing them)."""
    from bench.callmemory import VARIANTS

    out: dict[str, float] = {}
    for variant in VARIANTS:
        with fake_server(work, variant) as url:
            args = [sys.executable, "-m", "bench.callmemory", variant, url, str(calls)]
            done = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"bench.callmemory {variant} failed:\n{done.stderr[-2000:]}")
        out.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


if __name__ == "__main__":  # python -m bench.llmclient: print one round's JSON
    print(json.dumps(run_llmclient(Path("/tmp"), quick=True), indent=2))
