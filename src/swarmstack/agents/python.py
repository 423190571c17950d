"""Python callables as agents: `module:function`, sync or async, any framework.

Sync callables run in the swarm's thread pool (`sync_pool`) so they never block the event loop;
`isolation: process` agents run in child processes (`process_pool`). Outputs may
be str, dict, list, numbers or a pydantic model; they are turned into JSON-able values here.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from swarmstack.agents.context import TaskContext
from swarmstack.agents.process_pool import ProcessPool, check_isolable
from swarmstack.agents.sync_pool import SyncPool, run_sync
from swarmstack.errors import InvalidInput


def import_entrypoint(entrypoint: str, where: str = "entrypoint") -> Callable[..., Any]:
    """The object named by `package.module:attr.path`, or a clear error."""
    module_name, _, attr_path = entrypoint.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:  # a module that fails while importing is as unusable as a missing one
        raise InvalidInput(
            f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}",
            where=where,
            fix="check the module path and that its package is installed or on PYTHONPATH",
        ) from exc
    for part in attr_path.split("."):
        if not hasattr(target, part):
            raise InvalidInput(
                f"module {module_name!r} has no attribute {attr_path!r}",
                where=where,
                fix="check the name after the colon",
            )
        target = getattr(target, part)
    if not callable(target):
        raise InvalidInput(
            f"{entrypoint} is not callable",
            where=where,
            fix="point at a function or a callable object",
        )
    return target  # type: ignore[no-any-return]


def to_jsonable(value: Any) -> Any:
    """Agent output as JSON-able data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class PythonCallable:
    """A callable agent bound to its calling convention and isolation."""

    def __init__(
        self, name: str, fn: Callable[..., Any], processes: ProcessPool | None = None
    ) -> None:
        self.name = name
        self._fn = fn
        self._is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            type(fn).__call__
        )
        self._wants_ctx = _accepts_ctx(fn)
        self.processes = processes

    async def __call__(self, data: Any, ctx: TaskContext, pool: SyncPool | None) -> Any:
        """Run the callable on `data` and return its JSON-able output."""
        if self.processes is not None:
            return await self.processes.call(self._fn, data)
        kwargs = {"ctx": ctx} if self._wants_ctx else {}
        if self._is_async:
            return to_jsonable(await self._fn(data, **kwargs))
        call = functools.partial(self._fn, data, **kwargs)
        return to_jsonable(await run_sync(pool, call, ctx, self.name))


def isolated(name: str, fn: Callable[..., Any], processes: int, where: str) -> PythonCallable:
    """A PythonCallable whose calls run in child processes (checked to be possible)."""
    check_isolable(fn, _accepts_ctx(fn), where)
    return PythonCallable(name, fn, ProcessPool(name, processes))


def _accepts_ctx(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "ctx" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
