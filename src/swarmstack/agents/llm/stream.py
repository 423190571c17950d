"""Assembling a chat completion from its parts: SSE chunks or one JSON body.

Used by `client.ChatClient`. Pure: no I/O, so the delta bookkeeping is tested on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from swarmstack.errors import LLMProviderError


@dataclass(slots=True)
class ChatResult:
    """One answer of the model: text, tool calls, and usage when the server sent it."""

    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def message(self) -> dict[str, Any]:
        """The assistant message to append to the conversation."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        return message


class LineSplitter:
    """Turns a body arriving in pieces into whole lines, ended by LF, CRLF or CR (as SSE allows),
    decoded as UTF-8 only once whole (so a character split between pieces stays intact)."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[str]:
        """The lines `data` completes."""
        lines = (self._pending + data).splitlines(keepends=True)
        # the last piece waits for more unless it ends in LF: a CR may be the start of a CRLF
        self._pending = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        return [line.rstrip(b"\r\n").decode("utf-8", errors="replace") for line in lines]

    def finish(self) -> list[str]:
        """What is left once the body has ended."""
        rest, self._pending = self._pending, b""
        return self.feed(rest + b"\n") if rest else []


def parse_sse_line(line: str) -> dict[str, Any] | None:
    """The JSON payload of a `data:` line; None for comments, blanks and `[DONE]`."""
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    if not payload or payload == "[DONE]":
        return None
    try:
        value = json.loads(payload)
    except ValueError:
        raise LLMProviderError(
            f"LLM stream sent a chunk that is not JSON: {payload[:200]!r}",
            fix="check that base_url points at an OpenAI-compatible endpoint",
        ) from None
    return value if isinstance(value, dict) else None


class StreamAssembler:
    """Folds streamed chunks into a ChatResult; tool-call deltas are joined per call.

    Servers differ in how they stream a call (OpenAI, Azure, vLLM, Ollama, LiteLLM, llama.cpp):
    the name once or repeated in every chunk, `index` present or not (then `id`, or else the
    position, tells calls apart), `id` on the first chunk or on all of them, `arguments` as
    string fragments or as one JSON object, the whole call in one chunk. All fold the same way.
    """

    def __init__(self) -> None:
        self.result = ChatResult()
        self._calls: list[dict[str, Any]] = []
        self._by_index: dict[int, int] = {}
        self._by_id: dict[str, int] = {}

    def feed(self, chunk: dict[str, Any]) -> str:
        """Take one chunk; return the text it adds (may be empty)."""
        _take_usage(self.result, chunk)
        text = ""
        for choice in _dicts(chunk.get("choices")):
            delta = _dict(choice.get("delta"))
            text += _text(delta.get("content"))
            for call in _dicts(delta.get("tool_calls")):
                self._merge_call(call)
            self.result.finish_reason = choice.get("finish_reason") or self.result.finish_reason
        self.result.content += text
        return text

    def finish(self) -> ChatResult:
        """The assembled result."""
        self.result.tool_calls = [normal_call(call, n) for n, call in enumerate(self._calls)]
        return self.result

    def _merge_call(self, delta: dict[str, Any]) -> None:
        call = self._calls[self._slot(delta)]
        if isinstance(delta.get("id"), str) and delta["id"]:
            call["id"] = delta["id"]
        function = _dict(delta.get("function"))
        call["function"]["name"] = _join_name(call["function"]["name"], function.get("name"))
        call["function"]["arguments"] = _join_arguments(
            call["function"]["arguments"], function.get("arguments")
        )

    def _slot(self, delta: dict[str, Any]) -> int:
        """Which call a delta continues, or a new one."""
        call_id = _text(delta.get("id"))
        index = _index(delta.get("index"))
        if call_id and call_id in self._by_id:
            return self._by_id[call_id]
        if index is not None and index in self._by_index:
            slot = self._by_index[index]
            if not call_id or not self._calls[slot]["id"]:
                return slot
        elif index is None and not call_id and self._calls:
            return len(self._calls) - 1
        return self._new_call(index, call_id)

    def _new_call(self, index: int | None, call_id: str) -> int:
        slot = len(self._calls)
        self._calls.append(
            {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
        )
        if index is not None:
            self._by_index[index] = slot
        if call_id:
            self._by_id[call_id] = slot
        return slot


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _index(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _join_name(name: str, part: Any) -> str:
    """Names come whole once, whole in every chunk, or (rarely) in pieces."""
    if not isinstance(part, str) or not part or part == name:
        return name
    return part if not name or part.startswith(name) else name + part


def _join_arguments(arguments: str, part: Any) -> str:
    """String fragments are appended; a JSON object (or a repeated whole text) replaces."""
    if part is None or part == "":
        return arguments
    if not isinstance(part, str):
        return json.dumps(part)
    if arguments and part.startswith(arguments) and _is_json(part):
        return part
    return arguments + part


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def normal_call(call: Any, position: int) -> dict[str, Any]:
    """A tool call in the shape the OpenAI API sends back: an `id` (made up when the server
    sent none), `type`, a string `name` and `arguments` as a JSON string."""
    call = _dict(call)
    function = _dict(call.get("function"))
    arguments = function.get("arguments")
    if arguments is None or arguments == "":
        arguments = "{}"
    elif not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    call_id = call.get("id")
    return {
        "id": call_id if isinstance(call_id, str) and call_id else f"call_{position}",
        "type": "function",
        "function": {"name": _text(function.get("name")), "arguments": arguments},
    }


def parse_completion(body: dict[str, Any]) -> ChatResult:
    """A non-streamed response body as a ChatResult."""
    result = ChatResult()
    _take_usage(result, body)
    choices = _dicts(body.get("choices")) or [{}]
    message = _dict(choices[0].get("message"))
    result.content = _text(message.get("content"))
    calls = message.get("tool_calls")
    result.tool_calls = (
        [normal_call(c, n) for n, c in enumerate(calls)] if isinstance(calls, list) else []
    )
    result.finish_reason = choices[0].get("finish_reason")
    return result


def _take_usage(result: ChatResult, body: dict[str, Any]) -> None:
    usage = body.get("usage")
    if isinstance(usage, dict):
        result.prompt_tokens = usage.get("prompt_tokens")
        result.completion_tokens = usage.get("completion_tokens")
