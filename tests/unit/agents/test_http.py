"""The LLM agents' HTTP pool: one aiohttp session, opened at first use, sharing one TLS context."""

from __future__ import annotations

import pytest

from swarmstack.agents.http import HttpPool, tls_context
from swarmstack.testing import FakeLLM


def test_a_pool_opens_nothing_before_its_first_call() -> None:
    pool = HttpPool(max_connections=16)
    assert pool._session is None and not pool.is_closed  # built outside any event loop


async def test_the_session_is_opened_once_with_the_limit_and_the_shared_tls_context() -> None:
    async with HttpPool(max_connections=16) as pool:
        session = pool.session()
        assert pool.session() is session
        assert session.connector is not None and session.connector.limit == 16
        assert session.connector._ssl is tls_context()  # type: ignore[attr-defined]
    assert pool.is_closed and session.closed


async def test_a_pool_makes_requests_and_refuses_them_once_closed() -> None:
    with FakeLLM() as fake:
        pool = HttpPool(max_connections=4)
        statuses = []
        for _ in range(3):
            async with pool.session().get(f"{fake.base_url}/models") as answer:
                statuses.append(answer.status)
        await pool.aclose()
        await pool.aclose()  # closing twice is harmless
    assert statuses == [200, 200, 200]
    with pytest.raises(RuntimeError, match="closed"):
        pool.session()
