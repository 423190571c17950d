"""Rate limits through the real ASGI app: 429 with Retry-After and RateLimit headers, per role
and per key, per source address (X-Forwarded-For only through trusted proxies), live reload,
and limits shared by two managers on one Redis, which fail open when Redis goes away."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.server.conftest import Start
from tests.support.redis_server import RedisServer


async def test_past_the_burst_429_says_when_to_retry_and_every_answer_counts_down(
    start: Start,
) -> None:
    started = await start(rate_limits={"admin_rate": 0.5, "admin_burst": 3})
    async with started.client() as http:
        answers = [await http.get("/api/v1/tasks") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Policy"] for a in answers] == ['"principal";q=3;w=6'] * 4
    assert [a.headers["RateLimit"] for a in answers[:3]] == [
        '"principal";r=2;t=2',
        '"principal";r=1;t=4',
        '"principal";r=0;t=6',
    ]
    refused = answers[3]
    assert refused.headers["Retry-After"] == "2"
    assert refused.headers["RateLimit"] == '"principal";r=0;t=2'
    assert refused.headers["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["status"] == 429 and problem["limit"] == "principal"
    assert "3 requests at once or 0.5/s" in problem["detail"]
    assert "rate_limits.<role>_rate" in problem["fix"]
    metrics = started.node.metrics
    assert metrics.ratelimit_rejected.labels("principal")._value.get() == 1


async def test_each_principal_has_its_own_bucket_and_a_key_may_override_its_role(
    start: Start,
) -> None:
    started = await start(rate_limits={"submitter_rate": 1, "submitter_burst": 2})
    plain = await started.key("plain", "submitter")
    fast = await started.key("fast", "submitter", rate_limit=50.0)  # burst 50 * 2/1 = 100
    free = await started.key("free", "submitter", rate_limit=0.0)  # no limit
    async with started.client(plain) as a, started.client(fast) as b, started.client(free) as c:
        plain_codes = [(await a.get("/api/v1/tasks")).status_code for _ in range(3)]
        fast_answers = [await b.get("/api/v1/tasks") for _ in range(100)]
        free_answers = [await c.get("/api/v1/tasks") for _ in range(150)]
    assert plain_codes == [200, 200, 429]
    assert {a.status_code for a in fast_answers} == {200}
    assert fast_answers[0].headers["RateLimit-Policy"] == '"principal";q=100;w=2'
    assert {a.status_code for a in free_answers} == {200}
    assert "RateLimit" not in free_answers[0].headers


async def test_requests_without_valid_credentials_are_limited_per_source_address(
    start: Start,
) -> None:
    started = await start(rate_limits={"source_rate": 0.1, "source_burst": 3})
    async with started.client(None) as anonymous, started.client("ssk_wrong") as guessing:
        codes = [(await anonymous.get("/api/v1/tasks")).status_code for _ in range(2)]
        codes += [(await guessing.get("/api/v1/tasks")).status_code for _ in range(2)]
        refused = await guessing.get("/api/v1/tasks")
    assert codes == [401, 401, 401, 429]  # one bucket per address, whatever the key
    assert refused.headers["RateLimit"] == '"source";r=0;t=10'
    assert refused.headers["Retry-After"] == "10"
    assert refused.json()["limit"] == "source"
    async with started.client() as admin, started.client(None, ("198.51.100.7", 1)) as other:
        assert (await admin.get("/api/v1/tasks")).status_code == 200  # valid keys: not counted
        assert (await other.get("/api/v1/tasks")).status_code == 401  # another address


async def test_without_trusted_proxies_a_forwarded_for_header_changes_nothing(
    start: Start,
) -> None:
    started = await start(rate_limits={"source_rate": 0.1, "source_burst": 2})
    async with started.client(None) as http:
        codes = [
            (
                await http.get("/api/v1/tasks", headers={"X-Forwarded-For": f"192.0.2.{i}"})
            ).status_code
            for i in range(3)
        ]
    assert codes == [401, 401, 429]


async def test_behind_a_trusted_proxy_each_client_address_has_its_own_bucket(
    start: Start,
) -> None:
    started = await start(
        rate_limits={"source_rate": 0.1, "source_burst": 2},
        server={"trusted_proxies": ["10.0.0.0/8"]},
    )
    proxy = ("10.0.0.2", 50000)

    async def code(http: httpx.AsyncClient, forwarded: str) -> int:
        answer = await http.get("/api/v1/tasks", headers={"X-Forwarded-For": forwarded})
        return answer.status_code

    async with started.client(None, proxy) as http:
        first = [await code(http, "192.0.2.1") for _ in range(3)]
        second = [await code(http, "192.0.2.2") for _ in range(2)]
        # a client cannot escape by prepending addresses: the proxy appended the real one
        spoofed = [await code(http, f"198.51.100.{i}, 192.0.2.1") for i in range(2)]
    assert first == [401, 401, 429]
    assert second == [401, 401]
    assert spoofed == [429, 429]


async def test_limits_change_on_reload_and_can_be_turned_off(start: Start) -> None:
    started = await start(rate_limits={"admin_rate": 0.1, "admin_burst": 1})
    async with started.client() as http:
        assert [(await http.get("/api/v1/tasks")).status_code for _ in range(2)] == [200, 429]
        settings = started.node.settings.model_copy(deep=True)
        settings.rate_limits.admin_rate, settings.rate_limits.admin_burst = 1000.0, 50
        assert await started.node.reload(settings) == []  # all live
        assert (await http.get("/api/v1/tasks")).status_code == 200
        settings = settings.model_copy(deep=True)
        settings.rate_limits.enabled = False
        await started.node.reload(settings)
        answers = [await http.get("/api/v1/tasks") for _ in range(60)]
    assert {a.status_code for a in answers} == {200}
    assert "RateLimit" not in answers[0].headers


async def test_two_managers_on_one_redis_enforce_one_limit(
    start: Start, redis_server: RedisServer
) -> None:
    limits = {"admin_rate": 0.1, "admin_burst": 4, "source_rate": 0.1, "source_burst": 2}
    a = await start(redis={"url": redis_server.url}, rate_limits=limits)
    b = await start(redis={"url": redis_server.url}, rate_limits=limits)
    async with a.client() as one, b.client() as two:
        codes = [(await http.get("/api/v1/tasks")).status_code for http in [one, two] * 3]
    async with a.client(None) as one, b.client(None) as two:
        anonymous = [(await http.get("/api/v1/tasks")).status_code for http in [one, two, one]]
    assert codes == [200, 200, 200, 200, 429, 429]
    assert anonymous == [401, 401, 429]


async def test_when_redis_goes_away_requests_still_pass_and_it_is_logged(
    start: Start, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    started = await start(redis={"url": redis_server.url}, rate_limits={"admin_burst": 50})
    async with started.client() as http:
        assert (await http.get("/api/v1/tasks")).headers["RateLimit"] == '"principal";r=49;t=1'
        redis_server.stop()
        answers = [await http.get("/api/v1/tasks") for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert "Redis unavailable" in caplog.text
    assert started.node.metrics.ratelimit_backend_errors._value.get() >= 1
