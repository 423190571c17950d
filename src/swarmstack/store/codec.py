"""Rows to records and back: JSON columns, statuses, optional fields and sealed task data.

The columns that hold task data (`store.sealed.SEALED_COLUMNS`) are sealed on every write and
opened on every read with the store's keyring (`security.crypto`), the column's name as the
associated data: the row functions here take the keyring, so no path writes them in plain.

What the store writes is always storable on both backends. PostgreSQL refuses U+0000 (NUL) in
text, and neither backend can encode a lone UTF-16 surrogate (U+D800..U+DFFF) as UTF-8. So:
- JSON columns hold strict JSON (RFC 8259): NUL is written as the escape `\u0000` (json does
  that for every control character) and reads back as NUL; a lone surrogate is replaced by
  U+FFFD; NaN and Infinity are refused (`ValueError`), since no JSON reader accepts them.
- plain text columns (errors, session messages) get NUL and lone surrogates replaced by U+FFFD.
Client input never gets here with such characters: the API refuses it with 422 first.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import Row

from swarmstack.core.ids import TaskId, WorkerId
from swarmstack.core.records import NewTask, TaskEvent, TaskRecord
from swarmstack.core.states import TaskStatus
from swarmstack.errors import StoreRejected
from swarmstack.security.crypto import Sealer
from swarmstack.store.tables import tasks

# The associated data of each sealed column (its `table.column` name).
INPUT = "tasks.input"
RESULT = "tasks.result"
ERROR = "tasks.error"
TRACE = "tasks.trace"
ATTEMPT_ERROR = "task_attempts.error"
EVENT_DATA = "task_events.data"
MESSAGE = "session_messages.content"

_UNSTORABLE_JSON = re.compile("[\ud800-\udfff]")
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def dumps(value: Any) -> str:
    """Compact strict JSON that both backends store; see the module docstring.

    Raises StoreRejected for a value JSON cannot hold (an object, a set, NaN or Infinity).
    """
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise StoreRejected(f"not a JSON value: {exc}") from exc
    return _UNSTORABLE_JSON.sub(REPLACEMENT, text) if _UNSTORABLE_JSON.search(text) else text


def storable_text(text: str | None) -> str | None:
    """`text` with NUL and lone surrogates replaced by U+FFFD (for plain text columns)."""
    if text is None or not _UNSTORABLE_TEXT.search(text):
        return text
    return _UNSTORABLE_TEXT.sub(REPLACEMENT, text)


def unstorable_chars(text: str) -> str | None:
    """A description of the first character no backend stores (for 422 answers), or None."""
    found = _UNSTORABLE_TEXT.search(text)
    if found is None:
        return None
    char = found.group()
    kind = "NUL (U+0000)" if char == "\x00" else f"a lone surrogate (U+{ord(char):04X})"
    return f"{kind} at character {found.start()}"


def loads(text: str | None) -> Any:
    """JSON or None."""
    return None if text is None else json.loads(text)


def seal_json(keys: Sealer, value: Any, column: str) -> str:
    """`value` as strict JSON, sealed for `column` (StoreRejected if JSON cannot hold it)."""
    return keys.seal(dumps(value), column)


def seal_json_opt(keys: Sealer, value: Any, column: str) -> str | None:
    """`seal_json`, or None for None."""
    return None if value is None else keys.seal(dumps(value), column)


def seal_text(keys: Sealer, text: str | None, column: str) -> str | None:
    """Storable text (see `storable_text`) sealed for `column`, or None."""
    text = storable_text(text)
    return None if text is None else keys.seal(text, column)


def open_text(keys: Sealer, value: str | None, column: str) -> str | None:
    """The text of a stored value, or None."""
    return None if value is None else keys.open(value, column)


def open_json(keys: Sealer, value: str | None, column: str) -> Any:
    """The JSON value of a stored value, or None."""
    return None if value is None else json.loads(keys.open(value, column))


_LENGTHS = {
    name: int(getattr(tasks.c[name].type, "length", 0) or 0)
    for name in ("swarm", "session", "idempotency_key", "submitted_by", "version")
}


def refused_names(task: NewTask) -> StoreRejected | None:
    """Why a task's names or keys cannot be stored as text (a character no backend stores), or
    None. The API refuses those with 422 before they get here; this keeps both backends alike."""
    for field, value in (
        ("swarm", task.swarm),
        ("session", task.session),
        ("idempotency_key", task.idempotency_key),
        ("submitted_by", task.submitted_by),
        ("version", task.version),
    ):
        if value is None:
            continue
        if problem := unstorable_chars(value):
            return StoreRejected(f"{field} holds {problem}", fix="send printable text")
        if len(value) > (limit := _LENGTHS[field]):
            # PostgreSQL enforces VARCHAR(n); SQLite does not: refuse on both alike.
            return StoreRejected(f"{field} is {len(value)} characters long; at most {limit}")
    return None


def task_from_row(
    row: Row[Any], keys: Sealer, attempt_errors: list[dict[str, Any]] | None = None
) -> TaskRecord:
    """A TaskRecord from a full `tasks` row (and its attempts, whose errors are opened here)."""
    m = row._mapping
    return TaskRecord(
        id=TaskId(m["id"]),
        swarm=m["swarm"],
        status=TaskStatus(m["status"]),
        priority=m["priority"],
        input=open_json(keys, m["input"], INPUT),
        attempts=m["attempts"],
        max_attempts=m["max_attempts"],
        timeout_s=m["timeout_s"],
        created_at=m["created_at"],
        submitted_by=m["submitted_by"],
        result=open_json(keys, m["result"], RESULT),
        error=open_text(keys, m["error"], ERROR),
        trace=open_json(keys, m["trace"], TRACE),
        usage=loads(m["usage"]),
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        lease_owner=WorkerId(m["lease_owner"]) if m["lease_owner"] else None,
        lease_expires_at=m["lease_expires_at"],
        run_at=m["run_at"],
        version=m["version"],
        session=m["session"],
        idempotency_key=m["idempotency_key"],
        request_hash=m["request_hash"],
        attempt_errors=[
            {**a, "error": open_text(keys, a["error"], ATTEMPT_ERROR)} for a in attempt_errors or []
        ],
        owner=m["owner"],
        tenant=m["tenant"],
        traceparent=m.get("traceparent"),
    )


def event_from_row(row: Row[Any], keys: Sealer) -> TaskEvent:
    """A TaskEvent from a `task_events` row."""
    m = row._mapping
    return TaskEvent(
        id=m["id"],
        task_id=TaskId(m["task_id"]),
        type=m["type"],
        data=open_json(keys, m["data"], EVENT_DATA),
        created_at=m["created_at"],
    )
