"""Sign-in, refresh rotation, lockout and sign-out over the real app."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.server.conftest import Node

PASSWORD = "correct horse battery staple"


async def add_user(
    node: Node, name: str, role: str = "viewer", **extra: object
) -> dict[str, object]:
    made = await node.http.post(
        "/api/v1/admin/users", json={"username": name, "password": PASSWORD, "role": role, **extra}
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def sign_in(node: Node, name: str, password: str = PASSWORD) -> httpx.Response:
    return await node.http.post(
        "/api/v1/auth", json={"username": name, "password": password}, headers={"Authorization": ""}
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_user_signs_in_and_uses_the_access_token(node: Node) -> None:
    await add_user(node, "alice", "operator")
    answer = await sign_in(node, "alice")
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = await node.http.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))
    assert me.json()["name"] == "alice" and me.json()["kind"] == "user"
    assert "deployments:write" in me.json()["permissions"]
    cluster = await node.http.get("/api/v1/cluster", headers=bearer(tokens["access_token"]))
    assert cluster.status_code == 200


@pytest.mark.parametrize(
    ("name", "password"), [("alice", "wrong password!"), ("nobody", PASSWORD), ("test", "test")]
)
async def test_every_failure_is_the_same_401(node: Node, name: str, password: str) -> None:
    await add_user(node, "alice")
    answer = await sign_in(node, name, password)
    assert answer.status_code == 401
    assert answer.json()["detail"].startswith("invalid credentials")
    assert "alice" not in answer.text and "nobody" not in answer.text


async def test_repeated_failures_lock_the_account_even_for_the_right_password(node: Node) -> None:
    await add_user(node, "bob")
    for _ in range(5):
        assert (await sign_in(node, "bob", "wrong password!")).status_code == 401
    refused = await sign_in(node, "bob")
    assert refused.status_code == 401 and refused.json()["detail"].startswith("invalid credentials")
    user = (await node.http.get("/api/v1/admin/users")).json()[0]
    assert user["locked_until"] is not None
    await node.http.post("/api/v1/admin/users/bob/password", json={"password": PASSWORD + "!"})
    assert (await sign_in(node, "bob", PASSWORD + "!")).status_code == 200


async def test_a_refresh_token_rotates_and_a_replay_ends_the_sign_in(node: Node) -> None:
    await add_user(node, "carol")
    first = (await sign_in(node, "carol")).json()
    second = await node.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    replay = await node.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 401
    # the replay revoked the whole family, the legitimate newer token included
    newer = await node.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
    )
    assert newer.status_code == 401


async def test_an_access_token_is_not_a_refresh_token_and_back(node: Node) -> None:
    await add_user(node, "dora")
    tokens = (await sign_in(node, "dora")).json()
    mixed = await node.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}
    )
    assert mixed.status_code == 401
    me = await node.http.get("/api/v1/auth/me", headers=bearer(tokens["refresh_token"]))
    assert me.status_code == 401


async def test_sign_out_revokes_the_refresh_token(node: Node) -> None:
    await add_user(node, "erin")
    tokens = (await sign_in(node, "erin")).json()
    out = await node.http.post(
        "/api/v1/auth/logout",
        json={"refresh_token": tokens["refresh_token"]},
        headers=bearer(tokens["access_token"]),
    )
    assert out.json() == {"revoked": 1}
    again = await node.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert again.status_code == 401


async def test_disabling_a_user_stops_its_tokens_at_once(node: Node) -> None:
    await add_user(node, "fred")
    tokens = (await sign_in(node, "fred")).json()
    assert (
        await node.http.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))
    ).status_code == 200
    assert (await node.http.post("/api/v1/admin/users/fred/disable")).json()["disabled"]
    assert (
        await node.http.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))
    ).status_code == 401
    assert (await sign_in(node, "fred")).status_code == 401
    refresh = await node.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401


async def test_sign_ins_and_failures_are_audited_without_passwords(node: Node) -> None:
    await add_user(node, "gina")
    await sign_in(node, "gina")
    await sign_in(node, "gina", "not her password")
    entries = (await node.http.get("/api/v1/admin/audit", params={"action": "auth.sign-in"})).json()
    results = [(e["result"], e["detail"].get("reason")) for e in entries["items"]]
    assert results == [("refused", "wrong-password"), ("ok", None)]
    everything = (await node.http.get("/api/v1/admin/audit")).text
    assert PASSWORD not in everything and "not her password" not in everything


async def test_without_a_signing_key_sign_in_says_it_is_off(node: Node) -> None:
    from swarmstack.security.tokens import TokenKeys

    node.manager.token_keys = TokenKeys.of(None)
    answer = await sign_in(node, "anyone")
    assert answer.status_code == 503 and "jwt_secret" in answer.json()["detail"]


async def test_a_new_password_ends_the_old_access_tokens(node: Node) -> None:
    await add_user(node, "hank")
    old = (await sign_in(node, "hank")).json()["access_token"]
    assert (await node.http.get("/api/v1/auth/me", headers=bearer(old))).status_code == 200
    await node.http.post("/api/v1/admin/users/hank/password", json={"password": PASSWORD + "2"})
    assert (await node.http.get("/api/v1/auth/me", headers=bearer(old))).status_code == 401


async def test_sign_out_takes_only_the_callers_own_refresh_token(node: Node) -> None:
    await add_user(node, "ivy")
    await add_user(node, "jack")
    ivy, jack = (await sign_in(node, "ivy")).json(), (await sign_in(node, "jack")).json()
    other = await node.http.post(
        "/api/v1/auth/logout",
        json={"refresh_token": ivy["refresh_token"]},
        headers=bearer(jack["access_token"]),
    )
    assert other.status_code == 401
    still = await node.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": ivy["refresh_token"]}
    )
    assert still.status_code == 200
