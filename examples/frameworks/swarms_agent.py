"""Wrapping an agent from the Swarms framework (https://github.com/kyegomez/swarms).

Swarms is optional and never a dependency of swarmstack: it is imported when the first task
runs, so `swarmstack validate` works without it. Install it in the worker image
(`pip install swarms`) and point the spec at `examples.frameworks.swarms_agent:run`.

A Swarms `Agent.run` is synchronous, so this wrapper is a plain function: the worker runs it in
its thread pool and the event loop stays free. The Swarms agent is built once per process.
"""

from __future__ import annotations

import functools
import os
from typing import Any


@functools.cache
def _agent() -> Any:
    try:
        from swarms import Agent  # type: ignore[import-not-found]
    except ImportError as exc:
        raise RuntimeError(
            "this example needs the optional `swarms` package: pip install swarms"
        ) from exc
    return Agent(
        agent_name="analyst",
        model_name=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"),
        system_prompt="You are a concise research analyst.",
        max_loops=1,
    )


def run(task: Any) -> str:
    """Agent entrypoint: hand the task text to the Swarms agent, return its answer."""
    text = task.get("text", "") if isinstance(task, dict) else str(task)
    return str(_agent().run(text))
