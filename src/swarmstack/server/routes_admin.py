"""The admin API: users, API keys and the audit log (the `admin` role only).

Changes are audited; revoking a key or disabling a user takes effect at once on this manager
and within `server.auth.CACHE_S` seconds on the others.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from swarmstack.errors import Conflict, InvalidInput
from swarmstack.security.passwords import hash_password
from swarmstack.server.audit import audited
from swarmstack.server.auth import PrincipalCache, Who
from swarmstack.server.problems import problem_responses
from swarmstack.server.schemas import StorableName
from swarmstack.server.state import Manager
from swarmstack.spec.durations import Duration
from swarmstack.store import KeyInfo, NewKey, User

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    responses=problem_responses(401, 403, 404, 409, 422, 429, 503),
)
RoleName = Literal["admin", "operator", "submitter", "viewer"]
Ref = Annotated[StorableName, Path(max_length=100, description="A user's id or username.")]
KeyId = Annotated[StorableName, Path(max_length=40, description="A key's id (k_...).")]
RESERVED_KEY_NAME = "admin"  # the key installed from security.admin_key
MAX_KEY_LIFETIME_S = 10 * 365 * 86_400.0


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    username: StorableName = Field(min_length=1, max_length=100, pattern=r"^[^\s:]+$")
    password: str = Field(min_length=8, max_length=1024)
    role: RoleName
    tenant: StorableName | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _no_tenant_admin(self) -> UserIn:
        _check_tenant(self.role, self.tenant)
        return self


class PasswordIn(BaseModel):
    """A new password."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=8, max_length=1024)


class UserOut(BaseModel):
    """A user (never the password hash)."""

    id: str
    username: str
    role: str
    tenant: str | None
    disabled: bool
    locked_until: float | None
    last_login_at: float | None
    created_at: float
    created_by: str

    @classmethod
    def of(cls, u: User) -> UserOut:
        """The API view of a user."""
        return cls(
            id=u.id,
            username=u.username,
            role=u.role,
            tenant=u.tenant,
            disabled=u.disabled,
            locked_until=u.locked_until,
            last_login_at=u.last_login_at,
            created_at=u.created_at,
            created_by=u.created_by,
        )


class KeyIn(BaseModel):
    """A new API key."""

    model_config = ConfigDict(extra="forbid")

    name: StorableName = Field(min_length=1, max_length=100)
    role: RoleName
    description: str | None = Field(None, max_length=500)
    expires_in: Annotated[Duration, Field(gt=0, le=MAX_KEY_LIFETIME_S)] | None = Field(
        None, description="Lifetime (`30d`, `12h`, or seconds), at most 10 years."
    )
    tenant: StorableName | None = Field(None, min_length=1, max_length=64)
    rate_limit: float | None = Field(
        None, ge=0, le=1_000_000, description="Requests per second (0: no limit)."
    )
    max_queued: int | None = Field(
        None, ge=0, le=1_000_000_000, description="Queued tasks at once (0: no cap)."
    )

    @model_validator(mode="after")
    def _no_tenant_admin(self) -> KeyIn:
        _check_tenant(self.role, self.tenant)
        return self


def _check_tenant(role: str, tenant: str | None) -> None:
    """An admin manages every tenant, so it cannot be confined to one."""
    if role == "admin" and tenant is not None:
        raise ValueError(
            "an admin cannot have a tenant (it manages every tenant); give a tenant's "
            "principals the operator, submitter or viewer role"
        )


class KeyOut(BaseModel):
    """An API key's record (never the key, only its first characters)."""

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

    @classmethod
    def of(cls, k: KeyInfo) -> KeyOut:
        """The API view of a key record."""
        return cls(**{f: getattr(k, f) for f in cls.model_fields})


class NewKeyOut(BaseModel):
    """A key just created: `key` is shown this once and never again."""

    key: str
    info: KeyOut


class AuditOut(BaseModel):
    """One audit entry."""

    id: int
    at: float
    principal: str
    action: str
    target: str
    source: str
    result: str
    detail: dict[str, object]
    hash: str


class AuditPage(BaseModel):
    """Audit entries newest first."""

    items: list[AuditOut]
    next_before: int | None = Field(description="Pass as `before` for the next page.")


class AuditVerdict(BaseModel):
    """The result of walking the whole chain."""

    ok: bool
    entries: int
    head: str = Field(description="The newest entry's hash: keep it to detect later deletions.")
    broken_at: int | None
    reason: str | None


class AdminIndex(BaseModel):
    """The admin resources."""

    resources: dict[str, str]


def _manager(request: Request) -> Manager:
    manager: Manager = request.app.state.manager
    return manager


def _forget(request: Request) -> None:
    cache: PrincipalCache = request.app.state.principals
    cache.clear()


@router.get("", response_model=AdminIndex)
async def index(who: Who) -> AdminIndex:
    """Where the admin resources are."""
    base = "/api/v1/admin"
    return AdminIndex(
        resources={"users": f"{base}/users", "keys": f"{base}/keys", "audit": f"{base}/audit"}
    )


@router.get("/users", response_model=list[UserOut])
async def list_users(request: Request, who: Who) -> list[UserOut]:
    """Every user, by username."""
    return [UserOut.of(u) for u in await _manager(request).store.users.list()]


@router.post("/users", status_code=201, response_model=UserOut)
async def add_user(body: UserIn, request: Request, response: Response, who: Who) -> UserOut:
    """Create a user who signs in with a password (409 when the username is taken)."""
    manager = _manager(request)
    async with audited(request, who, "user.add", body.username, role=body.role):
        digest = hash_password(body.password)
        user = await manager.store.users.add(
            body.username, digest, body.role, body.tenant, who.label, time.time()
        )
    response.headers["Location"] = f"/api/v1/admin/users/{user.id}"
    return UserOut.of(user)


@router.post("/users/{ref}/disable", response_model=UserOut)
async def disable_user(ref: Ref, request: Request, who: Who) -> UserOut:
    """Disable a user: its tokens stop working and it cannot sign in."""
    return await _set_disabled(request, who, ref, True)


@router.post("/users/{ref}/enable", response_model=UserOut)
async def enable_user(ref: Ref, request: Request, who: Who) -> UserOut:
    """Enable a disabled user again."""
    return await _set_disabled(request, who, ref, False)


async def _set_disabled(request: Request, who: Who, ref: str, disabled: bool) -> UserOut:
    manager = _manager(request)
    action = "user.disable" if disabled else "user.enable"
    async with audited(request, who, action, ref):
        user = await manager.store.users.set_disabled(ref, disabled)
        if disabled:
            await manager.store.refresh_tokens.revoke_user(user.id)
    _forget(request)
    return UserOut.of(user)


@router.post("/users/{ref}/password", response_model=UserOut)
async def set_password(ref: Ref, body: PasswordIn, request: Request, who: Who) -> UserOut:
    """Set a user's password; its refresh tokens are revoked and its lock cleared."""
    manager = _manager(request)
    async with audited(request, who, "user.password", ref):
        digest = hash_password(body.password)
        user = await manager.store.users.set_password(ref, digest, time.time())
        await manager.store.refresh_tokens.revoke_user(user.id)
    _forget(request)
    return UserOut.of(await manager.store.users.find(user.id))


@router.get("/keys", response_model=list[KeyOut])
async def list_keys(
    request: Request, who: Who, include_revoked: Annotated[bool, Query()] = False
) -> list[KeyOut]:
    """API keys, oldest first, with their prefix and last use (never the key)."""
    found = await _manager(request).store.keys.list(include_revoked=include_revoked)
    return [KeyOut.of(k) for k in found]


@router.post("/keys", status_code=201, response_model=NewKeyOut)
async def create_key(body: KeyIn, request: Request, response: Response, who: Who) -> NewKeyOut:
    """Create an API key; the answer holds the key, which is never shown again."""
    manager = _manager(request)
    async with audited(request, who, "key.create", body.name, role=body.role) as detail:
        if body.name == RESERVED_KEY_NAME:
            raise InvalidInput(
                f"the key name {RESERVED_KEY_NAME!r} is reserved for security.admin_key",
                where="body.name",
                fix="choose another name",
            )
        now = time.time()
        expires_at = now + body.expires_in if body.expires_in else None
        new = NewKey(
            body.name, body.role, body.description, expires_at, body.tenant, who.label,
            body.rate_limit, body.max_queued,
        )  # fmt: skip
        key, info = await manager.store.keys.create(new, now)
        detail["key_id"] = info.id
    response.headers["Location"] = f"/api/v1/admin/keys/{info.id}"
    return NewKeyOut(key=key, info=KeyOut.of(info))


@router.post("/keys/{key_id}/revoke", response_model=KeyOut)
async def revoke_key(key_id: KeyId, request: Request, who: Who) -> KeyOut:
    """Revoke a key (idempotent): requests with it are refused from now on. The admin key from
    security.admin_key is replaced, not revoked (409): it is installed again at each start."""
    store = _manager(request).store
    async with audited(request, who, "key.revoke", key_id):
        if (await store.keys.get(key_id)).name == RESERVED_KEY_NAME:
            raise Conflict(
                "the admin key is installed from security.admin_key at each start, so "
                "revoking it would not last",
                fix="replace it: set a new SWARMSTACK_SECURITY__ADMIN_KEY and reload, or run "
                "`swarmstack rotate-admin-key`",
            )
        info = await store.keys.revoke(key_id)
    _forget(request)
    return KeyOut.of(info)


@router.get("/audit", response_model=AuditPage)
async def audit_log(
    request: Request,
    who: Who,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    action: Annotated[StorableName | None, Query(max_length=60)] = None,
    principal: Annotated[StorableName | None, Query(max_length=120)] = None,
) -> AuditPage:
    """Audit entries newest first, filtered by action and principal, paginated by `before`."""
    found = await _manager(request).store.audit.page(
        limit=limit, before=before, action=action, principal=principal
    )
    items = [AuditOut(**{f: getattr(e, f) for f in AuditOut.model_fields}) for e in found]
    return AuditPage(items=items, next_before=items[-1].id if len(items) == limit else None)


@router.get("/audit/verify", response_model=AuditVerdict)
async def verify_audit(request: Request, who: Who) -> AuditVerdict:
    """Walk the hash chain: where an entry was edited, deleted or inserted, if anywhere."""
    state = await _manager(request).store.audit.verify()
    broken = state.broken
    return AuditVerdict(
        ok=broken is None,
        entries=state.count,
        head=state.head,
        broken_at=broken.entry_id if broken else None,
        reason=broken.reason if broken else None,
    )
