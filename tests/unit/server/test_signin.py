"""Why a sign-in is refused: one decision, whatever the order of the checks."""

from __future__ import annotations

from swarmstack.server.signin import _refusal
from swarmstack.store import User


def user(**changes: object) -> User:
    base: dict[str, object] = {
        "id": "u_1", "username": "alice", "role": "viewer", "tenant": None, "disabled": False,
        "failed_logins": 0, "locked_until": None, "last_login_at": None, "created_at": 0.0,
        "created_by": "t",
    }  # fmt: skip
    return User(**{**base, **changes})  # type: ignore[arg-type]


def test_the_reasons_in_order() -> None:
    assert _refusal(None, True, 10.0) == "unknown-user"
    assert _refusal(user(disabled=True), True, 10.0) == "disabled"
    assert _refusal(user(locked_until=20.0), True, 10.0) == "locked"
    assert _refusal(user(locked_until=5.0), True, 10.0) is None  # the lock has passed
    assert _refusal(user(), False, 10.0) == "wrong-password"
    assert _refusal(user(), True, 10.0) is None
