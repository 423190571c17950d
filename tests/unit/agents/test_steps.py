"""Steps: which outputs a retried task takes from its earlier attempts, and what each step
records as its own spend when steps run at once or inside each other."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from swarmstack.agents.context import TaskContext
from swarmstack.agents.steps import checkpoints_of, restore, run_step
from swarmstack.agents.sync_pool import SyncPool
from swarmstack.errors import AgentError


def test_checkpoints_are_the_finished_steps_outputs() -> None:
    events = [
        ("step_started", {"step": "0:a"}),
        ("step_finished", {"step": "0:a", "output": "x"}),
        ("step_failed", {"step": "1:b", "error": "boom"}),
        ("token", {"text": "t"}),
        ("step_finished", {"step": "2:c", "output": None}),
    ]
    assert checkpoints_of(events) == {"0:a": "x", "2:c": None}


def test_restore_records_the_step_as_restored() -> None:
    seen: list[tuple[str, dict[str, object]]] = []
    ctx = TaskContext("t", "s", 2, lambda kind, data: seen.append((kind, data)))
    ctx.checkpoints["0:a"] = {"k": 1}
    assert restore(ctx, "0:a", "a") == {"k": 1}
    assert ctx.trace[0]["restored"] is True and ctx.usage.steps == 0
    assert seen == [("step_restored", {"step": "0:a", "agent": "a"})]


class Spender:
    """An agent that spends `tokens` prompt tokens in two calls, yielding to its siblings
    between them."""

    def __init__(self, name: str, tokens: int) -> None:
        self.name, self.tokens = name, tokens

    async def __call__(self, data: Any, ctx: TaskContext, pool: SyncPool | None) -> Any:
        for _ in range(2):
            ctx.charge(prompt_tokens=self.tokens // 2, completion_tokens=1, cost_usd=0.5)
            ctx.charge(llm_calls=1)
            await asyncio.sleep(0)
        return data


async def test_steps_running_at_once_count_only_their_own_spend() -> None:
    ctx = TaskContext("t", "s", 1, lambda kind, data: None)
    big, small = Spender("big", 100), Spender("small", 10)
    await asyncio.gather(
        run_step(big, "x", ctx, None, step="branch:big"),
        run_step(small, "x", ctx, None, step="branch:small"),
    )
    spent = {
        e["agent"]: {k: e[k] for k in ("tokens", "prompt_tokens", "cost_usd")} for e in ctx.trace
    }
    assert spent == {
        "big": {"tokens": 102, "prompt_tokens": 100, "cost_usd": 1.0},
        "small": {"tokens": 12, "prompt_tokens": 10, "cost_usd": 1.0},
    }
    assert ctx.usage.total_tokens == 114 and ctx.usage.steps == 2


async def test_an_outer_step_counts_its_inner_steps_and_a_failed_step_its_spend() -> None:
    ctx = TaskContext("t", "s", 1, lambda kind, data: None)

    class Outer:
        name = "outer"

        async def __call__(self, data: Any, ctx: TaskContext, pool: SyncPool | None) -> Any:
            await run_step(Spender("inner", 20), data, ctx, None, step="inner")
            ctx.charge(prompt_tokens=5)
            raise RuntimeError("after the inner step")

    with pytest.raises(AgentError, match="after the inner step"):
        await run_step(Outer(), "x", ctx, None, step="outer")
    inner, outer = ctx.trace
    assert (inner["tokens"], inner["completion_tokens"]) == (22, 2)
    assert (outer["tokens"], outer["prompt_tokens"], outer["error"]) == (
        27,
        25,
        "step 'outer' (agent 'outer') raised RuntimeError: after the inner step",
    )
