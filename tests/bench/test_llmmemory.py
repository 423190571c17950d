"""The memory benchmark's arithmetic: heap differences per task, by type and by kind."""

from __future__ import annotations

import asyncio

from bench.llmmemory import by_type, kinds
from bench.memprobe import describe


def test_growth_is_divided_by_the_tasks_and_sorted_by_bytes() -> None:
    peak = {"builtins.dict": [300, 30_000], "builtins.list": [20, 4_000], "x.Gone": [0, 0]}
    idle = {"builtins.dict": [100, 10_000], "x.Gone": [5, 500]}
    total, first, second, gone = by_type(peak, idle, 10)
    assert total == {"shallow_bytes_per_task": 2_400}  # growth only, what shrank is left out
    assert first == {"type": "builtins.dict", "per_task": 20.0, "bytes_per_task": 2_000}
    assert second == {"type": "builtins.list", "per_task": 2.0, "bytes_per_task": 400}
    assert gone["bytes_per_task"] == -50


def test_kinds_add_up_every_code_of_one_type() -> None:
    heap = {"builtins.coroutine a.py:f": [1, 100], "builtins.coroutine b.py:g": [2, 300]}
    assert kinds(heap) == {"builtins.coroutine": [3, 400]}


def test_coroutines_are_named_by_their_code() -> None:
    async def waiting() -> None:
        await asyncio.sleep(0)

    coroutine = waiting()
    try:
        assert describe(coroutine).startswith("builtins.coroutine test_llmmemory.py:")
        assert describe(coroutine).endswith("waiting")
        assert describe({}) == "builtins.dict"
    finally:
        coroutine.close()
