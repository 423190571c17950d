"""Refresh tokens: one row per issued token, rotated on each use.

A refresh token can be used once; using it again (a replay, e.g. a stolen token) revokes its
whole family, that is every token descended from the same sign-in (the OAuth 2.0 Security Best
Current Practice, RFC 9700 section 4.14.2, "refresh token rotation").
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import insert, update

from swarmstack.store.engine import Database
from swarmstack.store.tables import refresh_tokens


class Redeemed(StrEnum):
    """What using a refresh token did."""

    OK = "ok"
    REPLAYED = "replayed"  # used before: the family is now revoked
    INVALID = "invalid"  # unknown, expired or revoked


class RefreshTokenStore:
    """Refresh token records."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def issued(
        self, token_id: str, user_id: str, family: str, expires_at: float, now: float
    ) -> None:
        """Record a token just issued."""
        async with self.db.write() as conn:
            await conn.execute(
                insert(refresh_tokens).values(
                    id=token_id,
                    user_id=user_id,
                    family=family,
                    expires_at=expires_at,
                    used=False,
                    revoked=False,
                    created_at=now,
                )
            )

    async def redeem(self, token_id: str, user_id: str, now: float) -> Redeemed:
        """Mark a token used, once; a second use revokes its family."""
        t = refresh_tokens
        async with self.db.write() as conn:
            won = (
                await conn.execute(
                    update(t)
                    .where(t.c.id == token_id, t.c.user_id == user_id, t.c.used.is_(False))
                    .where(t.c.revoked.is_(False), t.c.expires_at > now)
                    .values(used=True)
                    .returning(t.c.id)
                )
            ).first()
            if won is not None:
                return Redeemed.OK
            replay = (
                await conn.execute(
                    update(t)
                    .where(t.c.id == token_id, t.c.user_id == user_id, t.c.used.is_(True))
                    .values(revoked=True)
                    .returning(t.c.family)
                )
            ).first()
            if replay is None:
                return Redeemed.INVALID
            await conn.execute(update(t).where(t.c.family == replay.family).values(revoked=True))
        return Redeemed.REPLAYED

    async def revoke_family(self, family: str) -> int:
        """Revoke every token of one sign-in (sign-out); how many were live."""
        t = refresh_tokens
        async with self.db.write() as conn:
            done = await conn.execute(
                update(t).where(t.c.family == family, t.c.revoked.is_(False)).values(revoked=True)
            )
        return int(done.rowcount or 0)

    async def revoke_user(self, user_id: str) -> int:
        """Revoke every refresh token of a user (disabled, or password changed)."""
        t = refresh_tokens
        async with self.db.write() as conn:
            done = await conn.execute(
                update(t).where(t.c.user_id == user_id, t.c.revoked.is_(False)).values(revoked=True)
            )
        return int(done.rowcount or 0)
