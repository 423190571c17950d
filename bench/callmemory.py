"""Memory one LLM call in flight holds, by HTTP client, each client in a process of its own.

Run by `bench/llmclient.py`: `python -m bench.callmemory VARIANT URL CALLS` starts CALLS whole
(non-streamed) calls at once against the test server, whose answers take HOLD_S, and prints the
process's RSS growth per call once they are all in flight. Variants: `asyncio` (a bare
connection: open, send the request, wait for the answer's head; the floor), `httpx` (the sharded
pools), `aiohttp` (one session) and `ChatClient` (the project's client).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import uvloop

from bench.llmclient import PROMPT, aiohttp_variant, body, chatclient_variant, httpx_variant
from bench.procs import rss_mb

HOLD_S = 20.0
SETTLE_S = 12.0  # long enough for every connection to be open and its request sent
VARIANTS = ("asyncio", "httpx", "aiohttp", "ChatClient")


HELD = f"[[slow:{HOLD_S:g}]] {PROMPT}"


async def bare_call(url: str) -> Callable[[bool], Awaitable[Any]]:
    host, rest = url.removeprefix("http://").split(":", 1)
    port, path = rest.split("/", 1)
    payload = json.dumps(body(False, HELD)).encode()
    head = f"POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    request = f"{head}Content-Length: {len(payload)}\r\n\r\n".encode() + payload

    async def call(stream: bool) -> bytes:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(request)
        try:
            return await reader.readuntil(b"\r\n\r\n")
        finally:
            writer.close()

    return call


async def kib_per_call(variant: str, url: str, calls: int) -> float:
    if variant == "asyncio":
        call, close = await bare_call(url), None
    else:
        build = {"httpx": httpx_variant, "aiohttp": aiohttp_variant}
        call, close = await build.get(variant, chatclient_variant)(url, HELD, calls)
    gc.collect()
    before = rss_mb(os.getpid())
    pending = [asyncio.ensure_future(call(False)) for _ in range(calls)]
    await asyncio.sleep(SETTLE_S)
    during = rss_mb(os.getpid())
    await asyncio.gather(*pending)
    if close is not None:
        await close()
    return (during - before) * 1024 / calls


if __name__ == "__main__":
    name, address, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps({name: round(uvloop.run(kib_per_call(name, address, count)), 2)}))
