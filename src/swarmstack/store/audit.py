"""The audit log: append-only, hash-chained (security/audit_chain.py), read in pages.

Appends are serialised so each entry chains to the one before it: a transaction-scoped
advisory lock on PostgreSQL (many managers append at once), the write lock on SQLite. The store
offers no update or delete of entries; `verify` finds any made behind its back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, insert, select, text

from swarmstack.security import audit_chain
from swarmstack.security.audit_chain import ChainState
from swarmstack.store.codec import dumps, storable_text
from swarmstack.store.engine import Database
from swarmstack.store.tables import audit_log

# An arbitrary constant naming the audit chain's lock (pg_advisory_xact_lock takes a bigint).
_AUDIT_LOCK = text("SELECT pg_advisory_xact_lock(7305817441213370369)")
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change: who did what to what, from where, with what result, and when."""

    principal: str
    action: str
    target: str
    source: str
    result: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A stored entry with its place in the chain."""

    id: int
    at: float
    principal: str
    action: str
    target: str
    source: str
    result: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def _record(row: Row[Any]) -> AuditRecord:
    detail = json.loads(row.detail) if row.detail else {}
    return AuditRecord(
        int(row.id),
        row.at,
        row.principal,
        row.action,
        row.target,
        row.source,
        row.result,
        detail if isinstance(detail, dict) else {"value": detail},
        row.prev_hash,
        row.hash,
    )


def _clip(value: str, length: int) -> str:
    return storable_text(value[:length]) or ""


class AuditStore:
    """The audit log."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(self, entry: AuditEntry, now: float) -> AuditRecord:
        """Add an entry at the head of the chain."""
        fields: dict[str, Any] = {
            "at": now,
            "principal": _clip(entry.principal, 120),
            "action": _clip(entry.action, 60),
            "target": _clip(entry.target, 300),
            "source": _clip(entry.source, 64),
            "result": _clip(entry.result, 20),
            "detail": dumps(dict(entry.detail)),
        }
        async with self.db.write() as conn:
            if not self.db.is_sqlite:
                await conn.execute(_AUDIT_LOCK)
            last = (
                await conn.execute(
                    select(audit_log.c.id, audit_log.c.hash)
                    .order_by(audit_log.c.id.desc())
                    .limit(1)
                )
            ).first()
            prev = last.hash if last is not None else audit_chain.GENESIS
            new_id = (
                await conn.execute(
                    insert(audit_log)
                    .values(**fields, prev_hash=prev, hash="")
                    .returning(audit_log.c.id)
                )
            ).scalar_one()
            digest = audit_chain.entry_hash(prev, {**fields, "id": int(new_id)})
            await conn.execute(
                audit_log.update().where(audit_log.c.id == new_id).values(hash=digest)
            )
        return AuditRecord(
            int(new_id), now, fields["principal"], fields["action"], fields["target"],
            fields["source"], fields["result"], dict(entry.detail), prev, digest,
        )  # fmt: skip

    async def page(
        self,
        *,
        limit: int = 100,
        before: int | None = None,
        action: str | None = None,
        principal: str | None = None,
    ) -> list[AuditRecord]:
        """Entries newest first, before the id `before`, filtered by action and principal."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(audit_log.c.id < before)
        if action:
            query = query.where(audit_log.c.action == action)
        if principal:
            query = query.where(audit_log.c.principal == principal)
        async with self.db.read() as conn:
            return [_record(r) for r in await conn.execute(query)]

    async def verify(self) -> ChainState:
        """Walk the whole chain oldest first, a page at a time; the state says where it breaks."""
        state, after = ChainState(), 0
        while True:
            async with self.db.read() as conn:
                rows = (
                    await conn.execute(
                        select(audit_log)
                        .where(audit_log.c.id > after)
                        .order_by(audit_log.c.id)
                        .limit(_PAGE)
                    )
                ).all()
            if not rows:
                return state
            state = audit_chain.walk(state, [dict(r._mapping) for r in rows])
            after = int(rows[-1].id)
