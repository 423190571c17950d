"""API keys: only SHA-256 hashes are stored; lookups compare hashes in constant time."""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import insert, select, update

from swarmstack.core.ids import hash_key
from swarmstack.errors import StoreConflict
from swarmstack.security.roles import Principal
from swarmstack.store.engine import Database
from swarmstack.store.tables import api_keys


class KeyStore:
    """API key records."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, key: str, name: str, role: str, now: float) -> Principal:
        """Store the hash of `key` (idempotent for the same key, also when managers starting
        together add it at the same instant: the loser of the unique key reads the winner's)."""
        try:
            return await self._add(key, name, role, now)
        except StoreConflict:
            return await self._add(key, name, role, now)

    async def _add(self, key: str, name: str, role: str, now: float) -> Principal:
        digest = hash_key(key)
        async with self.db.write() as conn:
            row = (
                await conn.execute(select(api_keys).where(api_keys.c.key_hash == digest))
            ).first()
            if row is not None:
                return Principal(row.id, row.name, row.role)
            key_id = "k_" + secrets.token_hex(6)
            await conn.execute(
                insert(api_keys).values(
                    id=key_id, name=name, key_hash=digest, role=role, created_at=now, revoked=False
                )
            )
        return Principal(key_id, name, role)

    async def make_sole(self, name: str, key: str) -> int:
        """Make `key` the one valid key called `name`: revoke the others (and restore `key`
        if it was revoked). How many keys were revoked."""
        digest = hash_key(key)
        async with self.db.write() as conn:
            await conn.execute(
                update(api_keys).where(api_keys.c.key_hash == digest).values(revoked=False)
            )
            done = await conn.execute(
                update(api_keys)
                .where(api_keys.c.name == name, api_keys.c.key_hash != digest)
                .where(api_keys.c.revoked.is_(False))
                .values(revoked=True)
            )
        return int(done.rowcount or 0)

    async def count(self) -> int:
        """How many keys exist."""
        async with self.db.read() as conn:
            return len((await conn.execute(select(api_keys.c.id))).all())

    async def lookup(self, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key."""
        digest = hash_key(key)
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(api_keys).where(api_keys.c.key_hash == digest))
            ).first()
        if row is None or row.revoked or not hmac.compare_digest(row.key_hash, digest):
            return None
        return Principal(
            row.id, row.name, row.role, rate_limit=row.rate_limit, max_queued=row.max_queued
        )
