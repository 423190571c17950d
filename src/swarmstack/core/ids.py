"""Identifiers: time-ordered task ids and opaque API keys."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from typing import NewType

TaskId = NewType("TaskId", str)
WorkerId = NewType("WorkerId", str)

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # the 2 digits of each 10-bit value


_last = [0, 0]  # (milliseconds, random part) of the previous id: ids increase in a process
_prefix = [-1, ""]  # (milliseconds, their 10 digits) of the previous id
_lock = threading.Lock()


def new_task_id() -> TaskId:
    """A ULID-like id: 48 bits of milliseconds then 80 random bits, Crockford base32.

    Within one process ids strictly increase (the random part is incremented within a
    millisecond), so id order is submit order.
    """
    with _lock:
        millis = max(int(time.time() * 1000), _last[0])
        rand = _last[1] + 1 if millis == _last[0] else int.from_bytes(os.urandom(10), "big") >> 1
        _last[0], _last[1] = millis, rand
        if _prefix[0] != millis:
            _prefix[0], _prefix[1] = millis, _digits(millis, 10)
        prefix = _prefix[1]
    return TaskId(f"t_{prefix}{_random_digits(rand)}")


def encode_id(value: int) -> str:
    """The 26 Crockford base32 digits of a 128-bit `value`, most significant first (2 leading
    zero bits, then the 48 bits of milliseconds in 10 digits and the 80 random ones in 16)."""
    return _digits(value >> 80, 10) + _random_digits(value & ((1 << 80) - 1))


def _random_digits(value: int, pairs: list[str] = _PAIRS) -> str:
    """The 16 digits of an 80-bit `value` (`_digits(value, 16)`, unrolled: one per id)."""
    return (
        pairs[value >> 70]
        + pairs[(value >> 60) & 1023]
        + pairs[(value >> 50) & 1023]
        + pairs[(value >> 40) & 1023]
        + pairs[(value >> 30) & 1023]
        + pairs[(value >> 20) & 1023]
        + pairs[(value >> 10) & 1023]
        + pairs[value & 1023]
    )


def _digits(value: int, count: int) -> str:
    """The last `count` (even) base32 digits of `value`, two digits per table lookup."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in range(5 * count - 10, -1, -10)])


MAX_NODE_ID = 80  # length of the store's worker and manager id columns


def node_id(host: str, pid: int, suffix: str = "") -> str:
    """`host-pid[-suffix]`, the host cut so that the id fits MAX_NODE_ID characters (a fully
    qualified host name may have 253)."""
    tail = f"-{pid}" + (f"-{suffix}" if suffix else "")
    return host[: MAX_NODE_ID - len(tail)] + tail


def new_worker_id(host: str, pid: int) -> WorkerId:
    """A worker id that says where the worker runs (at most MAX_NODE_ID characters)."""
    return WorkerId(node_id(host, pid, secrets.token_hex(3)))


def new_api_key() -> str:
    """A fresh API key; only its hash is ever stored."""
    return "ssk_" + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """SHA-256 of an API key (keys are random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def request_hash(*parts: str) -> str:
    """Fingerprint of a submitted request, for Idempotency-Key comparisons."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def session_scope(owner: str | None, tenant: str | None) -> str | None:
    """Whose sessions a task's session belongs to: its tenant, else its submitting principal.
    Two principals naming the same session share nothing (docs/security.md)."""
    return tenant or owner


def scoped_session(session: str | None, scope: str | None) -> str | None:
    """The stored form of a client's session name: `<scope>:<session>`."""
    return f"{scope}:{session}" if session is not None and scope else session


def client_session(stored: str | None, scope: str | None) -> str | None:
    """The client's session name from its stored form (rows stored unscoped stay as they are)."""
    if stored is None or not scope:
        return stored
    return stored.removeprefix(f"{scope}:")
