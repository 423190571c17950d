"""Filtered, keyset-paginated task listing for the web console (and counts for bulk actions).

Order is newest first by (created_at, id); a cursor is the last row's `created_at:id`, so a
page costs one index range scan however deep it is (no OFFSET). Filters: status, swarm,
version, a created_at range, the submitting principal, and text in the input or the output.

Text search and encryption at rest: sealed columns cannot be searched by SQL. With encryption
off (the keyring has no key) the text filter is a SQL substring match on the stored JSON of
`input` and `result`. With a key, the other filters run in SQL and the rows are opened
server-side and matched in Python, at most `SCAN_LIMIT` rows per page request; the page then
says how many rows it looked at, and its cursor continues the scan where it stopped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_, select

from swarmstack.core.records import TaskRecord
from swarmstack.security.crypto import Sealer
from swarmstack.store.codec import dumps, task_from_row, unstorable_chars
from swarmstack.store.engine import Database
from swarmstack.store.tables import tasks

SCAN_LIMIT = 5000  # rows opened per page request when text is searched in sealed columns
_BATCH = 500


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """What to keep; None keeps everything. `owner` and `tenant` confine to a principal's
    tasks and a tenant's (the caller's object-level rules), `principal` is a user filter
    matching the submitter's id or label (`user:alice`, `key:ci (k_...)`)."""

    status: str | None = None
    swarm: str | None = None
    version: str | None = None
    since: float | None = None
    until: float | None = None
    principal: str | None = None
    text: str | None = None
    owner: str | None = None
    tenant: str | None = None
    statuses: tuple[str, ...] | None = None  # a set of statuses (bulk cancel: live ones)


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page; `scanned` is set when text was matched in Python (rows looked at)."""

    items: list[TaskRecord]
    next_cursor: str | None
    scanned: int | None = None


def encrypted(keys: Sealer) -> bool:
    """Whether task data may be sealed (a key is configured)."""
    return bool(keys.kids)


def make_cursor(task: TaskRecord) -> str:
    """The cursor after `task`."""
    return f"{task.created_at!r}:{task.id}"


def parse_cursor(cursor: str | None) -> tuple[float, str] | None:
    """(created_at, id) of a cursor, or None for a missing or malformed one."""
    if not cursor:
        return None
    at, _, task_id = cursor.partition(":")
    try:
        value = float(at)
    except ValueError:
        return None
    if not task_id or len(task_id) > 40 or unstorable_chars(task_id):
        return None
    return value, task_id


def _where(query: Select[Any], f: TaskFilter, after: tuple[float, str] | None) -> Select[Any]:
    c = tasks.c
    conditions: list[Any] = []
    for column, value in (
        (c.status, f.status),
        (c.swarm, f.swarm),
        (c.version, f.version),
        (c.owner, f.owner),
        (c.tenant, f.tenant),
    ):
        if value:
            conditions.append(column == value)
    if f.statuses is not None:
        conditions.append(c.status.in_(list(f.statuses)))
    if f.since is not None:
        conditions.append(c.created_at >= f.since)
    if f.until is not None:
        conditions.append(c.created_at < f.until)
    if f.principal:
        conditions.append(or_(c.owner == f.principal, c.submitted_by == f.principal))
    if after is not None:
        at, task_id = after
        conditions.append(or_(c.created_at < at, and_(c.created_at == at, c.id < task_id)))
    return query.where(*conditions) if conditions else query


def _sql_text(query: Select[Any], text: str) -> Select[Any]:
    """Substring match on the stored JSON (encryption off); the needle is JSON-escaped the
    way the column stores strings."""
    needle = dumps(text)[1:-1]
    return query.where(
        or_(
            tasks.c.input.icontains(needle, autoescape=True),
            tasks.c.result.icontains(needle, autoescape=True),
        )
    )


def _ordered(query: Select[Any]) -> Select[Any]:
    return query.order_by(tasks.c.created_at.desc(), tasks.c.id.desc())


def matches_text(task: TaskRecord, text: str) -> bool:
    """Whether `text` is in the task's input or output (as JSON text, case-insensitive)."""
    needle = text.casefold()
    return any(needle in dumps(v).casefold() for v in (task.input, task.result) if v is not None)


class TaskSearch:
    """Console queries over `tasks`, read through the same row codec as the task API."""

    def __init__(self, db: Database, keys: Sealer) -> None:
        self.db = db
        self.keys = keys

    async def page(self, f: TaskFilter, limit: int = 50, cursor: str | None = None) -> SearchPage:
        """Newest first, `limit` at most, after `cursor`."""
        after = parse_cursor(cursor)
        if f.text and encrypted(self.keys):
            return await self._scan_page(f, limit, after)
        query = _where(_ordered(select(tasks)), f, after).limit(limit + 1)
        if f.text:
            query = _sql_text(query, f.text)
        async with self.db.read() as conn:
            items = [task_from_row(r, self.keys) for r in await conn.execute(query)]
        more = len(items) > limit
        items = items[:limit]
        return SearchPage(items, make_cursor(items[-1]) if more and items else None)

    async def _scan_page(
        self, f: TaskFilter, limit: int, after: tuple[float, str] | None
    ) -> SearchPage:
        found: list[TaskRecord] = []
        scanned = 0
        last: TaskRecord | None = None
        async for task in self._rows(f, after, SCAN_LIMIT):
            scanned += 1
            if len(found) == limit:  # full, and rows remain: the next page starts here
                return SearchPage(found, make_cursor(last) if last else None, scanned)
            last = task
            if f.text and matches_text(task, f.text):
                found.append(task)
        ended = scanned < SCAN_LIMIT
        cursor = None if ended or last is None else make_cursor(last)
        return SearchPage(found, cursor, scanned)

    async def _rows(
        self, f: TaskFilter, after: tuple[float, str] | None, at_most: int
    ) -> AsyncIterator[TaskRecord]:
        """Rows matching the SQL filters, newest first, `at_most` of them, in batches."""
        seen = 0
        while seen < at_most:
            size = min(_BATCH, at_most - seen)
            query = _where(_ordered(select(tasks)), f, after).limit(size)
            async with self.db.read() as conn:
                rows = list(await conn.execute(query))
            for row in rows:
                yield task_from_row(row, self.keys)
            seen += len(rows)
            if len(rows) < size:
                return
            after = (float(rows[-1].created_at), str(rows[-1].id))

    async def matching(self, f: TaskFilter, at_most: int) -> list[TaskRecord]:
        """Up to `at_most` tasks matching `f` (bulk actions: count them, then act on them).
        With a text filter on sealed data, only the newest `SCAN_LIMIT` rows are looked at."""
        if f.text and encrypted(self.keys):
            out: list[TaskRecord] = []
            async for task in self._rows(f, None, SCAN_LIMIT):
                if matches_text(task, f.text):
                    out.append(task)
                    if len(out) >= at_most:
                        break
            return out
        query = _where(_ordered(select(tasks)), f, None).limit(at_most)
        if f.text:
            query = _sql_text(query, f.text)
        async with self.db.read() as conn:
            return [task_from_row(r, self.keys) for r in await conn.execute(query)]
