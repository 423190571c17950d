"""The console's admin view: the audit log, users and API keys; disable or enable a user and
revoke a key. Data and actions are the admin API's own handlers (server/routes_admin.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from swarmstack.security.roles import Permission, permits
from swarmstack.server import routes_admin as api
from swarmstack.server.console.pages import ConsoleRoute, render
from swarmstack.server.console.session import Console

router = APIRouter(prefix="/console/admin", route_class=ConsoleRoute, include_in_schema=False)


@router.get("")
async def admin(
    request: Request,
    who: Console,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    action: str | None = None,
    principal: str | None = None,
) -> Response:
    """The audit log (newest first, filtered), and users and keys for those who manage them."""
    audit = await api.audit_log(
        request, who, 50, before, action or None,
        principal or None,
    )  # fmt: skip
    users = await api.list_users(request, who) if permits(who, Permission.ADMIN_USERS) else None
    keys = await api.list_keys(request, who) if permits(who, Permission.ADMIN_KEYS) else None
    return render(
        request,
        "admin.html",
        who,
        audit=audit,
        users=users,
        keys=keys,
        action=action or "",
        principal=principal or "",
    )


@router.post("/users/{ref}/disable")
async def disable_user(ref: str, request: Request, who: Console) -> Response:
    """Disable a user: sign-in and its tokens stop working."""
    await api.disable_user(ref, request, who)
    return RedirectResponse("/console/admin#users", status_code=303)


@router.post("/users/{ref}/enable")
async def enable_user(ref: str, request: Request, who: Console) -> Response:
    """Enable a disabled user again."""
    await api.enable_user(ref, request, who)
    return RedirectResponse("/console/admin#users", status_code=303)


@router.post("/keys/{key_id}/revoke")
async def revoke_key(key_id: str, request: Request, who: Console) -> Response:
    """Revoke an API key."""
    await api.revoke_key(key_id, request, who)
    return RedirectResponse("/console/admin#keys", status_code=303)
