"""Which version a new task runs on: pinned, or by weight, deterministically by a routing key.

Pure. The routing key is the task's session when it has one (so a conversation stays on one
version for its life), else the task id. A key falls in bucket `hash(key) mod 10,000`; the
candidate takes the buckets below `weight * 100`. Raising the weight only adds buckets, so a
key sent to the candidate at 10 % stays there at 50 % (the same property Flagger's and Argo's
header/cookie routing give a user, here per session).
"""

from __future__ import annotations

import hashlib

BUCKETS = 10_000


def bucket(key: str) -> int:
    """The key's bucket in 0..BUCKETS-1 (BLAKE2b, stable across processes and hosts)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def choose(key: str, stable: str, candidate: str | None, weight: int) -> str:
    """The version for a task with routing key `key`: `candidate` for `weight` percent of keys
    (0..100), else `stable`."""
    if candidate is None or weight <= 0:
        return stable
    if weight >= 100:
        return candidate
    return candidate if bucket(key) < weight * (BUCKETS // 100) else stable
