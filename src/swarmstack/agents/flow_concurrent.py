"""`concurrent` flows: fan out to every branch at once, fan in by an aggregator or a merge.

With `on_error: fail` the first failed branch cancels its siblings and fails the task. With
`on_error: continue` the siblings' outputs are kept and each failed branch's error is recorded
under `_errors` (agent names cannot start with `_`); a budget overrun still stops the task, and
so does the failure of every branch.
"""

from __future__ import annotations

import asyncio
from typing import Any

from swarmstack.agents.context import TaskContext
from swarmstack.agents.flow_env import FlowEnv, all_or_first_error
from swarmstack.errors import BudgetExceeded, SwarmstackError
from swarmstack.spec.flows import ConcurrentFlow

ERRORS_KEY = "_errors"


async def run_concurrent(flow: ConcurrentFlow, env: FlowEnv, data: Any, ctx: TaskContext) -> Any:
    """Fan `data` out to the branches, then fan the outputs in."""
    keys = branch_keys(flow.branches)
    coros = {
        key: env.step(agent, data, ctx, step=f"branch:{key}")
        for key, agent in zip(keys, flow.branches, strict=True)
    }
    errors: dict[str, str] = {}
    if flow.on_error == "fail":
        outputs = await all_or_first_error(coros)
    else:
        outputs, errors = await keep_going(coros)
    if flow.aggregator is not None:
        merged = {**outputs, **({ERRORS_KEY: errors} if errors else {})}
        return await env.step(flow.aggregator, merged, ctx, step=f"aggregate:{flow.aggregator}")
    return merge(keys, outputs, errors, flow.merge)


def branch_keys(branches: list[str]) -> list[str]:
    """A key per branch: the agent name, with `#index` when an agent appears twice."""
    return [name if branches.count(name) == 1 else f"{name}#{i}" for i, name in enumerate(branches)]


async def keep_going(coros: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Run all at once; (outputs, errors) by key. A budget overrun or a cancel still stops
    everything, and so does the failure of all of them."""
    results = await asyncio.gather(*coros.values(), return_exceptions=True)
    outputs: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, result in zip(coros, results, strict=True):
        if isinstance(result, BudgetExceeded | asyncio.CancelledError):
            raise result
        if isinstance(result, BaseException):
            errors[key] = result.message if isinstance(result, SwarmstackError) else str(result)
        else:
            outputs[key] = result
    if not outputs:
        raise next(r for r in results if isinstance(r, BaseException))
    return outputs, errors


def merge(keys: list[str], outputs: dict[str, Any], errors: dict[str, str], shape: str) -> Any:
    """`dict`: {branch: output, "_errors": {...}}; `list`: in branch order, `{"_error": ...}`."""
    if shape == "list":
        return [outputs[k] if k in outputs else {"_error": errors[k]} for k in keys]
    return {**outputs, **({ERRORS_KEY: errors} if errors else {})}
