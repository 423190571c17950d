"""A small synchronous client over httpx; API problems become SwarmstackErrors."""

from __future__ import annotations

import builtins
from typing import Any
from urllib.parse import quote

import httpx

from swarmstack.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    StoreUnavailable,
    SwarmstackError,
    Unauthorized,
)

_BY_STATUS: dict[int, type[SwarmstackError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    429: RateLimited,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidInput,
    503: StoreUnavailable,
}


class SwarmClient:
    """Talk to a manager at `url` with an API key."""

    def __init__(self, url: str, api_key: str | None, timeout_s: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout_s)
        self.url = url
        self._has_key = bool(api_key)

    def submit(
        self,
        swarm: str | None,
        data: Any,
        *,
        priority: str | None = None,
        wait_s: float = 0,
        idempotency_key: str | None = None,
        session: str | None = None,
        version: str | None = None,
    ) -> dict[str, Any]:
        """Submit a task; with `wait_s` wait for its outcome; `version` pins it to a version."""
        body: dict[str, Any] = {"input": data}
        if swarm:
            body["swarm"] = swarm
        if priority:
            body["priority"] = priority
        if session:
            body["session"] = session
        if version:
            body["version"] = version
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call(
            "POST",
            "/api/v1/tasks",
            json=body,
            headers=headers,
            params={"wait": wait_s} if wait_s else None,
            timeout=max(30.0, wait_s + 10),
        )

    def submit_batch(self, tasks: list[dict[str, Any]]) -> dict[str, Any]:
        """Submit up to 1,000 tasks in one request (each a task body, with an optional
        `idempotency_key`); the answer has `accepted`, `refused` and one item per task."""
        return self._call("POST", "/api/v1/tasks/batch", json={"tasks": tasks}, timeout=120.0)

    def get(self, task_id: str) -> dict[str, Any]:
        """One task."""
        return self._call("GET", f"/api/v1/tasks/{_seg(task_id)}")

    def list(
        self, *, status: str | None = None, swarm: str | None = None, limit: int = 50
    ) -> dict[str, Any]:
        """A page of tasks."""
        params = {
            k: v
            for k, v in {"status": status, "swarm": swarm, "limit": limit}.items()
            if v is not None
        }
        return self._call("GET", "/api/v1/tasks", params=params)

    def cancel(self, task_id: str) -> dict[str, Any]:
        """Cancel a task."""
        return self._call("POST", f"/api/v1/tasks/{_seg(task_id)}/cancel")

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body: dict[str, Any] = self._call_any(method, path, **kwargs)
        return body

    # --- deployments and rollouts -----------------------------------------------------------
    def deploy(
        self,
        spec: dict[str, Any],
        *,
        strategy: str | None = None,
        message: str = "",
        code_version: str | None = None,
    ) -> dict[str, Any]:
        """Deploy a spec (a JSON object): the version and its rollout."""
        body: dict[str, Any] = {"spec": spec, "message": message}
        if strategy:
            body["strategy"] = strategy
        if code_version:
            body["code_version"] = code_version
        return self._call("POST", "/api/v1/deployments", json=body)

    def deployments(
        self, swarm: str | None = None, limit: int = 100
    ) -> builtins.list[dict[str, Any]]:
        """Versions, newest first."""
        params: dict[str, Any] = {"limit": limit}
        if swarm:
            params["swarm"] = swarm
        found: builtins.list[dict[str, Any]] = self._call_any(
            "GET", "/api/v1/deployments", params=params
        )
        return found

    def deployment(self, deployment_id: str) -> dict[str, Any]:
        """One version with its spec."""
        return self._call("GET", f"/api/v1/deployments/{_seg(deployment_id)}")

    def swarms(self) -> builtins.list[dict[str, Any]]:
        """Every deployed swarm with its versions and weights."""
        found: builtins.list[dict[str, Any]] = self._call_any("GET", "/api/v1/swarms")
        return found

    def rollout(self, swarm: str) -> dict[str, Any]:
        """A swarm's rollout."""
        return self._call("GET", f"/api/v1/swarms/{_seg(swarm)}/rollout")

    def steer(self, swarm: str, verb: str) -> dict[str, Any]:
        """promote | promote-full | abort | pause | resume | retry."""
        return self._call("POST", f"/api/v1/swarms/{_seg(swarm)}/rollout/{_seg(verb)}")

    def rollback(self, swarm: str, to: str | None = None) -> dict[str, Any]:
        """Roll back to `to` (default: the stable before the current)."""
        return self._call("POST", f"/api/v1/swarms/{_seg(swarm)}/rollback", json={"to": to})

    def _call_any(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SwarmstackError(
                f"cannot reach the manager at {self.url}: {exc}",
                fix="start it with `swarmstack up` or set SWARMSTACK_URL",
            ) from exc
        if response.status_code >= 400:
            raise _problem(response, self.url, has_key=self._has_key)
        if not _is_json(response):
            raise _not_a_manager(response, self.url)
        try:
            return response.json()
        except ValueError:
            raise _not_a_manager(response, self.url) from None

    def cluster(self) -> dict[str, Any]:
        """Managers, workers and queue depth (GET /api/v1/cluster)."""
        return self._call("GET", "/api/v1/cluster")

    # --- administration ----------------------------------------------------------------------
    def users(self) -> builtins.list[dict[str, Any]]:
        """Every user (GET /api/v1/admin/users)."""
        found: builtins.list[dict[str, Any]] = self._call_any("GET", "/api/v1/admin/users")
        return found

    def add_user(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a user: `username`, `password`, `role`, optional `tenant`."""
        return self._call("POST", "/api/v1/admin/users", json=body)

    def set_user(self, ref: str, verb: str) -> dict[str, Any]:
        """`disable` or `enable` a user by id or username."""
        return self._call("POST", f"/api/v1/admin/users/{_seg(ref)}/{_seg(verb)}")

    def set_password(self, ref: str, password: str) -> dict[str, Any]:
        """Set a user's password (its refresh and access tokens stop working)."""
        return self._call(
            "POST", f"/api/v1/admin/users/{_seg(ref)}/password", json={"password": password}
        )

    def keys(self, include_revoked: bool = False) -> builtins.list[dict[str, Any]]:
        """API keys (never the keys themselves)."""
        params = {"include_revoked": include_revoked}
        found: builtins.list[dict[str, Any]] = self._call_any(
            "GET", "/api/v1/admin/keys", params=params
        )
        return found

    def create_key(self, body: dict[str, Any]) -> dict[str, Any]:
        """A new key (`key`, shown once) and its record (`info`)."""
        return self._call("POST", "/api/v1/admin/keys", json=body)

    def revoke_key(self, key_id: str) -> dict[str, Any]:
        """Revoke a key by id."""
        return self._call("POST", f"/api/v1/admin/keys/{_seg(key_id)}/revoke")

    def audit(self, **params: Any) -> dict[str, Any]:
        """A page of audit entries, newest first (`limit`, `before`, `action`, `principal`)."""
        wanted = {k: v for k, v in params.items() if v is not None}
        return self._call("GET", "/api/v1/admin/audit", params=wanted)

    def verify_audit(self) -> dict[str, Any]:
        """Walk the audit hash chain on the manager."""
        return self._call("GET", "/api/v1/admin/audit/verify")

    def close(self) -> None:
        """Close connections."""
        self._http.close()


def _seg(value: str) -> str:
    """One path segment, percent-encoded: a name with `/`, `?`, `#` or `%` stays one segment
    and can never reach another route."""
    return quote(value, safe="")


_URL_FIX = (
    "check SWARMSTACK_URL / --url (the manager's base URL, without a path, "
    "e.g. http://127.0.0.1:8080)"
)
_KEY_FIX = "set SWARMSTACK_API_KEY or pass --api-key (`swarmstack up` prints the admin key)"


def _problem(response: httpx.Response, url: str, *, has_key: bool = True) -> SwarmstackError:
    """The error a manager's problem document describes; anything else is not a manager."""
    body = _problem_body(response)
    if body is None:
        return _not_a_manager(response, url)
    if body.get("type", "").endswith("/http-error") and response.status_code == 404:
        return NotFound(
            f"the manager at {url} has no {response.request.url.path} (HTTP 404)", fix=_URL_FIX
        )
    error = _BY_STATUS.get(response.status_code, SwarmstackError)
    detail, fix = str(body.get("detail", body)), body.get("fix")
    if fix:  # the manager's detail already ends with its fix; say it once
        detail = detail.removesuffix(f". Fix: {fix}")
    if response.status_code == 401 and not has_key:
        fix = _KEY_FIX
    return error(f"{response.status_code}: {detail}", fix=fix)


def _problem_body(response: httpx.Response) -> dict[str, Any] | None:
    """The RFC 9457 problem document of `response`, if it is one."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) and "status" in body and "detail" in body else None


def _is_json(response: httpx.Response) -> bool:
    kind = str(response.headers.get("content-type", ""))
    return kind.split(";")[0].strip() == "application/json"


def _not_a_manager(response: httpx.Response, url: str) -> SwarmstackError:
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    return SwarmstackError(
        f"the server at {url} answered HTTP {response.status_code} {kind}, "
        "not like a swarmstack manager",
        fix=_URL_FIX,
    )
