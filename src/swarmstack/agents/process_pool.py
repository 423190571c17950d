"""`isolation: process` Python agents: each call in a child process that is killed on cancel.

Built by `SwarmRuntime` for agents that need a hard stop. A pool keeps up to `processes` idle
children (started with `spawn`, so nothing of the worker's threads or event loop is inherited);
a call sends the entrypoint name and the input over a pipe and waits for the answer. When the
call is cancelled or times out, its child is killed (SIGKILL) and a fresh one is started for the
next call. The function is imported by name in the child, so it must be a module-level function;
its input and output must be picklable, and it cannot take `ctx` (which holds the worker's
callbacks).
"""

from __future__ import annotations

import asyncio
import inspect
import multiprocessing
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from swarmstack.errors import AgentError, InvalidInput

_SPAWN = multiprocessing.get_context("spawn")


def check_isolable(fn: Callable[..., Any], wants_ctx: bool, where: str) -> None:
    """Raise InvalidInput unless `fn` can run in a child process."""
    if wants_ctx:
        raise InvalidInput(
            "an agent with isolation: process cannot take `ctx`",
            where=where,
            fix="drop the ctx parameter, or use isolation: thread and check ctx.cancelled",
        )
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise InvalidInput(
            f"an agent with isolation: process must be picklable, and "
            f"{getattr(fn, '__qualname__', fn)!r} is not ({type(exc).__name__}: {exc})",
            where=where,
            fix="point the entrypoint at a module-level function, not a lambda, closure or "
            "bound method",
        ) from exc


class _Child:
    """One child process and the parent's end of its pipe."""

    def __init__(self) -> None:
        self.conn, child_conn = _SPAWN.Pipe()
        self.process: BaseProcess = _SPAWN.Process(
            target=serve, args=(child_conn,), name="swarmstack-agent", daemon=True
        )
        self.process.start()
        child_conn.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class ProcessPool:
    """Children for one agent; at most `size` calls at once, the rest wait."""

    def __init__(self, agent: str, size: int) -> None:
        self.agent = agent
        self.size = size
        self._idle: list[_Child] = []
        self._slots = asyncio.Semaphore(size)
        self.last_pid: int | None = None

    async def call(self, fn: Callable[..., Any], data: Any) -> Any:
        """`fn(data)` in a child; cancelling kills that child."""
        async with self._slots:
            child = self._idle.pop() if self._idle else _Child()
            self.last_pid = child.process.pid
            try:
                reply = await self._ask(child, fn, data)
            except BaseException:
                child.kill()
                raise
            self._idle.append(child)
        return reply

    async def _ask(self, child: _Child, fn: Callable[..., Any], data: Any) -> Any:
        try:
            child.conn.send((fn, data))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise AgentError(
                f"agent {self.agent!r} (isolation: process) got an input it cannot send to its "
                f"process: {exc}"
            ) from exc
        loop = asyncio.get_running_loop()
        try:
            ok, value = await loop.run_in_executor(None, child.conn.recv)
        except (EOFError, OSError):
            code = child.process.exitcode
            raise AgentError(
                f"agent {self.agent!r} (isolation: process) died with exit code {code}"
            ) from None
        if not ok:
            raise AgentError(f"agent {self.agent!r} raised {value}")
        return value

    def close(self) -> None:
        """Kill the idle children."""
        while self._idle:
            self._idle.pop().kill()


def serve(conn: Connection) -> None:
    """The child's loop: call what the parent sends, answer (ok, value or error text)."""
    from swarmstack.agents.python import to_jsonable

    while True:
        try:
            fn, data = conn.recv()
        except EOFError:
            return
        try:
            result = fn(data)
            if inspect.isawaitable(result):
                result = asyncio.run(_await(result))
            conn.send((True, to_jsonable(result)))
        except Exception as exc:
            conn.send((False, f"{type(exc).__name__}: {exc}"))


async def _await(awaitable: Any) -> Any:
    return await awaitable
