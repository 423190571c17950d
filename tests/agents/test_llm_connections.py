"""ChatClient against a server that misbehaves on the wire: connections dropped before or during
an answer, and an SSE stream with CRLF line ends and one very long event. The server is a plain
asyncio socket server, since the fake LLM always answers in full."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from swarmstack.agents.llm import ChatClient, ChatRequest
from swarmstack.errors import LLMUnavailable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
)


class Wire:
    """A socket server on 127.0.0.1 running `handler` per connection; counts requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.handler: Handler | None = None
        self.url = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        self.requests += 1
        assert self.handler is not None
        try:
            await self.handler(reader, writer)
        finally:
            writer.close()


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    state = Wire()
    server = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/chat/completions"
    async with server:
        yield state


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def event(text: str, end: str = "\n") -> bytes:
    body = {"choices": [{"delta": {"content": text}}]}
    return chunk(f"data: {json.dumps(body)}{end}{end}".encode())


def request(url: str, stream: bool) -> ChatRequest:
    return ChatRequest(url, {"model": "m", "messages": [], "stream": stream}, timeout_s=5)


@pytest.mark.parametrize("stream", [True, False])
async def test_a_connection_dropped_before_the_answer_is_retried(
    wire: Wire, chat: ChatClient, stream: bool
) -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        return

    wire.handler = drop
    with pytest.raises(LLMUnavailable, match="unreachable: ServerDisconnectedError"):
        await chat.complete(request(wire.url, stream))
    assert wire.requests == chat.backoff.attempts


async def test_a_stream_dropped_after_text_was_forwarded_is_not_retried(
    wire: Wire, chat: ChatClient
) -> None:
    async def half(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(SSE_HEAD + event("Hello"))
        await writer.drain()

    wire.handler = half
    forwarded: list[str] = []
    with pytest.raises(LLMUnavailable, match="unreachable"):
        await chat.complete(request(wire.url, True), forwarded.append)
    assert forwarded == ["Hello"]
    assert wire.requests == 1


async def test_crlf_events_and_one_longer_than_any_read_buffer(
    wire: Wire, chat: ChatClient
) -> None:
    long = "x" * 300_000

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            SSE_HEAD + event("a ", "\r\n") + event(long, "\r\n") + chunk(b"data: [DONE]\r\n\r\n")
        )
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    wire.handler = answer
    forwarded: list[str] = []
    result = await chat.complete(request(wire.url, True), forwarded.append)
    assert result.content == "a " + long
    assert forwarded == ["a ", long]
