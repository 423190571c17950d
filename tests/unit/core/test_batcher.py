"""Group commit: batches fill under load, each caller gets its own result or the error."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from swarmstack.core.batcher import Batcher


async def test_concurrent_items_share_flushes() -> None:
    sizes: list[int] = []

    async def flush(items: Sequence[int]) -> list[int]:
        sizes.append(len(items))
        await asyncio.sleep(0.01)
        return [i * 2 for i in items]

    batcher: Batcher[int, int] = Batcher(flush, max_size=50)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(200)))
    assert results == [i * 2 for i in range(200)]
    assert sum(sizes) == 200
    assert len(sizes) < 20
    assert max(sizes) <= 50
    await batcher.aclose()


async def test_flush_error_reaches_every_caller_of_that_batch() -> None:
    async def flush(items: Sequence[int]) -> list[int]:
        raise RuntimeError("store down")

    batcher: Batcher[int, int] = Batcher(flush)
    outcomes = await asyncio.gather(*(batcher.submit(i) for i in range(5)), return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    await batcher.aclose()


async def test_aclose_flushes_pending_items() -> None:
    seen: list[int] = []

    async def flush(items: Sequence[int]) -> list[None]:
        seen.extend(items)
        return [None] * len(items)

    batcher: Batcher[int, None] = Batcher(flush, max_wait_s=0.01)
    pending = [asyncio.ensure_future(batcher.submit(i)) for i in range(10)]
    await asyncio.sleep(0)
    await batcher.aclose()
    await asyncio.gather(*pending)
    assert sorted(seen) == list(range(10))


async def test_mismatched_flush_result_is_an_error() -> None:
    async def flush(items: Sequence[int]) -> list[int]:
        return []

    batcher: Batcher[int, int] = Batcher(flush)
    with pytest.raises(ValueError, match="zip"):
        await batcher.submit(1)
    await batcher.aclose()
