"""Roles, permissions and principals: who may do what. Pure data and lookups.

Four roles, each a set of permissions (docs/security.md has the table):
- `viewer`: read everything (tasks of its tenant, deployments, rollouts, the cluster).
- `submitter`: submit tasks; read and cancel its own.
- `operator`: what a viewer may, plus submit, cancel any task, deploy, steer rollouts, roll back.
- `admin`: everything, including users, API keys, the audit log and settings.

The server maps every route to one permission (`server/access.py`); object-level rules (a
submitter sees only its own tasks, a principal with a tenant only its tenant's) are in
`can_see_task`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A principal's role."""

    ADMIN = "admin"
    OPERATOR = "operator"
    SUBMITTER = "submitter"
    VIEWER = "viewer"


class Permission(StrEnum):
    """One thing a route lets a principal do."""

    SELF = "self"  # who am I, sign out
    TASKS_SUBMIT = "tasks:submit"
    TASKS_READ = "tasks:read"  # own tasks, or all of them with TASKS_READ_ANY
    TASKS_CANCEL = "tasks:cancel"  # own tasks, or all of them with TASKS_CANCEL_ANY
    TASKS_READ_ANY = "tasks:read-any"
    TASKS_CANCEL_ANY = "tasks:cancel-any"
    DEPLOYMENTS_READ = "deployments:read"
    DEPLOYMENTS_WRITE = "deployments:write"  # deploy, steer a rollout, roll back
    CLUSTER_READ = "cluster:read"
    ADMIN_READ = "admin:read"  # the admin index
    ADMIN_USERS = "admin:users"
    ADMIN_KEYS = "admin:keys"
    ADMIN_AUDIT = "admin:audit"


P = Permission
_VIEWER = frozenset({P.SELF, P.TASKS_READ, P.TASKS_READ_ANY, P.DEPLOYMENTS_READ, P.CLUSTER_READ})
_SUBMITTER = frozenset({P.SELF, P.TASKS_SUBMIT, P.TASKS_READ, P.TASKS_CANCEL})
_OPERATOR = _VIEWER | _SUBMITTER | {P.TASKS_CANCEL_ANY, P.DEPLOYMENTS_WRITE}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: _VIEWER,
    Role.SUBMITTER: _SUBMITTER,
    Role.OPERATOR: frozenset(_OPERATOR),
    Role.ADMIN: frozenset(Permission),
}
ROLE_NAMES = tuple(role.value for role in Role)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling.

    `id` is `u_...` for a signed-in user and `k_...` for an API key; `name` is the username or
    the key's name; `tenant` (if set) confines the principal to that tenant's tasks;
    `rate_limit` (requests per second) and `max_queued` override the role's limits for a key.
    """

    id: str
    name: str
    role: str
    tenant: str | None = None
    kind: str = "key"
    rate_limit: float | None = None
    max_queued: int | None = None

    @property
    def label(self) -> str:
        """How the audit log and task records name it: `user:alice`, `key:ci (k_1a2b)`."""
        return f"user:{self.name}" if self.kind == "user" else f"key:{self.name} ({self.id})"


def allows(role: str, permission: Permission) -> bool:
    """Whether `role` holds `permission` (an unknown role holds nothing)."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


# Changes that reach every tenant (deployments and rollouts, users, keys, the audit log): a
# principal confined to a tenant never holds them, whatever its role.
GLOBAL_CHANGES = frozenset(
    {P.DEPLOYMENTS_WRITE, P.ADMIN_READ, P.ADMIN_USERS, P.ADMIN_KEYS, P.ADMIN_AUDIT}
)


def permits(who: Principal, permission: Permission) -> bool:
    """Whether `who` may use `permission`: its role holds it, and a tenant does not confine
    it away from a change that reaches every tenant."""
    if who.tenant is not None and permission in GLOBAL_CHANGES:
        return False
    return allows(who.role, permission)


def can_see_task(who: Principal, owner: str | None, tenant: str | None) -> bool:
    """Object-level rule for reading a task submitted by `owner` in `tenant`."""
    return _same_tenant(who, tenant) and (
        allows(who.role, P.TASKS_READ_ANY) or (owner is not None and owner == who.id)
    )


def can_cancel_task(who: Principal, owner: str | None, tenant: str | None) -> bool:
    """Object-level rule for cancelling a task submitted by `owner` in `tenant`."""
    return _same_tenant(who, tenant) and (
        allows(who.role, P.TASKS_CANCEL_ANY) or (owner is not None and owner == who.id)
    )


def _same_tenant(who: Principal, tenant: str | None) -> bool:
    """A principal without a tenant sees every tenant; one with a tenant only its own."""
    return who.tenant is None or who.tenant == tenant
