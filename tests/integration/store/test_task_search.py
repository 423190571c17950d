"""The console's task search: keyset pages over (created_at, id), filters, and text search in
SQL (encryption off) or by a bounded scan of decrypted rows (encryption on)."""

from __future__ import annotations

from swarmstack.core.ids import new_task_id
from swarmstack.core.records import NewTask
from swarmstack.store import Store, open_store
from swarmstack.store.task_search import TaskFilter, encrypted, parse_cursor


def tasks(n: int, swarm: str = "s", at: float = 1000.0) -> list[NewTask]:
    # pairs share a created_at, so the id breaks ties
    return [
        NewTask(new_task_id(), swarm, {"text": f"order {i}"}, 5, 3, 30.0, "key:t", at + i // 2)
        for i in range(n)
    ]


async def every_page(store: Store, f: TaskFilter, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = await store.task_search.page(f, limit, cursor)
        pages.append([t.id for t in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


async def test_keyset_pages_cover_every_task_once_newest_first(store: Store) -> None:
    await store.tasks.submit_many(tasks(120))
    pages = await every_page(store, TaskFilter(), 50)
    assert [len(p) for p in pages] == [50, 50, 20]
    ids = [i for p in pages for i in p]
    assert len(set(ids)) == 120
    found = await store.tasks.get_many(ids)
    order = {t.id: (t.created_at, t.id) for t in found}
    assert [order[i] for i in ids] == sorted(order.values(), reverse=True)


async def test_filters_and_a_sealed_text_search(store: Store) -> None:
    await store.tasks.submit_many(tasks(30) + tasks(5, swarm="other", at=5000.0))
    assert encrypted(store.keyring)
    other = await store.task_search.page(TaskFilter(swarm="other"), 50)
    assert len(other.items) == 5
    window = await store.task_search.page(TaskFilter(since=1000.0, until=1002.0), 50)
    assert len(window.items) == 4
    found = await store.task_search.page(TaskFilter(text="ORDER 17"), 50)
    assert [t.input for t in found.items] == [{"text": "order 17"}]
    assert found.scanned == 35  # every row was opened and matched in the manager
    assert len(await store.task_search.matching(TaskFilter(text="order 1"), 100)) == 11 + 1


async def test_text_is_searched_in_sql_when_encryption_is_off(store_url: str) -> None:
    plain = await open_store(store_url)
    try:
        assert not encrypted(plain.keyring)
        await plain.tasks.submit_many(tasks(20))
        found = await plain.task_search.page(TaskFilter(text="Order 7"), 50)
        assert [t.input for t in found.items] == [{"text": "order 7"}]
        assert found.scanned is None
    finally:
        await plain.close()


def test_a_malformed_cursor_starts_from_the_top() -> None:
    assert parse_cursor("nonsense") is None and parse_cursor(None) is None
    assert parse_cursor("12.5:t_abc") == (12.5, "t_abc")
