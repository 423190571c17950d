"""Tools of LLM agents: Python callables (`module:function`) offered to the model.

Used by `agent.LLMCallable`. A tool's JSON Schema comes from its type hints (through a pydantic
model of its parameters) and its docstring: the first paragraph describes the tool, lines
`name: text` under `Args:` describe parameters. Sync tools run in the swarm's pool. A failing tool
(bad arguments, an exception) gives the model an `error: ...` result to act on; it never fails
the task.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_type_hints

from pydantic import BaseModel, Field, ValidationError, create_model

from swarmstack.agents.context import TaskContext
from swarmstack.agents.python import import_entrypoint, to_jsonable
from swarmstack.agents.sync_pool import SyncPool, run_sync

_ARG_LINE = re.compile(r"^\s*(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


@dataclass(frozen=True, slots=True)
class Tool:
    """A callable with its argument model and the schema the model sees."""

    name: str
    fn: Callable[..., Any]
    arguments: type[BaseModel]
    description: str

    def schema(self) -> dict[str, Any]:
        """The `tools` entry of a Chat Completions request."""
        parameters = self.arguments.model_json_schema()
        parameters.pop("title", None)
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": parameters,
            },
        }


def load_tool(entrypoint: str, where: str = "tools") -> Tool:
    """The tool named by `module:function`."""
    return make_tool(import_entrypoint(entrypoint, where))


def make_tool(fn: Callable[..., Any]) -> Tool:
    """A Tool from a plain function."""
    summary, arg_docs = parse_docstring(inspect.getdoc(fn) or "")
    hints = get_type_hints(fn)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = ... if param.default is param.empty else param.default
        fields[name] = (
            hints.get(name, Any),
            Field(default, description=arg_docs.get(name) or None),
        )
    model = create_model(f"{fn.__name__}_arguments", **fields)
    return Tool(fn.__name__, fn, model, summary or fn.__name__)


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(first paragraph, {parameter: description}) of a Google-style docstring."""
    summary = " ".join(doc.split("\n\n", 1)[0].split())
    args: dict[str, str] = {}
    in_args = False
    for line in doc.splitlines():
        if line.strip() in ("Args:", "Arguments:", "Parameters:"):
            in_args = True
        elif in_args and (match := _ARG_LINE.match(line)):
            args[match.group(1)] = match.group(2).strip()
        elif in_args and line.strip() and not line.startswith((" ", "\t")):
            in_args = False
    return summary, args


async def run_tool(
    tool: Tool | None, name: str, arguments: Any, pool: SyncPool | None, ctx: TaskContext
) -> tuple[bool, str]:
    """(ok, result text) of one tool call; failures become `error: ...` text."""
    if tool is None:
        return False, f"error: no tool named {name!r}"
    try:
        values = dict(tool.arguments.model_validate(parse_arguments(arguments)))
        result = await _invoke(tool.fn, values, pool, ctx)
    except BadArguments as exc:
        return False, f"error: invalid arguments for {name}: {exc}"
    except ValidationError as exc:
        return False, f"error: invalid arguments for {name}: {_short(exc)}"
    except Exception as exc:
        return False, f"error: {name} raised {type(exc).__name__}: {exc}"
    return True, result if isinstance(result, str) else json.dumps(to_jsonable(result))


class BadArguments(ValueError):
    """Tool arguments that are not a JSON object; the text goes back to the model."""


def parse_arguments(arguments: Any) -> dict[str, Any]:
    """Tool-call arguments (a JSON string, or an object some servers send) as a dict."""
    if arguments is None or arguments == "":
        return {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError as exc:
            raise BadArguments(
                f"not valid JSON ({exc.args[0] if exc.args else exc}); "
                f"send the arguments as one JSON object, got {arguments[:200]!r}"
            ) from None
    if not isinstance(arguments, dict):
        raise BadArguments(f"expected a JSON object, got {type(arguments).__name__}")
    return arguments


async def _invoke(
    fn: Callable[..., Any], values: dict[str, Any], pool: SyncPool | None, ctx: TaskContext
) -> Any:
    if inspect.iscoroutinefunction(fn):
        return await fn(**values)
    return await run_sync(pool, functools.partial(fn, **values), ctx, f"tool {fn.__name__}")


def _short(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()
    )
