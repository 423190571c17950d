"""Roles, permissions and object-level task rules."""

from __future__ import annotations

import pytest

from swarmstack.security.roles import (
    Permission,
    Principal,
    Role,
    allows,
    can_cancel_task,
    can_see_task,
)

P = Permission


@pytest.mark.parametrize(
    ("role", "granted", "refused"),
    [
        ("viewer", [P.TASKS_READ_ANY, P.CLUSTER_READ], [P.TASKS_SUBMIT, P.DEPLOYMENTS_WRITE]),
        ("submitter", [P.TASKS_SUBMIT, P.TASKS_CANCEL], [P.TASKS_READ_ANY, P.DEPLOYMENTS_READ]),
        ("operator", [P.DEPLOYMENTS_WRITE, P.TASKS_CANCEL_ANY], [P.ADMIN_KEYS, P.ADMIN_READ]),
        ("admin", list(Permission), []),
        ("root", [], list(Permission)),
    ],
)
def test_roles_hold_their_permissions_only(
    role: str, granted: list[Permission], refused: list[Permission]
) -> None:
    assert all(allows(role, p) for p in granted)
    assert not any(allows(role, p) for p in refused)


def test_every_role_may_ask_who_it_is() -> None:
    assert all(allows(r.value, P.SELF) for r in Role)


def test_a_submitter_sees_and_cancels_only_its_own_tasks() -> None:
    alice = Principal("k_a", "alice", "submitter")
    assert can_see_task(alice, "k_a", None) and can_cancel_task(alice, "k_a", None)
    assert not can_see_task(alice, "k_b", None) and not can_cancel_task(alice, "k_b", None)
    assert not can_see_task(alice, None, None)  # a task from before owners were recorded


def test_a_viewer_sees_every_task_but_cancels_none_of_others() -> None:
    viewer = Principal("u_v", "vera", "viewer", kind="user")
    assert can_see_task(viewer, "k_b", None) and not can_cancel_task(viewer, "k_b", None)


def test_a_tenant_confines_even_an_operator() -> None:
    op = Principal("u_o", "olga", "operator", tenant="red", kind="user")
    assert can_see_task(op, "k_b", "red") and can_cancel_task(op, "k_b", "red")
    assert not can_see_task(op, "k_b", "blue") and not can_see_task(op, "k_b", None)
    admin = Principal("k_root", "admin", "admin")
    assert can_see_task(admin, "k_b", "blue")


def test_labels_name_users_and_keys_apart() -> None:
    assert Principal("u_1", "alice", "admin", kind="user").label == "user:alice"
    assert Principal("k_1", "ci", "submitter").label == "key:ci (k_1)"
