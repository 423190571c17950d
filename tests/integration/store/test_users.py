"""User records, failed sign-ins and locks, on both backends."""

from __future__ import annotations

import asyncio

import pytest

from swarmstack.errors import Conflict, NotFound
from swarmstack.store import Store
from swarmstack.store.users import lock_seconds


async def test_a_user_is_found_by_id_or_name_and_keeps_its_hash(store: Store) -> None:
    user = await store.users.add("alice", "$argon2id$fake", "operator", "red", "key:admin", 1.0)
    assert (await store.users.find("alice")).id == user.id
    assert (await store.users.find(user.id)).tenant == "red"
    found = await store.users.credentials("alice")
    assert found is not None and found[1] == "$argon2id$fake"
    assert await store.users.credentials("bob") is None
    with pytest.raises(NotFound, match="users list"):
        await store.users.find("bob")


async def test_usernames_are_unique_even_when_added_at_once(store: Store) -> None:
    results = await asyncio.gather(
        *(store.users.add("same", "h", "viewer", None, "t", 1.0) for _ in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conflict) for r in results) == 3
    assert [u.username for u in await store.users.list()] == ["same"]


async def test_failures_lock_the_account_and_a_sign_in_clears_them(store: Store) -> None:
    user = await store.users.add("carol", "h", "viewer", None, "t", 1.0)
    for _ in range(4):
        state = await store.users.failed(user.id, 100.0, max_failed=5, longest_s=900)
    assert state.failed_logins == 4 and state.locked_until is None
    state = await store.users.failed(user.id, 100.0, max_failed=5, longest_s=900)
    assert state.locked_until == 130.0
    await store.users.signed_in(user.id, 200.0)
    cleared = await store.users.find(user.id)
    assert (cleared.failed_logins, cleared.locked_until, cleared.last_login_at) == (0, None, 200.0)


async def test_concurrent_failures_are_all_counted(store: Store) -> None:
    user = await store.users.add("dave", "h", "viewer", None, "t", 1.0)
    await asyncio.gather(*(store.users.failed(user.id, 1.0, 100, 900) for _ in range(10)))
    assert (await store.users.find(user.id)).failed_logins == 10


async def test_disabling_and_a_new_password(store: Store) -> None:
    user = await store.users.add("erin", "old", "viewer", None, "t", 1.0)
    assert (await store.users.set_disabled("erin", True)).disabled
    await store.users.failed(user.id, 1.0, 1, 900)
    await store.users.set_password(user.id, "new")
    found = await store.users.credentials("erin")
    assert found is not None and found[1] == "new" and found[0].locked_until is None


def test_the_lock_starts_at_30_seconds_and_doubles_up_to_the_longest() -> None:
    assert [lock_seconds(n, 5, 900) for n in (4, 5, 6, 7, 10, 40)] == [0, 30, 60, 120, 900, 900]
