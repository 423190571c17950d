"""Run one task of a research swarm in this process and print its events as they happen.

    python -m swarmstack.testing.fake_llm --port 8911 &     # or point OPENAI_BASE_URL elsewhere
    export OPENAI_API_KEY=fake
    python -m examples.research.run examples/research/swarm.yaml '{"topic": "bees"}'

This is the runtime the worker uses, without the store: handy to try a spec. In production
submit tasks to the manager instead.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

from swarmstack.agents import SwarmRuntime, TaskContext
from swarmstack.spec import load_spec


def show(kind: str, data: dict[str, Any]) -> None:
    """Tokens inline, other events one per line."""
    if kind == "token":
        print(data["text"], end="", flush=True)
    elif kind in ("step_finished", "step_failed"):
        print(f"\n[{kind}] {data['step']} ({data['duration_ms']:.0f} ms, {data['tokens']} tokens)")
    else:
        print(f"\n[{kind}] {json.dumps(data)[:200]}")


async def run(path: str, data: Any) -> dict[str, Any]:
    """Run `data` through the swarm at `path`; the result, usage and trace."""
    runtime = SwarmRuntime(load_spec(path))
    ctx = TaskContext(task_id=uuid.uuid4().hex, swarm=runtime.spec.name, attempt=1, emit=show)
    try:
        output = await runtime.run(data, ctx)
    finally:
        await runtime.aclose()
    return {"output": output, "usage": ctx.usage.as_dict(), "steps": len(ctx.trace)}


def main() -> None:
    """`python -m examples.research.run SPEC [INPUT]`; INPUT is JSON or plain text."""
    path = sys.argv[1] if len(sys.argv) > 1 else "examples/research/swarm.yaml"
    raw = sys.argv[2] if len(sys.argv) > 2 else '{"topic": "bees"}'
    try:
        data = json.loads(raw)
    except ValueError:
        data = raw
    print("\n" + json.dumps(asyncio.run(run(path, data)), indent=2))


if __name__ == "__main__":
    main()
