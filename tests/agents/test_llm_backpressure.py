"""Provider back-pressure: the server's wait (`retry-after-ms`, `Retry-After` as seconds or an
HTTP date) is honoured in the call while it fits the task's time, else handed to the task-level
retry as `delay_s`; against the fake server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from llm_helpers import agent, unique

from swarmstack.agents.llm import ChatClient
from swarmstack.errors import LLMUnavailable, TemporaryError
from swarmstack.spec.agents import Budget
from swarmstack.testing import FakeLLM


def _in_45s() -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=45), usegmt=True)


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(
    ("header", "expected_s"),
    [("[[retry-after:45]]", 45.0), ("[[retry-after-ms:45000]]", 45.0), ("date", 45.0)],
)
async def test_a_wait_longer_than_the_time_left_goes_to_the_task_retry(
    fake_llm: FakeLLM,
    chat: ChatClient,
    make_ctx: Any,
    status: int,
    header: str,
    expected_s: float,
) -> None:
    header = f"[[retry-after:{_in_45s()}]]" if header == "date" else header
    ctx = make_ctx()
    ctx.deadline = time.monotonic() + 10
    before = len(fake_llm.state.requests)
    with pytest.raises(LLMUnavailable) as caught:
        await agent(fake_llm, chat)(unique(f"[[status:{status}]] {header} hi"), ctx, None)
    assert isinstance(caught.value, TemporaryError)
    assert caught.value.http_status == status
    assert expected_s - 2 < caught.value.delay_s <= expected_s
    assert "does not fit in the" in str(caught.value)
    assert len(fake_llm.state.requests) - before == 1, "no second call after a refused wait"


async def test_max_wall_time_also_bounds_the_wait(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    ctx = make_ctx(Budget(max_wall_time=5))
    with pytest.raises(LLMUnavailable) as caught:
        await agent(fake_llm, chat)(unique("[[status:429]] [[retry-after:30]] hi"), ctx, None)
    assert caught.value.delay_s == 30


@pytest.mark.parametrize("header", ["[[retry-after:0.05]]", "[[retry-after-ms:50]]"])
async def test_a_wait_that_fits_is_taken_in_the_call(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any, header: str
) -> None:
    ctx = make_ctx()
    ctx.deadline = time.monotonic() + 60
    before = len(fake_llm.state.requests)
    output = await agent(fake_llm, chat)(unique(f"[[status:429:1]] {header} hi"), ctx, None)
    assert output.startswith("echo: hi")
    assert len(fake_llm.state.requests) - before == 2


async def test_spent_attempts_hand_the_servers_wait_to_the_task(
    fake_llm: FakeLLM, chat: ChatClient, make_ctx: Any
) -> None:
    with pytest.raises(LLMUnavailable) as caught:
        await agent(fake_llm, chat)(
            unique("[[status:429]] [[retry-after-ms:20]] hi"), make_ctx(), None
        )
    assert caught.value.delay_s == 0.02
