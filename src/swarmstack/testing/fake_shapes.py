"""How the fake LLM sends tool calls: the shapes deployed OpenAI-compatible servers use.

Called by `fake_llm` with a plan's calls (`id`, `function.name`, `function.arguments` as a JSON
string) and its `tool_shape`; returns the `delta`s of a stream, or the `tool_calls` of a whole
answer. Pure.

- `openai`: OpenAI and Azure OpenAI: `index` on every chunk; `id`, `type` and the name on the
  first chunk of a call only; `arguments` in string fragments.
- `repeat-name`: vLLM and some LiteLLM backends: `id` and the name repeated on every chunk.
- `no-index`: llama.cpp and proxies that drop `index`: the first chunk of a call has its `id`,
  later fragments have neither `index` nor `id`.
- `no-index-ids`: no `index`, `id` on every chunk (Gemini's compatibility API through LiteLLM).
- `same-index`: every call at `index` 0, told apart only by `id`.
- `object-args`: `arguments` as a JSON object, whole, in one chunk (Ollama).
- `one-chunk`: every call, whole, in a single chunk (Ollama, llama.cpp without partial output).
- `no-id`: no `id` at all (older llama.cpp and local servers).
"""

from __future__ import annotations

import json
from typing import Any

Call = dict[str, Any]
SHAPES = (
    "openai",
    "repeat-name",
    "no-index",
    "no-index-ids",
    "same-index",
    "object-args",
    "one-chunk",
    "no-id",
)


def stream_deltas(calls: list[Call], shape: str) -> list[dict[str, Any]]:
    """The tool-call deltas of a streamed answer, one delta per chunk."""
    if shape == "one-chunk":
        return [{"tool_calls": [_whole(c, i) for i, c in enumerate(calls)]}]
    if shape == "object-args":
        return [{"tool_calls": [_whole(c, i, as_object=True)]} for i, c in enumerate(calls)]
    return [
        {"tool_calls": [part]}
        for i, call in enumerate(calls)
        for part in _fragments(call, i, shape)
    ]


def whole_calls(calls: list[Call], shape: str) -> list[Call]:
    """The `tool_calls` of a whole (non-streamed) answer."""
    shaped = [_whole(c, None, as_object=shape == "object-args") for c in calls]
    if shape == "no-id":
        for call in shaped:
            del call["id"]
    return shaped


def _whole(call: Call, index: int | None, *, as_object: bool = False) -> Call:
    arguments = call["function"]["arguments"]
    whole: Call = {
        "id": call["id"],
        "type": "function",
        "function": {
            "name": call["function"]["name"],
            "arguments": json.loads(arguments) if as_object else arguments,
        },
    }
    return whole if index is None else {"index": index, **whole}


def _fragments(call: Call, index: int, shape: str) -> list[Call]:
    """A call cut into three argument fragments, labelled the way `shape` labels them."""
    args = call["function"]["arguments"]
    third = max(1, len(args) // 3)
    pieces = [args[:third], args[third : 2 * third], args[2 * third :]]
    parts: list[Call] = []
    for n, piece in enumerate(pieces):
        part: Call = {"function": {"arguments": piece}}
        first = n == 0
        if first or shape == "repeat-name":
            part["function"]["name"] = call["function"]["name"]
            part["type"] = "function"
        if shape != "no-id" and (first or shape in ("repeat-name", "no-index-ids", "same-index")):
            part["id"] = call["id"]
        if shape not in ("no-index", "no-index-ids"):
            part["index"] = 0 if shape == "same-index" else index
        parts.append(part)
    return parts
