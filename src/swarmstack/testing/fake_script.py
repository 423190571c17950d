"""What the fake LLM answers: a deterministic plan read from directives in the prompt.

Directives are written `[[name]]` or `[[name:argument]]` in the last user message (task-level)
or in the system prompt (agent-level); the user message wins when both set the same one.

- `[[say:TEXT]]`: answer exactly TEXT.
- `[[call:TOOL {"arg": 1}]]`: when tools are offered and the last message is the user's, call
  TOOL with those JSON arguments; several `call` directives are parallel calls.
- `[[repeat]]`: apply `call` directives on every turn (a runaway tool loop).
- `[[status:CODE]]` / `[[status:CODE:N]]`: answer HTTP CODE (to the first N requests with this
  prompt only).
- `[[retry-after:S]]`: send `Retry-After: S` with an injected status (S may be an HTTP date).
- `[[retry-after-ms:MS]]`: send `retry-after-ms: MS` (as OpenAI and Azure do).
- `[[slow:S]]`: wait S seconds before each streamed chunk (before a whole answer).
- `[[hang]]`: never finish: stream a chunk every 50 ms forever, or never answer.
- `[[no-usage]]`: leave `usage` out of the response.
- `[[tool-shape:SHAPE]]`: send tool calls the way some deployed server does (see
  `fake_shapes.SHAPES`): `openai` (default), `repeat-name`, `no-index`, `no-index-ids`,
  `same-index`, `object-args`, `one-chunk`, `no-id`.

Without directives the answer is `echo: <last user message>`; after tool results it is
`tool results: <result> | <result>`. Directives never appear in answers, so a fault injected in
a task input does not leak into the next agent's input. Pure: no I/O.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

DIRECTIVE = re.compile(r"\[\[([a-z][\w-]*)(?::(.*?))?\]\]", re.DOTALL)


@dataclass(slots=True)
class Plan:
    """The answer to one request."""

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    status: int | None = None
    status_times: int | None = None
    retry_after: str | None = None
    retry_after_ms: str | None = None
    slow_s: float = 0.0
    hang: bool = False
    usage: bool = True
    prompt_tokens: int = 0
    tool_shape: str = "openai"

    @property
    def completion_tokens(self) -> int:
        """A stand-in count: about four characters per token."""
        size = len(self.text) + sum(len(json.dumps(c)) for c in self.tool_calls)
        return max(1, math.ceil(size / 4))


def directives(text: str) -> list[tuple[str, str]]:
    """(name, argument) of every directive in `text`, in order."""
    return [(m.group(1), (m.group(2) or "").strip()) for m in DIRECTIVE.finditer(text)]


def strip_directives(text: str) -> str:
    """`text` without its directives."""
    return re.sub(r"\s+", " ", DIRECTIVE.sub("", text)).strip()


def content_text(message: dict[str, Any]) -> str:
    """The text of a message whose content is a string or a list of text parts."""
    content = message.get("content") or ""
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """Content of the last user message."""
    users = [m for m in messages if m.get("role") == "user"]
    return content_text(users[-1]) if users else ""


def plan_answer(body: dict[str, Any]) -> Plan:
    """The deterministic plan for a chat request body."""
    messages: list[dict[str, Any]] = list(body.get("messages") or [])
    system = " ".join(content_text(m) for m in messages if m.get("role") == "system")
    user = last_user_text(messages)
    found = dict(directives(system)) | dict(directives(user))
    calls = [arg for name, arg in directives(system + " " + user) if name == "call"]
    plan = Plan(prompt_tokens=max(1, math.ceil(len(json.dumps(messages)) / 4)))
    _faults(plan, found)
    after_tools = bool(messages) and messages[-1].get("role") == "tool"
    if calls and body.get("tools") and (not after_tools or "repeat" in found):
        plan.tool_calls = [_tool_call(arg, i, len(messages)) for i, arg in enumerate(calls)]
    elif "say" in found:
        plan.text = found["say"]
    elif after_tools:
        plan.text = "tool results: " + " | ".join(_trailing_tool_results(messages))
    else:
        plan.text = "echo: " + strip_directives(user)
    return plan


def _faults(plan: Plan, found: dict[str, str]) -> None:
    if "status" in found:
        code, _, times = found["status"].partition(":")
        plan.status = int(code)
        plan.status_times = int(times) if times else None
    plan.retry_after = found.get("retry-after")
    plan.retry_after_ms = found.get("retry-after-ms")
    plan.slow_s = float(found.get("slow") or 0.0)
    plan.hang = "hang" in found
    plan.usage = "no-usage" not in found
    plan.tool_shape = found.get("tool-shape") or "openai"


def _tool_call(arg: str, index: int, turn: int) -> dict[str, Any]:
    name, _, arguments = arg.partition(" ")
    return {
        "id": f"call_{turn}_{index}",
        "type": "function",
        "function": {"name": name, "arguments": arguments.strip() or "{}"},
    }


def _trailing_tool_results(messages: list[dict[str, Any]]) -> list[str]:
    results: list[str] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        results.append(content_text(message))
    return list(reversed(results))
