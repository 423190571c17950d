"""Retention decisions: windows from settings and spec overrides, rule grouping, compaction."""

from __future__ import annotations

from swarmstack.core.retention import Scope, compact, compactions, plan_of, windows_of
from swarmstack.settings.models import RetentionSettings
from swarmstack.spec.retention import Retention

S = RetentionSettings(succeeded=10, failed=30, other=10, idempotency=5, events=1)


def test_a_spec_key_replaces_only_that_setting() -> None:
    w = windows_of(S, Retention(failed=99))
    assert (w.succeeded_s, w.failed_s, w.other_s, w.idempotency_s, w.events_s) == (
        10,
        99,
        10,
        5,
        1,
    )
    assert w.longest_s == 99


def test_statuses_kept_alike_share_one_rule() -> None:
    assert windows_of(S).by_status() == {
        10: ("succeeded", "cancelled", "timed_out", "budget_exceeded"),
        30: ("failed",),
    }


def test_the_default_scope_leaves_out_only_swarms_that_differ() -> None:
    plan = plan_of(S, {"a": Retention(succeeded=1), "b": Retention(), "c": None, "d": None})
    scopes = plan.scopes()
    assert scopes[0][0] == Scope(None, frozenset({"a"}))
    assert [s for s, _ in scopes[1:]] == [Scope(frozenset({"a"}))]
    assert scopes[0][0].covers("b") and scopes[0][0].covers("unknown")
    assert not scopes[0][0].covers("a") and scopes[1][0].covers("a")
    assert len(plan.prune_rules()) == 5  # a: 1 s, 10 s, 30 s; the rest: 10 s, 30 s
    assert plan.longest_s == 30


def test_swarms_with_the_same_override_share_a_scope() -> None:
    plan = plan_of(S, {"a": Retention(failed=2), "b": Retention(failed=2)})
    assert [s for s, _ in plan.scopes()] == [
        Scope(None, frozenset({"a", "b"})),
        Scope(frozenset({"a", "b"})),
    ]


def test_compaction_keeps_lifecycle_events_and_takes_the_first_folded_id() -> None:
    events = [(1, "started", 0.0), (2, "step_started", 1.0), (3, "tokens", 2.0)]
    events += [(4, "step_started", 3.0), (5, "succeeded", 4.0)]
    done = compact(events)
    assert done is not None
    assert done.keep_id == 2
    assert done.delete_ids == (3, 4)
    assert done.summary == {
        "events": 3,
        "types": {"step_started": 2, "tokens": 1},
        "first_at": 1.0,
        "last_at": 3.0,
    }


def test_nothing_to_fold_is_no_compaction() -> None:
    assert compact([(1, "started", 0.0), (2, "failed", 1.0), (3, "compacted", 2.0)]) is None
    assert compact([(1, "rerouted", 0.0), (2, "retrying", 1.0)]) is None  # its life stays
    assert compactions([("t", 1, "started", 0.0), ("u", 2, "x", 1.0)]).keys() == {"u"}
