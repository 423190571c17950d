"""A schemathesis check (loaded with SCHEMATHESIS_HOOKS=tests.support.role_checks): a request
made with the role in SWARMSTACK_TEST_ROLE never succeeds (2xx) on an operation whose
permission that role lacks, per the one table in server/access.py."""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from swarmstack.security.roles import allows
from swarmstack.server.access import PUBLIC, ROUTES


@schemathesis.check
def role_is_respected(ctx: Any, response: Any, case: Any) -> bool | None:
    """Fail on a 2xx where the role lacks the operation's permission."""
    role = os.environ["SWARMSTACK_TEST_ROLE"]
    key = (case.operation.method.upper(), case.operation.path)
    if key in PUBLIC or not 200 <= response.status_code < 300:
        return None
    needed = ROUTES[key]
    if not allows(role, needed):
        raise AssertionError(
            f"{key[0]} {key[1]} answered {response.status_code} to a {role}, which lacks "
            f"{needed.value!r}"
        )
    return None
