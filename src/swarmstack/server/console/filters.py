"""The task filter of the console's query string and forms, confined to what the caller may
see (a submitter its own tasks, a principal with a tenant its tenant's)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode

from swarmstack.core.states import TaskStatus
from swarmstack.errors import InvalidInput
from swarmstack.security.roles import Permission, Principal, allows
from swarmstack.store.task_search import TaskFilter

FIELDS = ("status", "swarm", "version", "since", "until", "principal", "q")
STATUSES = tuple(s.value for s in TaskStatus)
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z
LIVE = (TaskStatus.QUEUED.value, TaskStatus.RUNNING.value)


def parse_time(value: str | None) -> float | None:
    """`YYYY-MM-DDTHH:MM[:SS]` (a datetime-local field, read as UTC) or epoch seconds."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(number) or abs(number) > MAX_EPOCH:
            raise InvalidInput(f"not a time: {value[:40]!r} (use YYYY-MM-DDTHH:MM, UTC)")
        return number
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"not a time: {value[:40]!r} (use YYYY-MM-DDTHH:MM, UTC)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def chosen(values: Mapping[str, str]) -> dict[str, str]:
    """The filter fields that are set, trimmed and bounded in length."""
    out = {}
    for name in FIELDS:
        value = (values.get(name) or "").strip()[:200]
        if any(c < " " or c == "\x7f" or "\ud800" <= c <= "\udfff" for c in value):
            raise InvalidInput(f"{name}: contains a control character; use printable text")
        if value:
            out[name] = value
    if out.get("status") and out["status"] not in STATUSES:
        raise InvalidInput(f"no status {out['status'][:40]!r}")
    return out


def task_filter(who: Principal, values: Mapping[str, str]) -> TaskFilter:
    """The filter `values` describe, within what `who` may read."""
    fields = chosen(values)
    return TaskFilter(
        status=fields.get("status"),
        swarm=fields.get("swarm"),
        version=fields.get("version"),
        since=parse_time(fields.get("since")),
        until=parse_time(fields.get("until")),
        principal=fields.get("principal"),
        text=fields.get("q"),
        owner=None if allows(who.role, Permission.TASKS_READ_ANY) else who.id,
        tenant=who.tenant,
    )


def cancellable(who: Principal, f: TaskFilter) -> TaskFilter:
    """`f` narrowed to the live tasks `who` may cancel (its own unless it may cancel any)."""
    owner = f.owner if allows(who.role, Permission.TASKS_CANCEL_ANY) else who.id
    statuses = LIVE if f.status is None else tuple(s for s in LIVE if s == f.status)
    return TaskFilter(
        status=None,
        swarm=f.swarm,
        version=f.version,
        since=f.since,
        until=f.until,
        principal=f.principal,
        text=f.text,
        owner=owner,
        tenant=f.tenant,
        statuses=statuses,
    )


def query_string(fields: Mapping[str, str], **extra: str) -> str:
    """The URL query of `fields` plus `extra` (a cursor), empty values left out."""
    merged = {**fields, **extra}
    return urlencode({k: v for k, v in merged.items() if v})
