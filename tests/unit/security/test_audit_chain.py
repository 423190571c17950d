"""The audit hash chain finds edited, deleted and inserted entries."""

from __future__ import annotations

from typing import Any

from swarmstack.security.audit_chain import GENESIS, ChainState, entry_hash, walk


def chain(n: int) -> list[dict[str, Any]]:
    entries, prev = [], GENESIS
    for i in range(1, n + 1):
        e: dict[str, Any] = {
            "id": i, "at": 1000.0 + i, "principal": "user:alice", "action": "deploy",
            "target": f"swarm-{i}", "source": "10.0.0.1", "result": "ok", "detail": "{}",
        }  # fmt: skip
        e["prev_hash"], e["hash"] = prev, entry_hash(prev, e)
        prev = e["hash"]
        entries.append(e)
    return entries


def test_an_intact_chain_verifies_in_one_walk_or_in_pages() -> None:
    entries = chain(10)
    whole = walk(ChainState(), entries)
    paged = walk(walk(ChainState(), entries[:4]), entries[4:])
    assert whole.broken is None and whole.count == 10 and whole.head == entries[-1]["hash"]
    assert paged == whole


def test_an_edited_entry_is_found() -> None:
    entries = chain(5)
    entries[2]["result"] = "refused"
    state = walk(ChainState(), entries)
    assert state.broken is not None and state.broken.entry_id == 3
    assert "edited" in state.broken.reason


def test_a_deleted_entry_breaks_the_next_one() -> None:
    entries = chain(5)
    del entries[1]
    state = walk(ChainState(), entries)
    assert state.broken is not None and state.broken.entry_id == 3
    assert "deleted" in state.broken.reason


def test_a_rehashed_edit_still_breaks_the_entry_after_it() -> None:
    entries = chain(5)
    entries[1]["principal"] = "user:mallory"
    entries[1]["hash"] = entry_hash(entries[1]["prev_hash"], entries[1])
    state = walk(ChainState(), entries)
    assert state.broken is not None and state.broken.entry_id == 3


def test_dropping_the_newest_entries_changes_the_head() -> None:
    entries = chain(5)
    assert walk(ChainState(), entries[:3]).head != walk(ChainState(), entries).head
