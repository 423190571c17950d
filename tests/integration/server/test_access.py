"""Every route of the app needs credentials (401) and the right role (403), per the one table
in server/access.py; the app refuses to start with a route missing from it."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import APIRouter

from swarmstack.security.roles import Role, allows
from swarmstack.server.access import PUBLIC, ROUTES, UnmappedRoute, check_table
from tests.integration.server.conftest import Node

ROLES = [r.value for r in Role]


@pytest.fixture
def rate_limits() -> dict[str, object]:
    """The walk sends ~100 requests without valid credentials from one address: more than the
    per-address limit, which is tested in test_limits.py."""
    return {"source_burst": 100_000}


async def key_for(node: Node, role: str, **extra: object) -> str:
    made = await node.http.post(
        "/api/v1/admin/keys", json={"name": f"{role}-key", "role": role, **extra}
    )
    assert made.status_code == 201, made.text
    return str(made.json()["key"])


def _concrete(path: str) -> str:
    """A path template with each parameter filled with a plausible value."""
    values = {"verb": "pause", "name": "echo"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "t_nonexistent"), path)


async def test_the_table_covers_every_route_of_the_app(node: Node) -> None:
    schema = (await node.http.get("/openapi.json")).json()
    served = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert served == set(ROUTES) | set(PUBLIC)


async def test_every_protected_route_answers_401_without_or_with_bad_credentials(
    node: Node,
) -> None:
    for method, path in sorted(ROUTES):
        for headers in (
            {},
            {"Authorization": "Bearer invalid-token"},
            {"Authorization": "Basic x"},
        ):
            answer = await node.http.request(
                method, _concrete(path), headers={"Authorization": "", **headers}, json={}
            )
            assert answer.status_code == 401, (method, path, headers, answer.text)
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert answer.json()["detail"].split(". Fix:")[0] in (
                "missing credentials",
                "invalid credentials",
            )


async def test_each_role_gets_403_exactly_where_it_lacks_the_permission(node: Node) -> None:
    keys = {role: await key_for(node, role) for role in ROLES}
    for (method, path), needed in sorted(ROUTES.items()):
        for role, key in keys.items():
            answer = await node.http.request(
                method, _concrete(path), headers={"Authorization": f"Bearer {key}"}, json={}
            )
            if allows(role, needed):
                assert answer.status_code in (200, 201, 204, 404, 409, 422), (
                    role, method, path, answer.text,
                )  # fmt: skip
            else:
                assert answer.status_code == 403, (role, method, path, answer.text)
                assert needed.value in answer.json()["detail"]


async def test_a_route_missing_from_the_table_stops_the_app(node: Node) -> None:
    from swarmstack.server.app import create_app

    app = create_app(node.manager, manage_lifecycle=False)
    extra = APIRouter()

    @extra.get("/api/v1/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    app.include_router(extra)
    app.openapi_schema = None  # built once at start-up; rebuild it with the new route
    with pytest.raises(UnmappedRoute, match="GET /api/v1/forgotten"):
        check_table(app)


async def test_the_public_routes_are_only_the_probes_metrics_and_sign_in(node: Node) -> None:
    assert sorted(PUBLIC) == [
        ("GET", "/health"), ("GET", "/metrics"), ("GET", "/ready"),
        ("POST", "/api/v1/auth"), ("POST", "/api/v1/auth/refresh"),
    ]  # fmt: skip
    anonymous = httpx.AsyncClient(transport=node.http._transport, base_url="http://swarm")
    async with anonymous:
        assert (await anonymous.get("/health")).status_code == 200
        assert (
            await anonymous.post("/api/v1/auth", json={"username": "test", "password": "test"})
        ).status_code == 401


async def test_openapi_declares_the_bearer_scheme_on_protected_routes(node: Node) -> None:
    schema = (await node.http.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for method, path in ROUTES:
        assert schema["paths"][path][method.lower()].get("security"), (method, path)
