"""Security headers on every answer (errors and 500s too), a documentation page policy that
names exactly its inline scripts, HSTS only with TLS, and CORS only when origins are set."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from swarmstack.server.security_headers import API_POLICY, script_hash
from tests.integration.server.conftest import Start, Started
from tests.support.tls import self_signed

ORIGIN = "https://console.example"


def assert_secured(answer: httpx.Response) -> None:
    where = f"{answer.request.method} {answer.request.url.path} -> {answer.status_code}"
    assert answer.headers["X-Content-Type-Options"] == "nosniff", where
    assert answer.headers["Referrer-Policy"] == "no-referrer", where
    assert answer.headers["X-Frame-Options"] == "DENY", where
    assert "Strict-Transport-Security" not in answer.headers, where


async def test_every_answer_carries_the_headers_and_api_answers_are_not_stored(
    start: Start,
) -> None:
    started = await start(server={"max_body_bytes": 2048})
    started.app.add_api_route("/api/v1/boom", _boom)
    async with started.client(raise_app_exceptions=False) as http:
        submitted = await http.post("/api/v1/tasks", json={"input": 1})
        api = [
            submitted,
            await http.get(f"/api/v1/tasks/{submitted.json()['id']}"),
            await http.get("/api/v1/tasks/nope"),  # 404
            await http.post("/api/v1/tasks", content=b"x" * 4096),  # 413 from the body limit
            await http.get("/api/v1/boom"),  # 500 from the handler of unexpected errors
            await http.get("/api/v1/tasks", headers={"Authorization": "Bearer wrong"}),  # 401
        ]
        other = [await http.get(p) for p in ("/health", "/ready", "/metrics", "/openapi.json")]
    assert [a.status_code for a in api] == [202, 200, 404, 413, 500, 401]
    for answer in api:
        assert_secured(answer)
        assert answer.headers["Content-Security-Policy"] == API_POLICY
        assert answer.headers["Cache-Control"] == "no-store"
    for answer in other:
        assert_secured(answer)
        assert answer.headers["Content-Security-Policy"] == API_POLICY
        assert "no-store" not in answer.headers.get("Cache-Control", "")


async def _boom() -> None:
    raise RuntimeError("an unexpected fault")


async def test_the_docs_pages_may_run_exactly_their_own_inline_scripts(start: Start) -> None:
    started = await start()
    async with started.client(None) as http:
        docs, redoc = await http.get("/docs"), await http.get("/redoc")
        redirect = await http.get("/docs/oauth2-redirect")
    for page in (docs, redoc, redirect):
        assert page.status_code == 200
        assert_secured(page)
    policy = docs.headers["Content-Security-Policy"]
    assert redoc.headers["Content-Security-Policy"] == policy
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    scripts = directives["script-src"].split()
    for page in (docs, redirect):
        inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
        assert inline, page.text
        assert {f"'{script_hash(s)}'" for s in inline} <= set(scripts)
    for url in re.findall(r'(?:src|href)="(https://[^"]+)"', docs.text + redoc.text):
        origin = "/".join(url.split("/")[:3])
        assert origin in policy, f"{url} would be blocked"
    assert "'unsafe-inline'" not in directives["script-src"]


async def test_hsts_only_when_the_manager_serves_tls(start: Start, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    started = await start(server={"tls_cert": cert, "tls_key": key})
    async with started.client() as http:
        answers = [await http.get("/api/v1/tasks"), await http.get("/health")]
    for answer in answers:
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"


async def test_cors_is_off_by_default(start: Start) -> None:
    started = await start()
    async with started.client() as http:
        preflight = await http.options("/api/v1/tasks", headers=_preflight(ORIGIN))
        simple = await http.get("/api/v1/tasks", headers={"Origin": ORIGIN})
    assert simple.status_code == 200
    for answer in (preflight, simple):
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]


async def test_cors_answers_configured_origins_only(start: Start) -> None:
    started: Started = await start(server={"cors_origins": f"{ORIGIN}, https://other.example"})
    async with started.client() as http:
        preflight = await http.options("/api/v1/tasks", headers=_preflight(ORIGIN))
        stranger = await http.options("/api/v1/tasks", headers=_preflight("https://evil.example"))
        simple = await http.get("/api/v1/tasks", headers={"Origin": ORIGIN})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "idempotency-key", "content-type"} <= set(allowed.split(", "))
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    assert_secured(preflight)
    assert stranger.status_code == 400
    assert "Access-Control-Allow-Origin" not in stranger.headers
    assert simple.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = simple.headers["Access-Control-Expose-Headers"]
    assert {"Location", "Retry-After", "RateLimit", "RateLimit-Policy"} <= set(exposed.split(", "))


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }
