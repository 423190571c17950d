"""Sign-in with a password, token refresh and sign-out: the decisions behind /api/v1/auth.

Every refusal raises Unauthorized("invalid credentials") whatever the reason (unknown user,
wrong password, disabled, locked, bad or replayed token); the reason goes to the audit log
and the `swarmstack_sign_ins_total{result}` counter. Password checks run in a thread (argon2
costs tens of milliseconds of CPU) and run for unknown users too, so timing reveals nothing.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

from fastapi import Request

from swarmstack.errors import SignInOff, Unauthorized
from swarmstack.security.passwords import hash_password, needs_rehash, verify_password
from swarmstack.security.tokens import InvalidToken, decode, issue
from swarmstack.server.audit import record
from swarmstack.server.state import Manager
from swarmstack.store import Redeemed, User

INVALID = "invalid credentials"
HOW = "check the username and password (or sign in again for a new refresh token)"


@dataclass(frozen=True, slots=True)
class Tokens:
    """An OAuth 2.0-style token answer (RFC 6749 section 5.1); lifetimes in seconds."""

    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    token_type: str = "bearer"


def _manager(request: Request) -> Manager:
    manager: Manager = request.app.state.manager
    return manager


def _refuse() -> Unauthorized:
    return Unauthorized(INVALID, fix=HOW)


async def sign_in(request: Request, username: str, password: str) -> Tokens:
    """Tokens for a valid username and password; raises Unauthorized or SignInOff."""
    manager = _manager(request)
    if manager.token_keys.signing is None:
        raise SignInOff(fix="set security.jwt_secret (or SWARM_JWT_SECRET) on every manager")
    found = await manager.store.users.credentials(username)
    user, stored = found if found is not None else (None, None)
    matches = await asyncio.to_thread(verify_password, stored, password)
    now = time.time()
    refusal = _refusal(user, matches, now)
    if refusal is not None:
        await _failed(request, username, user, refusal, now)
        raise _refuse()
    assert user is not None and stored is not None  # a refusal covers both
    await manager.store.users.signed_in(user.id, now)
    if needs_rehash(stored):
        await manager.store.users.set_password(user.id, hash_password(password))
    manager.metrics.sign_ins.labels("ok").inc()
    await record(request, f"user:{username}", "auth.sign-in", username)
    return await _tokens(manager, user, secrets.token_hex(8), now)


def _refusal(user: User | None, matches: bool, now: float) -> str | None:
    """Why a sign-in is refused (for the audit log), or None."""
    if user is None:
        return "unknown-user"
    if user.disabled:
        return "disabled"
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    return None if matches else "wrong-password"


async def _failed(
    request: Request, username: str, user: User | None, reason: str, now: float
) -> None:
    manager = _manager(request)
    security = manager.settings.security
    if user is not None and reason == "wrong-password":
        user = await manager.store.users.failed(
            user.id, now, security.max_failed_logins, security.lockout
        )
        if user.locked_until is not None and user.locked_until > now:
            reason = "wrong-password, now locked"
    manager.metrics.sign_ins.labels("locked" if "locked" in reason else "invalid").inc()
    await record(request, f"user:{username[:100]}", "auth.sign-in", username[:100], "refused",
                 reason=reason)  # fmt: skip


async def _tokens(manager: Manager, user: User, family: str, now: float) -> Tokens:
    security = manager.settings.security
    access, _ = issue(
        manager.token_keys,
        subject=user.id,
        name=user.username,
        role=user.role,
        tenant=user.tenant,
        kind="access",
        now=now,
        ttl_s=security.access_token_ttl,
    )
    refresh, claims = issue(
        manager.token_keys,
        subject=user.id,
        name=user.username,
        role=user.role,
        tenant=user.tenant,
        kind="refresh",
        now=now,
        ttl_s=security.refresh_token_ttl,
        family=family,
    )
    await manager.store.refresh_tokens.issued(
        claims.token_id, user.id, family, claims.expires_at, now
    )
    return Tokens(access, int(security.access_token_ttl), refresh, int(security.refresh_token_ttl))


async def refresh(request: Request, token: str) -> Tokens:
    """New tokens for a refresh token, which is used up (a second use revokes every token of
    that sign-in); raises Unauthorized."""
    manager = _manager(request)
    try:
        claims = decode(manager.token_keys, token, kind="refresh")
    except InvalidToken as exc:
        await record(request, "-", "auth.refresh", "-", "refused", reason=str(exc)[:200])
        raise _refuse() from None
    now = time.time()
    redeemed = await manager.store.refresh_tokens.redeem(claims.token_id, claims.subject, now)
    user = await manager.store.users.get(claims.subject)
    if redeemed is not Redeemed.OK or user is None or user.disabled or claims.family is None:
        reason = redeemed.value if redeemed is not Redeemed.OK else "user disabled or deleted"
        await record(request, f"user:{claims.name}", "auth.refresh", claims.name, "refused",
                     reason=reason)  # fmt: skip
        raise _refuse()
    return await _tokens(manager, user, claims.family, now)


async def sign_out(request: Request, token: str, who_id: str) -> int:
    """Revoke every refresh token of the caller's (`who_id`) sign-in that `token` belongs to;
    how many were live. Raises Unauthorized for a token that does not verify or is another
    principal's."""
    manager = _manager(request)
    try:
        claims = decode(manager.token_keys, token, kind="refresh")
    except InvalidToken:
        raise _refuse() from None
    if claims.family is None or claims.subject != who_id:
        raise _refuse()
    revoked = await manager.store.refresh_tokens.revoke_family(claims.family)
    await record(request, f"user:{claims.name}", "auth.sign-out", claims.name, revoked=revoked)
    return revoked
