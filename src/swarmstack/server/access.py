"""Which permission each route needs: one table, checked against the app at start-up.

`ROUTES` maps every (method, path) of the API to a Permission (security/roles.py); `PUBLIC`
lists the few that answer without credentials, each with the reason. `check_table(app)` fails
start-up when a route is in neither, so no route is ever left open by omission. The
`authorize` dependency (server/auth.py) reads this table for the route being served.
"""

from __future__ import annotations

from fastapi import FastAPI

from swarmstack.security.roles import Permission

P = Permission
API = "/api/v1"
CONSOLE = "/console"
SWARMS = "/v1"  # the Swarms API shape (server/routes_swarms.py)

ROUTES: dict[tuple[str, str], Permission] = {
    # tasks: object-level rules (own tasks, tenant) are applied by the handlers
    ("POST", f"{API}/tasks"): P.TASKS_SUBMIT,
    ("POST", f"{API}/tasks/batch"): P.TASKS_SUBMIT,
    ("POST", f"{API}/task"): P.TASKS_SUBMIT,
    ("GET", f"{API}/tasks"): P.TASKS_READ,
    ("GET", f"{API}/tasks/{{task_id}}"): P.TASKS_READ,
    ("GET", f"{API}/tasks/{{task_id}}/events"): P.TASKS_READ,
    ("POST", f"{API}/tasks/{{task_id}}/cancel"): P.TASKS_CANCEL,
    # deployments and rollouts
    ("POST", f"{API}/deployments"): P.DEPLOYMENTS_WRITE,
    ("GET", f"{API}/deployments"): P.DEPLOYMENTS_READ,
    ("GET", f"{API}/deployments/{{deployment_id}}"): P.DEPLOYMENTS_READ,
    ("GET", f"{API}/swarms"): P.DEPLOYMENTS_READ,
    ("GET", f"{API}/swarms/{{name}}/rollout"): P.DEPLOYMENTS_READ,
    ("POST", f"{API}/swarms/{{name}}/rollout/{{verb}}"): P.DEPLOYMENTS_WRITE,
    ("POST", f"{API}/swarms/{{name}}/rollback"): P.DEPLOYMENTS_WRITE,
    ("GET", f"{API}/cluster"): P.CLUSTER_READ,
    # the caller itself
    ("GET", f"{API}/auth/me"): P.SELF,
    ("POST", f"{API}/auth/logout"): P.SELF,
    # administration
    ("GET", f"{API}/admin"): P.ADMIN_READ,
    ("GET", f"{API}/admin/users"): P.ADMIN_USERS,
    ("POST", f"{API}/admin/users"): P.ADMIN_USERS,
    ("POST", f"{API}/admin/users/{{ref}}/disable"): P.ADMIN_USERS,
    ("POST", f"{API}/admin/users/{{ref}}/enable"): P.ADMIN_USERS,
    ("POST", f"{API}/admin/users/{{ref}}/password"): P.ADMIN_USERS,
    ("GET", f"{API}/admin/keys"): P.ADMIN_KEYS,
    ("POST", f"{API}/admin/keys"): P.ADMIN_KEYS,
    ("POST", f"{API}/admin/keys/{{key_id}}/revoke"): P.ADMIN_KEYS,
    ("GET", f"{API}/admin/audit"): P.ADMIN_AUDIT,
    ("GET", f"{API}/admin/audit/verify"): P.ADMIN_AUDIT,
    # the Swarms API shape: completions are task submits, the rest reads
    ("POST", f"{SWARMS}/swarm/completions"): P.TASKS_SUBMIT,
    ("POST", f"{SWARMS}/swarm/batch/completions"): P.TASKS_SUBMIT,
    ("POST", f"{SWARMS}/agent/completions"): P.TASKS_SUBMIT,
    ("GET", f"{SWARMS}/swarms/available"): P.TASKS_READ,
    ("GET", f"{SWARMS}/models/available"): P.TASKS_READ,
    ("GET", f"{SWARMS}/swarm/logs"): P.TASKS_READ,
}

PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/health"): "liveness probe: says only that the process answers",
    ("GET", "/ready"): "readiness probe for load balancers and the kubelet, which send no token",
    ("GET", "/metrics"): "Prometheus scrapes without a token; counts only, no task data "
    "(the rendered nginx and NetworkPolicies keep it inside the cluster)",
    ("POST", f"{API}/auth"): "sign-in: takes a username and password",
    ("POST", f"{API}/auth/refresh"): "takes a refresh token instead of an access token",
}

# The web console (server/console): its pages and the forms they post, kept apart from the
# API's tables (which the API's OpenAPI document must match exactly) but read the same way.
CONSOLE_ROUTES: dict[tuple[str, str], Permission] = {
    ("POST", f"{CONSOLE}/logout"): P.SELF,
    ("GET", f"{CONSOLE}/tasks"): P.TASKS_READ,
    ("POST", f"{CONSOLE}/tasks"): P.TASKS_SUBMIT,
    ("GET", f"{CONSOLE}/tasks/{{task_id}}"): P.TASKS_READ,
    ("GET", f"{CONSOLE}/tasks/{{task_id}}/live"): P.TASKS_READ,
    ("GET", f"{CONSOLE}/tasks/{{task_id}}/events"): P.TASKS_READ,
    ("POST", f"{CONSOLE}/tasks/{{task_id}}/cancel"): P.TASKS_CANCEL,
    ("POST", f"{CONSOLE}/tasks/bulk/cancel/preview"): P.TASKS_CANCEL,
    ("POST", f"{CONSOLE}/tasks/bulk/cancel"): P.TASKS_CANCEL,
    ("POST", f"{CONSOLE}/tasks/bulk/rerun/preview"): P.TASKS_SUBMIT,
    ("POST", f"{CONSOLE}/tasks/bulk/rerun"): P.TASKS_SUBMIT,
    ("GET", f"{CONSOLE}/overview"): P.CLUSTER_READ,
    ("GET", f"{CONSOLE}/overview/series"): P.CLUSTER_READ,
    ("GET", f"{CONSOLE}/swarms"): P.DEPLOYMENTS_READ,
    ("GET", f"{CONSOLE}/swarms/{{name}}"): P.DEPLOYMENTS_READ,
    ("POST", f"{CONSOLE}/swarms/{{name}}/rollout/{{verb}}"): P.DEPLOYMENTS_WRITE,
    ("POST", f"{CONSOLE}/swarms/{{name}}/rollback"): P.DEPLOYMENTS_WRITE,
    ("GET", f"{CONSOLE}/admin"): P.ADMIN_AUDIT,
    ("POST", f"{CONSOLE}/admin/users/{{ref}}/disable"): P.ADMIN_USERS,
    ("POST", f"{CONSOLE}/admin/users/{{ref}}/enable"): P.ADMIN_USERS,
    ("POST", f"{CONSOLE}/admin/keys/{{key_id}}/revoke"): P.ADMIN_KEYS,
}
CONSOLE_PUBLIC: dict[tuple[str, str], str] = {
    ("GET", CONSOLE): "sends a signed-in person to their home view, anyone else to sign-in",
    ("GET", f"{CONSOLE}/login"): "the console's sign-in form",
    ("POST", f"{CONSOLE}/login"): "console sign-in: a username and password, or an API key "
    "(Origin and CSRF checked)",
}


class UnmappedRoute(RuntimeError):
    """A route has no permission in server/access.py."""


def permission_of(method: str, path: str) -> Permission | None:
    """The permission a route needs; None for a public route. Raises UnmappedRoute for a
    route in neither table (callers refuse the request: closed by default)."""
    if (method, path) in PUBLIC or (method, path) in CONSOLE_PUBLIC:
        return None
    try:
        if path.startswith((f"{API}/", f"{SWARMS}/")) or path == API:
            return ROUTES[(method, path)]
        return CONSOLE_ROUTES[(method, path)]
    except KeyError:
        raise UnmappedRoute(f"{method} {path} has no permission in server/access.py") from None


def check_table(app: FastAPI) -> None:
    """Raise UnmappedRoute when a route of `app`'s OpenAPI document is in neither table.

    FastAPI includes routers lazily, so the document (which lists every included route) is
    what is walked; routes hidden from it are still refused by `permission_of`."""
    served = [
        (method.upper(), path)
        for path, operations in app.openapi().get("paths", {}).items()
        for method in operations
    ]
    missing = [f"{m} {p}" for m, p in served if (m, p) not in ROUTES and (m, p) not in PUBLIC]
    if missing:
        raise UnmappedRoute(
            "routes without a permission in server/access.py: " + ", ".join(missing)
        )
