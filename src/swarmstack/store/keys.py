"""API keys: only SHA-256 hashes and a short prefix are stored; lookups compare hashes in
constant time. Keys carry a role, an optional tenant, expiry, description and rate overrides."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select, update

from swarmstack.core.ids import hash_key
from swarmstack.errors import NotFound, StoreConflict
from swarmstack.security.roles import Principal
from swarmstack.store.engine import Database
from swarmstack.store.tables import api_keys

PREFIX_LENGTH = 12  # "ssk_" and 8 random characters: enough to tell keys apart in a list
_TOUCH_S = 60.0  # last_used_at is refreshed at most this often per key


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a key list shows (never the key)."""

    id: str
    name: str
    prefix: str | None
    role: str
    tenant: str | None
    description: str | None
    created_at: float
    created_by: str | None
    expires_at: float | None
    last_used_at: float | None
    revoked: bool
    rate_limit: float | None
    max_queued: int | None


@dataclass(frozen=True, slots=True)
class NewKey:
    """What a new key is for."""

    name: str
    role: str
    description: str | None = None
    expires_at: float | None = None
    tenant: str | None = None
    created_by: str | None = None
    rate_limit: float | None = None
    max_queued: int | None = None


def _info(row: Row[Any]) -> KeyInfo:
    return KeyInfo(
        row.id,
        row.name,
        row.prefix,
        row.role,
        row.tenant,
        row.description,
        row.created_at,
        row.created_by,
        row.expires_at,
        row.last_used_at,
        bool(row.revoked),
        row.rate_limit,
        row.max_queued,
    )


def _principal(row: Row[Any]) -> Principal:
    return Principal(row.id, row.name, row.role, row.tenant, "key", row.rate_limit, row.max_queued)


class KeyStore:
    """API key records."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, key: str, name: str, role: str, now: float) -> Principal:
        """Store the hash of `key` (idempotent for the same key, also when managers starting
        together add it at the same instant: the loser of the unique key reads the winner's)."""
        try:
            return await self._add(key, NewKey(name, role), now)
        except StoreConflict:
            return await self._add(key, NewKey(name, role), now)

    async def create(self, new: NewKey, now: float) -> tuple[str, KeyInfo]:
        """A fresh random key (`ssk_...`, returned once) and its record."""
        key = "ssk_" + secrets.token_urlsafe(32)
        who = await self._add(key, new, now)
        return key, await self.get(who.id)

    async def _add(self, key: str, new: NewKey, now: float) -> Principal:
        digest = hash_key(key)
        async with self.db.write() as conn:
            row = (
                await conn.execute(select(api_keys).where(api_keys.c.key_hash == digest))
            ).first()
            if row is not None:
                return _principal(row)
            key_id = "k_" + secrets.token_hex(6)
            values = {
                "id": key_id,
                "key_hash": digest,
                "prefix": key[:PREFIX_LENGTH],
                "created_at": now,
                "revoked": False,
                **{f: getattr(new, f) for f in NewKey.__dataclass_fields__},
            }
            await conn.execute(insert(api_keys).values(**values))
        return Principal(
            key_id, new.name, new.role, new.tenant, "key", new.rate_limit, new.max_queued
        )

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

    async def list(self, *, include_revoked: bool = False) -> list[KeyInfo]:
        """Keys, oldest first."""
        query = select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if not include_revoked:
            query = query.where(api_keys.c.revoked.is_(False))
        async with self.db.read() as conn:
            return [_info(r) for r in await conn.execute(query)]

    async def get(self, key_id: str) -> KeyInfo:
        """One key by id; raises NotFound."""
        async with self.db.read() as conn:
            row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        if row is None:
            raise NotFound(
                f"no API key {key_id[:60]!r}", fix="list keys with `swarmstack keys list`"
            )
        return _info(row)

    async def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key by id (idempotent); raises NotFound."""
        await self.get(key_id)
        async with self.db.write() as conn:
            await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked=True))
        return await self.get(key_id)

    async def lookup(self, key: str, now: float | None = None) -> Principal | None:
        """The principal of a valid key: known, not revoked, not expired at `now`. Refreshes
        the key's last use (at most once a minute)."""
        digest = hash_key(key)
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(api_keys).where(api_keys.c.key_hash == digest))
            ).first()
        if row is None or row.revoked or not hmac.compare_digest(row.key_hash, digest):
            return None
        if now is not None and row.expires_at is not None and row.expires_at <= now:
            return None
        if now is not None and (row.last_used_at or 0.0) < now - _TOUCH_S:
            await self._touch(row.id, now)
        return _principal(row)

    async def _touch(self, key_id: str, now: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now)
            )
