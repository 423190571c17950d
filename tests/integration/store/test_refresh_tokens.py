"""Refresh tokens are used once; a replay revokes the whole sign-in (both backends)."""

from __future__ import annotations

import asyncio

from swarmstack.store import Redeemed, Store


async def test_a_token_works_once_and_a_replay_revokes_its_family(store: Store) -> None:
    await store.refresh_tokens.issued("r1", "u_1", "fam", 1000.0, 1.0)
    await store.refresh_tokens.issued("r2", "u_1", "fam", 1000.0, 2.0)  # r1's successor
    await store.refresh_tokens.issued("x1", "u_1", "other", 1000.0, 2.0)
    assert await store.refresh_tokens.redeem("r1", "u_1", 5.0) is Redeemed.OK
    assert await store.refresh_tokens.redeem("r1", "u_1", 6.0) is Redeemed.REPLAYED
    assert await store.refresh_tokens.redeem("r2", "u_1", 7.0) is Redeemed.INVALID
    assert await store.refresh_tokens.redeem("x1", "u_1", 7.0) is Redeemed.OK


async def test_expired_unknown_and_foreign_tokens_are_invalid(store: Store) -> None:
    await store.refresh_tokens.issued("r1", "u_1", "fam", 10.0, 1.0)
    assert await store.refresh_tokens.redeem("r1", "u_1", 11.0) is Redeemed.INVALID
    assert await store.refresh_tokens.redeem("nope", "u_1", 1.0) is Redeemed.INVALID
    await store.refresh_tokens.issued("r2", "u_1", "fam2", 100.0, 1.0)
    assert await store.refresh_tokens.redeem("r2", "u_2", 2.0) is Redeemed.INVALID


async def test_two_racing_uses_let_exactly_one_win(store: Store) -> None:
    await store.refresh_tokens.issued("r1", "u_1", "fam", 1000.0, 1.0)
    results = await asyncio.gather(
        *(store.refresh_tokens.redeem("r1", "u_1", 5.0) for _ in range(5))
    )
    assert results.count(Redeemed.OK) == 1


async def test_sign_out_and_disable_revoke_tokens(store: Store) -> None:
    await store.refresh_tokens.issued("r1", "u_1", "fam", 1000.0, 1.0)
    await store.refresh_tokens.issued("r2", "u_1", "fam2", 1000.0, 1.0)
    assert await store.refresh_tokens.revoke_family("fam") == 1
    assert await store.refresh_tokens.redeem("r1", "u_1", 2.0) is Redeemed.INVALID
    assert await store.refresh_tokens.revoke_user("u_1") == 1
    assert await store.refresh_tokens.redeem("r2", "u_1", 2.0) is Redeemed.INVALID
