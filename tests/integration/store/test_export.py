"""Tables read in batches by primary key, and values the same on both backends."""

from __future__ import annotations

from swarmstack.store import Store, export
from swarmstack.store.tables import metadata, task_events
from tests.integration.store.test_retention import finished


async def test_batches_cover_every_row_once_in_key_order(store: Store) -> None:
    await finished(store, n=3, steps=4)  # 12 step events and more
    async with store.db.read() as conn:
        table = next(t for t in await export.store_tables(conn) if t.name == "task_events")
        batches = [rows async for rows in export.read_batches(conn, table, batch=5)]
        total = await export.count(conn, table)
    keys = [row[0] for rows in batches for row in rows]
    assert keys == sorted(keys) and len(set(keys)) == total >= 12
    assert all(len(rows) <= 5 for rows in batches)


async def test_tables_come_in_schema_order_without_alembic(store: Store) -> None:
    async with store.db.read() as conn:
        names = [t.name for t in await export.store_tables(conn)]
        assert await export.revision(conn) is not None
    assert names == [t.name for t in metadata.sorted_tables]


def test_values_take_their_column_type_and_bytes_round_trip() -> None:
    row = export.encode(task_events, [7, "t", "x", "{}", 5])
    assert row == [7, "t", "x", "{}", 5.0] and isinstance(row[4], float)
    blob = export._json_value(task_events.c.data, b"\x00\xff")
    assert blob == {"b64": "AP8="}
    assert export._db_value(task_events.c.data, blob) == b"\x00\xff"


def test_the_digest_ignores_row_order() -> None:
    one, two = export.Digest(), export.Digest()
    rows = [["a", 1.0, True], ["b", 2.5, None]]
    for values in rows:
        one.add(["k", "t", "f"], values)
    for values in reversed(rows):
        two.add(["k", "t", "f"], values)
    assert one.hexdigest() == two.hexdigest() and one.rows == 2
    two.add(["k", "t", "f"], ["c", 0.0, False])
    assert one.hexdigest() != two.hexdigest()
