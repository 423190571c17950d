"""Which columns hold task data (encrypted at rest), and the start-up check of the keys.

The codec seals every write of these columns and opens every read (`store.codec`).
`tasks.usage` stays plain: it holds only counts the runtime computes (tokens, cost, steps),
never task data, and rollout analysis reads it for up to 20,000 tasks a tick. Called by
`node.build_node` (`check_keys`) and by `store.reencrypt` (`SEALED_COLUMNS`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table, func, select

from swarmstack.errors import SettingsError
from swarmstack.security.crypto import SEALED, Sealer
from swarmstack.store.engine import Database
from swarmstack.store.tables import session_messages, task_attempts, task_events, tasks

# Each table with task data, and its sealed columns (`table.column` is the associated data).
SEALED_COLUMNS: dict[Table, tuple[Column[Any], ...]] = {
    tasks: (tasks.c.input, tasks.c.result, tasks.c.error, tasks.c.trace),
    task_attempts: (task_attempts.c.error,),
    task_events: (task_events.c.data,),
    session_messages: (session_messages.c.content,),
}
SAMPLE_ROWS = 200  # newest and oldest rows per table that the start-up check reads


def name_of(column: Column[Any]) -> str:
    """`table.column`, the associated data of a sealed column."""
    return f"{column.table.name}.{column.name}"


async def stored_kids(db: Database, rows: int = SAMPLE_ROWS) -> set[str]:
    """Key ids of the sealed values among the newest and oldest `rows` rows of each table with
    task data (a few index scans however large the store is)."""
    found: set[str] = set()
    async with db.read() as conn:
        for table, columns in SEALED_COLUMNS.items():
            key = table.primary_key.columns.values()[0]
            for order in (key.desc(), key.asc()):
                sample = select(*columns).order_by(order).limit(rows).subquery()
                heads = [func.substr(sample.c[c.name], 1, len(SEALED) + 8) for c in columns]
                for row in await conn.execute(select(*heads)):
                    found |= {h[len(SEALED) :] for h in row if h and h.startswith(SEALED)}
    return found


async def check_keys(db: Database, keys: Sealer) -> None:
    """Stop a node whose keys cannot open what the store holds: SettingsError naming the key
    ids stored that this node lacks (checked on a sample: see `stored_kids`)."""
    missing = sorted(kid for kid in await stored_kids(db) if not keys.knows(kid))
    if not missing:
        return
    raise SettingsError(
        f"the store holds task data encrypted under key id(s) {', '.join(missing)}, which "
        f"this node's keys ({', '.join(keys.kids) or 'none'}) do not include: a missing or "
        "wrong encryption key",
        where="security.encryption_key",
        fix="set the key the store was written with (every node of a store needs the same "
        "keys); after a rotation keep the old key in security.encryption_previous_keys until "
        "`swarmstack keys rotate-data` has re-encrypted everything",
    )
