"""The web console over HTTP (no browser): sign-in, cookies, access rules and CSRF."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from swarmstack.server.console import console_routes
from swarmstack.server.console.session import ACCESS, CSRF, REFRESH
from tests.integration.server.conftest import ADMIN_KEY, Node
from tests.integration.server.test_routes_auth import PASSWORD, add_user

ORIGIN = {"Origin": "http://swarm"}


def browser(node: Node) -> httpx.AsyncClient:
    """A client like a browser: no Authorization header, cookies kept."""
    return httpx.AsyncClient(transport=node.http._transport, base_url="http://swarm")


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


@asynccontextmanager
async def signed_in(node: Node, user: str, role: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in as a new user `user` of `role`."""
    await add_user(node, user, role)
    async with browser(node) as client:
        page = await client.get("/console/login")
        form = {"username": user, "password": PASSWORD, "csrf": csrf_of(page)}
        answer = await client.post("/console/login", data=form, headers=ORIGIN)
        assert answer.status_code == 303, answer.text
        yield client


async def test_pages_need_a_session_and_send_strangers_to_sign_in(node: Node) -> None:
    async with browser(node) as client:
        answer = await client.get("/console/tasks?status=queued")
        assert answer.status_code == 303
        assert (
            answer.headers["location"] == "/console/login?next=%2Fconsole%2Ftasks%3Fstatus%3Dqueued"
        )
        htmx = await client.get("/console/tasks", headers={"HX-Request": "true"})
        assert htmx.status_code == 401 and htmx.headers["hx-redirect"].startswith("/console/login")


async def test_the_sign_in_page_is_locked_to_self(node: Node) -> None:
    async with browser(node) as client:
        page = await client.get("/console/login")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe" not in policy and "http" not in policy
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    assert CSRF in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/console" in cookie


async def test_password_sign_in_sets_httponly_strict_cookies(node: Node) -> None:
    async with signed_in(node, "olga", "operator") as client:
        tasks = await client.get("/console/tasks")
        assert tasks.status_code == 200 and "olga" in tasks.text
        assert {ACCESS, REFRESH, CSRF} <= set(client.cookies.keys())
        # the tokens never reach the page
        assert client.cookies[ACCESS] not in tasks.text
        assert client.cookies[REFRESH] not in tasks.text


async def test_an_expired_access_token_is_refreshed_from_the_cookie(node: Node) -> None:
    async with signed_in(node, "rita", "viewer") as client:
        refresh = client.cookies[REFRESH]
    async with browser(node) as fresh:
        cookie = f"{ACCESS}=expired-or-garbage; {REFRESH}={refresh}"
        answer = await fresh.get("/console/tasks", headers={"Cookie": cookie})
        assert answer.status_code == 200, answer.text
        renewed = answer.headers.get_list("set-cookie")
        assert any(c.startswith(f"{ACCESS}=") for c in renewed)
        assert any(c.startswith(f"{REFRESH}=") and refresh not in c for c in renewed)
        again = await fresh.get("/console/tasks", headers={"Cookie": cookie})
        assert again.status_code == 303  # a refresh token works once


async def test_a_wrong_password_shows_the_form_again(node: Node) -> None:
    await add_user(node, "walt", "viewer")
    async with browser(node) as client:
        page = await client.get("/console/login")
        form = {"username": "walt", "password": "nope", "csrf": csrf_of(page)}
        answer = await client.post("/console/login", data=form, headers=ORIGIN)
    assert answer.status_code == 401 and "did not work" in answer.text


async def test_an_api_key_signs_in_too(node: Node) -> None:
    async with browser(node) as client:
        page = await client.get("/console/login")
        form = {"api_key": ADMIN_KEY, "csrf": csrf_of(page), "next": "/console/tasks"}
        answer = await client.post("/console/login", data=form, headers=ORIGIN)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/tasks"
        assert (await client.get("/console/tasks")).status_code == 200


async def test_posts_from_another_origin_or_without_the_token_are_refused(node: Node) -> None:
    async with signed_in(node, "carl", "operator") as client:
        token = client.cookies[CSRF]
        form = {"swarm": "echo", "input": "hi", "csrf": token}
        elsewhere = await client.post(
            "/console/tasks", data=form, headers={"Origin": "http://evil.example"}
        )
        assert elsewhere.status_code == 403 and "origin" in elsewhere.text
        no_origin = await client.post("/console/tasks", data=form)
        assert no_origin.status_code == 403
        no_token = await client.post(
            "/console/tasks", data={"swarm": "echo", "input": "hi"}, headers=ORIGIN
        )
        assert no_token.status_code == 403 and "CSRF" in no_token.text
        wrong = await client.post(
            "/console/tasks", data={**form, "csrf": "x" * len(token)}, headers=ORIGIN
        )
        assert wrong.status_code == 403
        header = await client.post(
            "/console/tasks",
            data={"swarm": "echo", "input": "hi"},
            headers={**ORIGIN, "X-CSRF-Token": token},
        )
        assert header.status_code == 303
        ok = await client.post("/console/tasks", data=form, headers=ORIGIN)
        assert ok.status_code == 303 and ok.headers["location"].startswith("/console/tasks/")


async def test_a_viewer_sees_no_button_it_may_not_use_and_cannot_post(node: Node) -> None:
    submitted = await node.http.post("/api/v1/tasks", json={"swarm": "nap", "input": 5})
    task_id = submitted.json()["id"]
    async with signed_in(node, "vera", "viewer") as client:
        listing = await client.get("/console/tasks")
        assert listing.status_code == 200 and task_id in listing.text
        assert "Cancel matching" not in listing.text and "Submit a task" not in listing.text
        detail = await client.get(f"/console/tasks/{task_id}")
        assert detail.status_code == 200 and "Cancel task" not in detail.text
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        refused = await client.post(f"/console/tasks/{task_id}/cancel", headers=headers)
        assert refused.status_code == 403 and "tasks:cancel" in refused.text
        bulk = await client.post("/console/tasks/bulk/cancel", headers=headers)
        assert bulk.status_code == 403
    await node.http.post(f"/api/v1/tasks/{task_id}/cancel")


async def test_a_submitter_lists_only_its_own_tasks(node: Node) -> None:
    other = await node.http.post("/api/v1/tasks", json={"swarm": "echo", "input": "admin's"})
    async with signed_in(node, "sam", "submitter") as client:
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        mine = await client.post(
            "/console/tasks", data={"swarm": "echo", "input": '"sam\'s"'}, headers=headers
        )
        my_id = mine.headers["location"].rsplit("/", 1)[1]
        listing = await client.get("/console/tasks")
        assert my_id in listing.text and other.json()["id"] not in listing.text
        hidden = await client.get(f"/console/tasks/{other.json()['id']}")
        assert hidden.status_code == 404


async def test_header_credentials_skip_csrf_as_in_the_api(node: Node) -> None:
    answer = await node.http.post("/console/tasks", data={"swarm": "echo", "input": "x"})
    assert answer.status_code == 303


async def test_every_console_route_has_a_permission() -> None:
    from swarmstack.server.access import PUBLIC, ROUTES

    routes = console_routes()
    assert routes and all(r in ROUTES or r in PUBLIC for r in routes)


async def test_overview_swarms_and_admin_answer_the_admin(node: Node) -> None:
    done = await node.http.post("/api/v1/tasks?wait=5", json={"swarm": "echo", "input": "x"})
    assert done.json()["status"] == "succeeded"
    overview = await node.http.get("/console/overview")
    assert overview.status_code == 200 and 'data-series="/console/overview/series"' in overview.text
    series = (await node.http.get("/console/overview/series?window=900")).json()
    assert len(series["times"]) == 30 and sum(series["throughput"]) >= 1
    assert set(series) >= {"p50", "p95", "p99", "error_rate", "queue_depth", "tokens", "cost"}
    swarms = await node.http.get("/console/swarms")
    assert swarms.status_code == 200
    admin = await node.http.get("/console/admin")
    assert admin.status_code == 200 and "Audit log" in admin.text and "API keys" in admin.text


async def test_each_role_gets_the_views_its_permissions_allow(node: Node) -> None:
    async with signed_in(node, "vic", "viewer") as viewer:
        assert (await viewer.get("/console")).headers["location"] == "/console/overview"
        assert (await viewer.get("/console/overview")).status_code == 200
        assert (await viewer.get("/console/swarms")).status_code == 200
        admin = await viewer.get("/console/admin")
        assert admin.status_code == 403
        nav = (await viewer.get("/console/tasks")).text
        assert 'href="/console/admin"' not in nav and 'href="/console/swarms"' in nav
    async with signed_in(node, "sue", "submitter") as submitter:
        assert (await submitter.get("/console")).headers["location"] == "/console/tasks"
        assert (await submitter.get("/console/overview")).status_code == 403
        assert (await submitter.get("/console/swarms")).status_code == 403
