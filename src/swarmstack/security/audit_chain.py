"""The audit log's hash chain: each entry holds the SHA-256 of the entry before and its own.

entry hash = SHA-256(prev_hash || "\\n" || canonical JSON of the entry's fields), where the
canonical JSON has sorted keys, no spaces and `ensure_ascii` (RFC 8785-like for the values we
store: strings, integers and floats). Editing any field of an entry changes its hash; deleting
or reordering entries breaks the next entry's `prev_hash`. Deleting the newest entries is found
by comparing the head hash with one recorded earlier (`swarmstack audit verify --expect-head`).
Pure functions; the store appends and reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
FIELDS = ("id", "at", "principal", "action", "target", "source", "result", "detail")


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The hash of one entry given the hash before it (`GENESIS` for the first)."""
    body = json.dumps({k: fields[k] for k in FIELDS}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    """Where the chain breaks: the entry id and why."""

    entry_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class ChainState:
    """What a walk has seen so far: the last hash, how many entries, the first break."""

    head: str = GENESIS
    count: int = 0
    broken: Break | None = None


def walk(state: ChainState, entries: Iterable[Mapping[str, Any]]) -> ChainState:
    """Continue a verification walk over entries in id order (call again for the next page)."""
    head, count, broken = state.head, state.count, state.broken
    for entry in entries:
        count += 1
        if broken is not None:
            continue
        if entry["prev_hash"] != head:
            broken = Break(
                int(entry["id"]),
                "its prev_hash does not match the entry before it "
                "(an entry before it was deleted, inserted or edited)",
            )
        elif entry_hash(head, entry) != entry["hash"]:
            broken = Break(int(entry["id"]), "its contents do not match its hash (it was edited)")
        head = str(entry["hash"])
    return ChainState(head, count, broken)
