"""`kind: swarms` agents: a Swarms framework `Agent` run inside the worker.

Swarms is an optional extra (`pip install 'swarmstack[swarms]'`), imported at the first call so
`swarmstack validate` works without it. Each call builds a fresh `swarms.Agent` from the spec's
`config` (a Swarms agent keeps a conversation in memory; a fresh one per call keeps tasks
apart), on `base_url` / `api_key` when given, with autosave, printing and telemetry off unless
the config turns them on. `Agent.run` is synchronous, so it runs in the swarm's thread pool.
Tokens are not counted: Swarms does not report usage per call (a step still counts one LLM call).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from swarmstack.agents.context import TaskContext
from swarmstack.agents.llm.agent import as_text, resolve
from swarmstack.agents.python import to_jsonable
from swarmstack.agents.sync_pool import SyncPool, run_sync
from swarmstack.errors import InvalidInput
from swarmstack.spec.agents import SwarmsAgent

QUIET = {"autosave": False, "print_on": False, "verbose": False}  # no files, no console output
EXTRA = "pip install 'swarmstack[swarms]' (or pip install swarms==16.0.3) in the worker"


class SwarmsCallable:
    """A built `kind: swarms` agent."""

    kind = "swarms"

    def __init__(self, name: str, spec: SwarmsAgent) -> None:
        self.name = name
        self.spec = spec

    async def __call__(self, data: Any, ctx: TaskContext, pool: SyncPool | None) -> Any:
        """Run a fresh Swarms agent on the step input (text; anything else as JSON)."""
        agent_class = swarms_agent_class()
        options = self.options(ctx)
        text = as_text(data)

        def call() -> Any:
            return agent_class(**options).run(text)

        result = await run_sync(pool, call, ctx, self.name)
        ctx.charge(llm_calls=1)
        return to_jsonable(result)

    def options(self, ctx: TaskContext) -> dict[str, Any]:
        """The keyword arguments of `swarms.Agent`; secrets resolved now, never stored."""
        options = {**QUIET, "agent_name": self.name, **self.spec.config}
        if self.spec.base_url:
            options["llm_base_url"] = self.spec.base_url
        if self.spec.api_key:
            options["llm_api_key"] = resolve(self.spec.api_key, ctx)
        return options


def swarms_agent_class() -> Any:
    """`swarms.Agent`, with Swarms' telemetry off unless the environment turned it on."""
    os.environ.setdefault("SWARMS_TELEMETRY_ON", "false")
    try:
        module = importlib.import_module("swarms")
    except ImportError as exc:
        raise InvalidInput(
            f"agents of kind swarms need the swarms package ({exc})", fix=EXTRA
        ) from None
    return module.Agent
