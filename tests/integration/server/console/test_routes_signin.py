"""Console sign-in with a password or an API key."""

from __future__ import annotations

from swarmstack.server.console.session import ACCESS, CSRF, REFRESH
from tests.integration.server.conftest import ADMIN_KEY, Node
from tests.integration.server.console.browserlike import (
    ORIGIN,
    browser,
    csrf_of,
    signed_in,
)
from tests.integration.server.test_routes_auth import add_user


async def test_password_sign_in_sets_httponly_strict_cookies(node: Node) -> None:
    async with signed_in(node, "olga", "operator") as client:
        tasks = await client.get("/console/tasks")
        assert tasks.status_code == 200 and "olga" in tasks.text
        assert {ACCESS, REFRESH, CSRF} <= set(client.cookies.keys())
        # the tokens never reach the page
        assert client.cookies[ACCESS] not in tasks.text
        assert client.cookies[REFRESH] not in tasks.text


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
