"""Helpers of the console's HTTP tests: a browser-like client, signed in or not."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.integration.server.conftest import Node
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
