"""The load generator's decisions: how many requests a plan sends, how an answer is judged.
A whole run against a real manager is in tests/process/test_loadtest_cli.py."""

from __future__ import annotations

import json

import httpx

from swarmstack.client.load import (
    POOL_SIZE,
    LoadPlan,
    Sample,
    Tally,
    _clients,
    _Sender,
    planned_total,
)

URL = "http://127.0.0.1:9"


def answer(status: int, body: object = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body or {}).encode())


def test_planned_total() -> None:
    assert planned_total(LoadPlan(URL)) == 1000
    assert planned_total(LoadPlan(URL, requests=None, duration_s=2, rate=50)) == 100
    assert planned_total(LoadPlan(URL, requests=None, duration_s=2)) is None


def test_a_plain_submit_succeeds_on_202_and_fails_on_an_http_error() -> None:
    sender = _Sender(LoadPlan(URL), [])
    assert sender.judge(answer(202)) is None
    assert sender.judge(answer(429)) == "http 429"
    assert sender.judge(answer(503)) == "http 503"


def test_with_wait_only_a_succeeded_outcome_counts_as_success() -> None:
    sender = _Sender(LoadPlan(URL, wait_s=5), [])
    assert sender.judge(answer(200, {"status": "succeeded"})) is None
    assert sender.judge(answer(200, {"status": "failed"})) == "task failed"
    assert sender.judge(answer(202, {"status": "queued"})) == "not finished within --wait"
    assert sender.params == {"wait": "5"}


def test_the_body_is_encoded_once_with_the_swarm_when_given() -> None:
    assert json.loads(_Sender(LoadPlan(URL, payload=[1]), []).body) == {"input": [1]}
    named = _Sender(LoadPlan(URL, swarm="triage", payload="x"), [])
    assert json.loads(named.body) == {"input": "x", "swarm": "triage"}
    assert named.params is None


async def test_connections_are_spread_over_small_pools() -> None:
    clients = _clients(LoadPlan(URL, concurrency=20, api_key="ssk_x"))
    try:
        assert len(clients) == 3  # ceil(20 / 8)
        assert POOL_SIZE == 8
        assert clients[0].headers["Authorization"] == "Bearer ssk_x"
    finally:
        for client in clients:
            await client.aclose()


def test_the_tally_counts_errors_and_keeps_recent_latencies() -> None:
    tally = Tally(total=3)
    for error in (None, "http 503", None):
        tally.add(Sample(0.0, 0.01, error))
    assert (tally.done, tally.errors, list(tally.recent)) == (3, 1, [0.01, 0.01, 0.01])
