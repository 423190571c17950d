"""The console's task filter: parsing, bounds, and confinement to what the caller may see."""

from __future__ import annotations

import pytest

from swarmstack.errors import InvalidInput
from swarmstack.security.roles import Principal
from swarmstack.server.console.filters import cancellable, chosen, parse_time, task_filter

ADMIN = Principal("k_1", "root", "admin")
SUBMITTER = Principal("u_2", "sam", "submitter", kind="user")
TENANT_VIEWER = Principal("u_3", "tia", "viewer", tenant="acme", kind="user")


def test_times_are_utc_datetime_local_values_or_epoch_seconds() -> None:
    assert parse_time("1970-01-01T00:01") == 60.0
    assert parse_time("120") == 120.0 and parse_time("") is None
    with pytest.raises(InvalidInput):
        parse_time("yesterday")


def test_unknown_statuses_are_refused_and_values_bounded() -> None:
    with pytest.raises(InvalidInput):
        chosen({"status": "exploded"})
    assert chosen({"q": "x" * 500, "swarm": "  "}) == {"q": "x" * 200}


def test_a_submitter_is_confined_to_its_own_tasks_and_a_tenant_to_its_tenant() -> None:
    assert task_filter(ADMIN, {}).owner is None
    assert task_filter(SUBMITTER, {"swarm": "echo"}).owner == "u_2"
    assert task_filter(TENANT_VIEWER, {}).tenant == "acme"


def test_bulk_cancel_keeps_live_tasks_only() -> None:
    f = cancellable(ADMIN, task_filter(ADMIN, {}))
    assert f.statuses == ("queued", "running") and f.status is None
    assert cancellable(ADMIN, task_filter(ADMIN, {"status": "succeeded"})).statuses == ()
    assert cancellable(SUBMITTER, task_filter(SUBMITTER, {})).owner == "u_2"
