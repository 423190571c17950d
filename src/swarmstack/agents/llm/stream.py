"""Assembling a chat completion from its parts: SSE chunks or one JSON body.

Used by `client.ChatClient`. Pure: no I/O, so the delta bookkeeping is tested on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


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


def parse_sse_line(line: str) -> dict[str, Any] | None:
    """The JSON payload of a `data:` line; None for comments, blanks and `[DONE]`."""
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    if not payload or payload == "[DONE]":
        return None
    value = json.loads(payload)
    return value if isinstance(value, dict) else None


class StreamAssembler:
    """Folds streamed chunks into a ChatResult; tool-call deltas are joined by index."""

    def __init__(self) -> None:
        self.result = ChatResult()
        self._calls: dict[int, dict[str, Any]] = {}

    def feed(self, chunk: dict[str, Any]) -> str:
        """Take one chunk; return the text it adds (may be empty)."""
        _take_usage(self.result, chunk)
        text = ""
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            text += delta.get("content") or ""
            for call in delta.get("tool_calls") or []:
                self._merge_call(call)
            self.result.finish_reason = choice.get("finish_reason") or self.result.finish_reason
        self.result.content += text
        return text

    def finish(self) -> ChatResult:
        """The assembled result."""
        self.result.tool_calls = [self._calls[i] for i in sorted(self._calls)]
        return self.result

    def _merge_call(self, delta: dict[str, Any]) -> None:
        index = int(delta.get("index", len(self._calls)))
        call = self._calls.setdefault(
            index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
        )
        call["id"] = delta.get("id") or call["id"]
        function = delta.get("function") or {}
        call["function"]["name"] += function.get("name") or ""
        call["function"]["arguments"] += function.get("arguments") or ""


def parse_completion(body: dict[str, Any]) -> ChatResult:
    """A non-streamed response body as a ChatResult."""
    result = ChatResult()
    _take_usage(result, body)
    choices = body.get("choices") or [{}]
    message = choices[0].get("message") or {}
    result.content = message.get("content") or ""
    result.tool_calls = list(message.get("tool_calls") or [])
    result.finish_reason = choices[0].get("finish_reason")
    return result


def _take_usage(result: ChatResult, body: dict[str, Any]) -> None:
    usage = body.get("usage")
    if isinstance(usage, dict):
        result.prompt_tokens = usage.get("prompt_tokens")
        result.completion_tokens = usage.get("completion_tokens")
