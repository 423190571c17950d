"""OpenAI-compatible Chat Completions over the worker's shared connections (`agents.http`).

Used by `agent.LLMCallable`. Faults that may pass (429, 408, 5xx, a refused or dropped
connection) are retried here with exponential backoff, as long as no streamed text has been
forwarded yet. A server's own wait (`retry-after-ms`, `Retry-After` in seconds or as an HTTP date)
is honoured in full, but only while it fits in the task's remaining time (`ChatRequest.deadline`);
when it does not fit, or the attempts are spent, the call raises `LLMUnavailable` (a
TemporaryError whose `delay_s` is the server's wait, so the task-level retry can honour it).
Other 4xx answers raise `LLMProviderError` (permanent). Both name the HTTP status and the
provider's own message. A call longer than its timeout raises `LLMTimeout`. Cancelling the
awaiting task closes the connection at once: aiohttp closes a connection whose answer was not
read to the end instead of returning it to the pool.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from swarmstack.agents.http import HttpPool
from swarmstack.agents.llm.stream import (
    ChatResult,
    LineSplitter,
    StreamAssembler,
    parse_completion,
    parse_sse_line,
)
from swarmstack.errors import LLMProviderError, LLMTimeout, LLMUnavailable

TextSink = Callable[[str], None]
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MIN_CALL_S = 1.0  # time a retried call needs after its wait to be worth making


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One call: where, with which headers, what body, how long it may take."""

    url: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 60.0
    deadline: float | None = None  # time.monotonic() by which the task must be done


@dataclass(frozen=True, slots=True)
class Backoff:
    """Bounded exponential backoff; the server's own wait wins, uncapped, when it sends one."""

    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay_s(self, attempt: int, retry_after_s: float | None) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based)."""
        if retry_after_s is not None:
            return max(retry_after_s, 0.0)
        return float(min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s))


class _RetryableError(Exception):
    """A fault worth another attempt; carries the error to raise when attempts run out."""

    def __init__(self, error: LLMUnavailable, retry_after_s: float | None = None) -> None:
        self.error = error
        self.retry_after_s = retry_after_s
        super().__init__(error.message)

    def no_time(self, wait_s: float, left_s: float) -> LLMUnavailable:
        """The error to raise when waiting `wait_s` would not leave time for another call."""
        return LLMUnavailable(
            f"{self.error.message}; waiting {wait_s:g}s before another call does not fit in "
            f"the {max(left_s, 0):.3g}s the task has left",
            http_status=self.error.http_status,
            delay_s=wait_s,
            fix="the task is retried after that wait; raise runtime.timeout to wait in the call",
        )


class ChatClient:
    """Sends chat requests; one instance per worker shares the connection pool."""

    def __init__(self, http: HttpPool, backoff: Backoff | None = None) -> None:
        self.http = http
        self.backoff = backoff or Backoff()

    async def complete(self, request: ChatRequest, on_text: TextSink | None = None) -> ChatResult:
        """The model's answer; streamed text goes to `on_text` as it arrives."""
        sent = _SentText(on_text)
        for attempt in range(1, self.backoff.attempts + 1):
            try:
                return await self._attempt(request, sent)
            except _RetryableError as fault:
                if attempt == self.backoff.attempts or sent.any:
                    raise fault.error from None
                wait_s = self.backoff.delay_s(attempt, fault.retry_after_s)
                left_s = None if request.deadline is None else request.deadline - time.monotonic()
                if left_s is not None and wait_s + MIN_CALL_S > left_s:
                    raise fault.no_time(wait_s, left_s) from None
                await asyncio.sleep(wait_s)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, request: ChatRequest, sent: _SentText) -> ChatResult:
        try:
            async with asyncio.timeout(request.timeout_s):
                async with self.http.session().post(
                    request.url, data=_json(request.body), headers=_headers(request)
                ) as response:
                    if request.body.get("stream"):
                        return await _streamed(response, request, sent)
                    return await _whole(response, request)
        except aiohttp.ClientError as exc:  # before TimeoutError: a connect timeout is both
            error = LLMUnavailable(
                f"LLM endpoint {request.url} unreachable: {fault_name(exc)}: {exc}"
            )
            raise _RetryableError(error) from exc
        except TimeoutError:
            raise LLMTimeout(
                f"LLM call to {request.url} took longer than {request.timeout_s:g}s", delay_s=1.0
            ) from None


async def _whole(response: aiohttp.ClientResponse, request: ChatRequest) -> ChatResult:
    data = await response.read()
    _check(response, data, request)
    body = _loads(data)
    if not isinstance(body, dict):
        raise LLMProviderError(
            f"{request.url} answered HTTP {response.status} without a JSON object: "
            f"{_text(data)[:200]!r}",
            fix="check that base_url points at an OpenAI-compatible endpoint",
        )
    return parse_completion(body)


async def _streamed(
    response: aiohttp.ClientResponse, request: ChatRequest, sent: _SentText
) -> ChatResult:
    if response.status >= 400:
        _check(response, await response.read(), request)
    assembler = StreamAssembler()
    async for line in _lines(response.content):
        chunk = parse_sse_line(line)
        if chunk is not None:
            _check_chunk(chunk)
            sent(assembler.feed(chunk))
    return assembler.finish()


async def _lines(content: aiohttp.StreamReader) -> AsyncIterator[str]:
    """The body's lines as they arrive, of any length."""
    splitter = LineSplitter()
    async for data in content.iter_any():
        for line in splitter.feed(data):
            yield line
    for line in splitter.finish():
        yield line


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _headers(request: ChatRequest) -> dict[str, str]:
    return {"Content-Type": "application/json", **request.headers}


def fault_name(exc: aiohttp.ClientError) -> str:
    """What went wrong with the connection, in words that do not depend on the HTTP library:
    `ConnectError` when no connection could be made, else the error's own type."""
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return "ConnectError"
    return type(exc).__name__


class _SentText:
    """Forwards streamed text and remembers whether any was forwarded (then no retry)."""

    def __init__(self, sink: TextSink | None) -> None:
        self.sink = sink
        self.any = False

    def __call__(self, text: str) -> None:
        if text and self.sink is not None:
            self.any = True
            self.sink(text)


def _check(response: aiohttp.ClientResponse, body: bytes, request: ChatRequest) -> None:
    """Raise the right error for a failed HTTP answer."""
    if response.status < 400:
        return
    status = response.status
    model = request.body.get("model", "model")
    message = provider_message(body, response.reason or "")
    text = f"{model} at {request.url} answered HTTP {status}: {message}"
    if status in RETRY_STATUSES:
        retry_after = server_wait_s(response.headers)
        error = LLMUnavailable(text, http_status=status, delay_s=retry_after or 1.0)
        raise _RetryableError(error, retry_after)
    raise LLMProviderError(text, http_status=status)


def _check_chunk(chunk: dict[str, Any]) -> None:
    """Some servers report a failure inside the stream as `{"error": ...}`."""
    if "error" in chunk:
        message = _message_of(chunk) or json.dumps(chunk)[:300]
        raise LLMProviderError(f"LLM provider failed mid-stream: {message}")


def provider_message(body: bytes, reason: str) -> str:
    """The provider's own error message, from an OpenAI-style body or the raw text."""
    value = _loads(body)
    message = _message_of(value) if isinstance(value, dict) else None
    return message or _text(body)[:300].strip() or reason


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _message_of(body: dict[str, Any]) -> str | None:
    error = body.get("error", body)
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return error if isinstance(error, str) else None


def server_wait_s(headers: Mapping[str, str]) -> float | None:
    """The wait a server asks for: `retry-after-ms` (OpenAI, Azure) first, then `Retry-After`."""
    millis = _finite(headers.get("retry-after-ms"))
    if millis is not None:
        return max(millis, 0.0) / 1000
    return retry_after_s(headers.get("retry-after"))


def _finite(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def retry_after_s(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date turned into a wait from now."""
    if not value:
        return None
    if (seconds := _finite(value)) is not None:
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
