"""The console session over HTTP: sign-in redirects, cookies, refresh, Origin and CSRF checks."""

from __future__ import annotations

from swarmstack.server.console.session import ACCESS, CSRF, REFRESH
from tests.integration.server.conftest import Node
from tests.integration.server.console.browserlike import (
    ORIGIN,
    browser,
    signed_in,
)


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


async def test_header_credentials_skip_csrf_as_in_the_api(node: Node) -> None:
    answer = await node.http.post("/console/tasks", data={"swarm": "echo", "input": "x"})
    assert answer.status_code == 303
