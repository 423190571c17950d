"""Recording changes in the audit log from the HTTP layer.

`audited(request, who, action, target)` wraps a change: it appends one entry after the change,
with result `ok` or the error's code (`forbidden`, `conflict`, ...), so refused attempts are on
record too. A failure to append is logged and counted, never turned into a failed change: the
change has already happened by then (docs/security.md, "Audit log").
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Request

from swarmstack.errors import SwarmstackError
from swarmstack.security.roles import Principal
from swarmstack.server.state import Manager
from swarmstack.store import AuditEntry

log = logging.getLogger(__name__)


def source_of(request: Request) -> str:
    """The client address the request came from (as the server saw it)."""
    found = getattr(request.state, "source", None)
    if isinstance(found, str):
        return found
    return request.client.host if request.client else "-"


async def record(
    request: Request,
    who: Principal | str,
    action: str,
    target: str,
    result: str = "ok",
    **detail: Any,
) -> None:
    """Append one entry; log (never raise) when the store refuses it."""
    manager: Manager = request.app.state.manager
    principal = who if isinstance(who, str) else who.label
    entry = AuditEntry(principal, action, target, source_of(request), result, detail)
    try:
        await manager.store.audit.append(entry, time.time())
    except SwarmstackError as exc:
        manager.metrics.audit_failures.inc()
        log.error("could not record %s of %s by %s in the audit log: %s", action, target,
                  principal, exc)  # fmt: skip


@asynccontextmanager
async def audited(
    request: Request, who: Principal, action: str, target: str, **detail: Any
) -> AsyncIterator[dict[str, Any]]:
    """Record `action` on `target` once the block ends: `ok`, or the error's code. The block
    may add to the yielded dict to put more in the entry's detail."""
    extra: dict[str, Any] = dict(detail)
    try:
        yield extra
    except SwarmstackError as exc:
        await record(request, who, action, target, exc.code, **extra, error=exc.message[:300])
        raise
    await record(request, who, action, target, "ok", **extra)
