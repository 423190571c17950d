"""Deployments are immutable and stored once per content; rollout states change only by
compare-and-set, so two writers never overwrite each other. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from swarmstack.core.rollout_types import Phase, RolloutState
from swarmstack.errors import Conflict, NotFound
from swarmstack.store import Store, open_store
from tests.support.keys import keyring_of_tests

SPEC = {"name": "s", "agents": {"a": {"kind": "python"}}}


async def add(store: Store, version: str, content: str, spec: dict[str, object] = SPEC) -> object:
    return await store.deployments.add(
        "s", version, content, spec, code_version=None, by="op", message="m", now=time.time()
    )


async def test_identical_content_returns_the_stored_version(store: Store) -> None:
    first, created = await add(store, "1.0.0", "h1")  # type: ignore[misc]
    again, created_again = await add(store, "1.0.1", "h1")  # type: ignore[misc]
    assert (created, created_again) == (True, False)
    assert again == first
    assert [d.version for d in await store.deployments.versions("s")] == ["1.0.0"]


async def test_a_version_label_names_one_content(store: Store) -> None:
    await add(store, "1.0.0", "h1")
    with pytest.raises(Conflict, match="already deployed with other content"):
        await add(store, "1.0.0", "h2")


async def test_get_and_history(store: Store) -> None:
    await add(store, "1.0.0", "h1")
    got = await store.deployments.get("s", "1.0.0")
    assert got.spec == SPEC
    with pytest.raises(NotFound) as missing:
        await store.deployments.get("s", "9.9.9")
    assert missing.value.fix is not None and "deployments list --swarm s`" in missing.value.fix
    [line] = await store.deployments.history("s")
    assert (line.action, line.version, line.by) == ("deploy", "1.0.0", "op")


@pytest.fixture
async def other(store: Store, store_url: str) -> AsyncIterator[Store]:
    second = await open_store(store_url, keyring=keyring_of_tests())
    try:
        yield second
    finally:
        await second.close()


async def test_two_managers_deploying_the_same_content_at_once_store_it_once(
    store: Store, other: Store
) -> None:
    now = time.time()
    results = await asyncio.gather(
        *(
            s.deployments.add(
                "s", "1.0.0", "h1", SPEC, code_version=None, by="op", message="", now=now
            )
            for s in (store, other, store, other)
        )
    )
    assert len({d.id for d, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def test_rollout_state_changes_by_compare_and_set(store: Store, other: Store) -> None:
    now = time.time()
    state = RolloutState(stable="1.0.0")
    generation = await store.deployments.save_state("s", state, None, now)
    assert generation == 1
    assert await other.deployments.save_state("s", state, None, now) is None  # created first
    moved = RolloutState(stable="1.0.0", candidate="2.0.0", phase=Phase.PROGRESSING, weight=10)
    a, b = await asyncio.gather(
        store.deployments.save_state("s", moved, 1, now, [("step", "10 %", "2.0.0", None)]),
        other.deployments.save_state("s", moved, 1, now, [("step", "10 %", "2.0.0", None)]),
    )
    assert sorted([a, b], key=lambda g: g or 0) == [None, 2]
    loaded = await store.deployments.state("s")
    assert loaded == (moved, 2)
    [route] = await store.deployments.routes()
    assert (route.stable, route.candidate, route.weight) == ("1.0.0", "2.0.0", 10)
    assert [h.action for h in await store.deployments.history("s")] == ["step"]
