"""A small OpenAI-compatible chat server for tests and offline examples.

Serves `POST /v1/chat/completions` (streamed and whole, with usage and tool calls) and
`GET /v1/models`; what it answers is planned by `fake_script.plan_answer` from directives in the
prompt, including injected faults. Tests start it with `FakeLLM` (a background thread on a free
port of 127.0.0.1); people run `python -m swarmstack.testing.fake_llm --port 8911`.
It is the only test double of the project: it replaces the paid API, never the code under test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from swarmstack.testing.fake_script import Plan, last_user_text, plan_answer
from swarmstack.testing.fake_shapes import stream_deltas, whole_calls

HANG_TICK_S = 0.05


@dataclass
class FakeState:
    """What the server saw; tests read it (from another thread, hence the lock and events)."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    disconnects: int = 0
    disconnected: threading.Event = field(default_factory=threading.Event)
    received: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        """Remember one request."""
        with self.lock:
            self.requests.append(body)
            self.headers.append(headers)
        self.received.set()

    def should_fail(self, plan: Plan, key: str) -> bool:
        """Whether this request gets the injected status (`times` limits it per prompt)."""
        with self.lock:
            self.faults[key] += 1
            return plan.status_times is None or self.faults[key] <= plan.status_times

    def lost_client(self) -> None:
        """A client went away before the answer ended."""
        with self.lock:
            self.disconnects += 1
        self.disconnected.set()


def create_app(state: FakeState | None = None) -> Starlette:
    """The ASGI app; `app.state.fake` is its FakeState."""
    fake = state or FakeState()

    async def chat(request: Request) -> Response:
        body = await request.json()
        fake.record(body, dict(request.headers))
        plan = plan_answer(body)
        key = f"{plan.status}:{last_user_text(body['messages'])}"
        if plan.status and fake.should_fail(plan, key):
            return _fault(plan)
        if body.get("stream"):
            return StreamingResponse(_sse(plan, body, fake), media_type="text/event-stream")
        return await _whole(plan, body, request, fake)

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fake", "object": "model"}]})

    app = Starlette(
        routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/v1/models", models)]
    )
    app.state.fake = fake
    return app


def _fault(plan: Plan) -> Response:
    headers = {"retry-after": plan.retry_after} if plan.retry_after else {}
    if plan.retry_after_ms:
        headers["retry-after-ms"] = plan.retry_after_ms
    error = {"message": f"fake provider: injected HTTP {plan.status}", "type": "injected_fault"}
    return JSONResponse({"error": error}, status_code=plan.status or 500, headers=headers)


async def _whole(plan: Plan, body: dict[str, Any], request: Request, fake: FakeState) -> Response:
    while plan.hang:
        if await request.is_disconnected():
            fake.lost_client()
            return Response(status_code=499)
        await asyncio.sleep(HANG_TICK_S)
    await asyncio.sleep(plan.slow_s)
    message: dict[str, Any] = {"role": "assistant", "content": plan.text or None}
    if plan.tool_calls:
        message["tool_calls"] = whole_calls(plan.tool_calls, plan.tool_shape)
    answer = _envelope(body, "chat.completion")
    answer["choices"] = [{"index": 0, "message": message, "finish_reason": _finish(plan)}]
    if plan.usage:
        answer["usage"] = _usage(plan)
    return JSONResponse(answer)


async def _sse(plan: Plan, body: dict[str, Any], fake: FakeState) -> AsyncIterator[str]:
    done = False
    try:
        async for chunk in _chunks(plan, body):
            await asyncio.sleep(plan.slow_s)
            yield f"data: {json.dumps(chunk)}\n\n"
        yield "data: [DONE]\n\n"
        done = True
    finally:
        if not done:
            fake.lost_client()


async def _chunks(plan: Plan, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    for delta in _deltas(plan):
        yield _chunk(body, delta)
    while plan.hang:
        await asyncio.sleep(HANG_TICK_S)
        yield _chunk(body, {"content": "."})
    yield _chunk(body, {}, finish=_finish(plan))
    if plan.usage and (body.get("stream_options") or {}).get("include_usage"):
        yield {**_envelope(body, "chat.completion.chunk"), "choices": [], "usage": _usage(plan)}


def _deltas(plan: Plan) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": word} for word in _words(plan.text)]
    deltas += stream_deltas(plan.tool_calls, plan.tool_shape)
    return deltas


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [w + " " for w in words[:-1]] + words[-1:] if text else []


def _chunk(
    body: dict[str, Any], delta: dict[str, Any], finish: str | None = None
) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {**_envelope(body, "chat.completion.chunk"), "choices": [choice]}


def _envelope(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": kind,
        "created": int(time.time()),
        "model": body.get("model", "fake"),
    }


def _finish(plan: Plan) -> str:
    return "tool_calls" if plan.tool_calls else "stop"


def _usage(plan: Plan) -> dict[str, int]:
    return {
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": plan.completion_tokens,
        "total_tokens": plan.prompt_tokens + plan.completion_tokens,
    }


class FakeLLM:
    """The fake server on a free port of 127.0.0.1 in a background thread; a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = FakeState()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            create_app(self.state), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="fake-llm", daemon=True)

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ending in /v1."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> FakeLLM:
        """Serve in the background; returns once the server accepts connections."""
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """`python -m swarmstack.testing.fake_llm [--host H] [--port N]`."""
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible chat server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8911)
    args = parser.parse_args(argv)
    print(f"fake LLM on http://{args.host}:{args.port}/v1 (directives: see fake_script.py)")
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
