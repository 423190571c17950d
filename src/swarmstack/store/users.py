"""Users who sign in: records, the failed-sign-in counter and its lock, disabling.

Passwords arrive here already hashed (security/passwords.py); this module never sees one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select, update

from swarmstack.errors import Conflict, NotFound, StoreConflict
from swarmstack.store.engine import Database
from swarmstack.store.tables import users


@dataclass(frozen=True, slots=True)
class User:
    """A user record (the password hash stays in the store but for sign-in)."""

    id: str
    username: str
    role: str
    tenant: str | None
    disabled: bool
    failed_logins: int
    locked_until: float | None
    last_login_at: float | None
    created_at: float
    created_by: str
    tokens_after: float | None = None  # access tokens issued before this second are refused


def _user(row: Row[Any]) -> User:
    return User(
        row.id,
        row.username,
        row.role,
        row.tenant,
        bool(row.disabled),
        int(row.failed_logins),
        row.locked_until,
        row.last_login_at,
        row.created_at,
        row.created_by,
        row.tokens_after,
    )


def lock_seconds(failed: int, max_failed: int, longest_s: float) -> float:
    """How long an account stays locked after `failed` failures in a row: none below
    `max_failed`, then 30 s doubling with each further failure, at most `longest_s`."""
    if failed < max_failed:
        return 0.0
    return float(min(longest_s, 30.0 * 2 ** min(failed - max_failed, 20)))


class UserStore:
    """User records."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, username: str, password_hash: str, role: str, tenant: str | None, by: str, now: float
    ) -> User:
        """Create a user; raises Conflict when the username is taken."""
        user_id = "u_" + secrets.token_hex(6)
        values = {
            "id": user_id,
            "username": username,
            "password_hash": password_hash,
            "role": role,
            "tenant": tenant,
            "disabled": False,
            "failed_logins": 0,
            "created_at": now,
            "created_by": by,
        }
        try:
            async with self.db.write() as conn:
                await conn.execute(insert(users).values(**values))
        except StoreConflict as exc:
            raise Conflict(
                f"a user called {username!r} exists", fix="choose another username"
            ) from exc
        return User(user_id, username, role, tenant, False, 0, None, None, now, by)

    async def credentials(self, username: str) -> tuple[User, str] | None:
        """A user and its password hash, for sign-in."""
        async with self.db.read() as conn:
            row = (await conn.execute(select(users).where(users.c.username == username))).first()
        return None if row is None else (_user(row), row.password_hash)

    async def get(self, user_id: str) -> User | None:
        """One user by id."""
        async with self.db.read() as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return None if row is None else _user(row)

    async def find(self, ref: str) -> User:
        """A user by id or username; raises NotFound."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(users).where((users.c.id == ref) | (users.c.username == ref))
                )
            ).first()
        if row is None:
            raise NotFound(f"no user {ref[:100]!r}", fix="list users with `swarmstack users list`")
        return _user(row)

    async def list(self) -> list[User]:
        """Every user, by username."""
        async with self.db.read() as conn:
            rows = await conn.execute(select(users).order_by(users.c.username))
        return [_user(r) for r in rows]

    async def set_disabled(self, ref: str, disabled: bool) -> User:
        """Disable (or enable) a user by id or username; raises NotFound."""
        user = await self.find(ref)
        async with self.db.write() as conn:
            await conn.execute(update(users).where(users.c.id == user.id).values(disabled=disabled))
        return await self.find(user.id)

    async def set_password(self, ref: str, password_hash: str, now: float | None = None) -> User:
        """Replace a user's password hash and clear its lock; with `now`, access tokens issued
        before that second stop working. Raises NotFound."""
        user = await self.find(ref)
        values: dict[str, Any] = {
            "password_hash": password_hash, "failed_logins": 0, "locked_until": None,
        }  # fmt: skip
        if now is not None:
            values["tokens_after"] = round(now, 3)  # as precise as a token's `iat`
        async with self.db.write() as conn:
            await conn.execute(update(users).where(users.c.id == user.id).values(**values))
        return user

    async def failed(self, user_id: str, now: float, max_failed: int, longest_s: float) -> User:
        """Count a failed sign-in (atomically) and lock the account once there are too many."""
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    update(users)
                    .where(users.c.id == user_id)
                    .values(failed_logins=users.c.failed_logins + 1)
                    .returning(users.c.failed_logins)
                )
            ).first()
            failed = int(row.failed_logins) if row is not None else 0
            lock = lock_seconds(failed, max_failed, longest_s)
            if lock:
                await conn.execute(
                    update(users).where(users.c.id == user_id).values(locked_until=now + lock)
                )
        return await self.find(user_id)

    async def signed_in(self, user_id: str, now: float) -> None:
        """Record a successful sign-in: clear the failure count and lock."""
        async with self.db.write() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(failed_logins=0, locked_until=None, last_login_at=now)
            )
