"""Console task views: what each role lists, sees and may press."""

from __future__ import annotations

import pytest

from swarmstack.server.console.session import CSRF
from swarmstack.spec import SwarmSpec
from tests.conftest import SpecFactory
from tests.integration.server.conftest import Node
from tests.integration.server.console.browserlike import ORIGIN, browser, csrf_of, signed_in


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


async def test_the_submit_form_is_held_to_the_apis_rules_and_refused_as_a_page(node: Node) -> None:
    async with signed_in(node, "otto", "operator") as client:
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        for form, said in [
            ({"swarm": "echo", "input": "1", "priority": "bogus"}, "priority"),
            ({"swarm": "echo", "input": "NaN"}, "NaN"),
            ({"swarm": "echo", "input": '{"a": Infinity}'}, "Infinity"),
            ({"swarm": "ec\u0001ho", "input": "1"}, "swarm"),
        ]:
            refused = await client.post("/console/tasks", data=form, headers=headers)
            assert refused.status_code == 422, (form, refused.text[:300])
            assert "Invalid input" in refused.text and said in refused.text


@pytest.mark.parametrize("blank", ["", "   \n\t"])
async def test_an_empty_input_is_refused_with_what_to_write(node: Node, blank: str) -> None:
    async with signed_in(node, "otto", "operator") as client:
        form = await client.get("/console/tasks")
        assert 'id="submit-input" rows="3" maxlength="100000" required' in form.text
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        before = (await node.http.get("/api/v1/tasks")).json()["items"]
        refused = await client.post(
            "/console/tasks", data={"swarm": "echo", "input": blank}, headers=headers
        )
        assert refused.status_code == 422, refused.text[:300]
        assert "Invalid input" in refused.text and "input: empty" in refused.text
        assert "plain text" in refused.text  # what to write instead
        assert (await node.http.get("/api/v1/tasks")).json()["items"] == before  # none stored


@pytest.fixture
def swarms(swarms: list[SwarmSpec], make_spec: SpecFactory) -> list[SwarmSpec]:
    """The usual swarms and `inflate`, whose output is far larger than its input."""
    return [*swarms, make_spec("inflate", "tests.support.agents:inflate")]


async def test_a_huge_output_is_clipped_on_the_detail_page(node: Node) -> None:
    submitted = await node.http.post(
        "/api/v1/tasks?wait=10",
        json={"swarm": "inflate", "input": {"text": "A<b>", "times": 100_000}},
    )
    assert submitted.status_code in (200, 202), submitted.text[:300]
    task_id = submitted.json()["id"]
    async with signed_in(node, "ada", "admin") as client:
        for url in (f"/console/tasks/{task_id}", f"/console/tasks/{task_id}/live"):
            page = await client.get(url)
            assert page.status_code == 200
            assert len(page.text) < 200_000, len(page.text)
            assert "more characters not shown" in page.text
            assert "A&lt;b&gt;A&lt;b&gt;" in page.text and "A<b>" not in page.text


async def _queue(node: Node, count: int, swarm: str = "echo") -> None:
    """Submit `count` tasks in batches small enough for the test node's body limit."""
    for start in range(0, count, 100):
        tasks = [{"swarm": swarm, "input": i} for i in range(start, min(count, start + 100))]
        answer = await node.http.post("/api/v1/tasks/batch", json={"tasks": tasks})
        assert answer.status_code == 200, answer.text[:300]


async def test_bulk_rerun_of_more_than_a_thousand_says_how_to_reach_the_rest(node: Node) -> None:
    await _queue(node, 1001)
    async with signed_in(node, "ada", "admin") as client:
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        preview = await client.post(
            "/console/tasks/bulk/rerun/preview", data={"swarm": "echo"}, headers=headers
        )
        assert "1000" in preview.text and "run it again for the rest" not in preview.text
        assert "narrow the filter" in preview.text
        done = await client.post(
            "/console/tasks/bulk/rerun", data={"swarm": "echo"}, headers=headers
        )
        assert "1000 of 1000 tasks submitted again" in done.text


async def test_bulk_rerun_past_the_queue_cap_is_refused_whole_as_a_page(node: Node) -> None:
    await _queue(node, 5)
    made = await node.http.post(
        "/api/v1/admin/keys", json={"name": "capped", "role": "operator", "max_queued": 2}
    )
    key = made.json()["key"]
    async with browser(node) as client:
        page = await client.get("/console/login")
        form = {"api_key": key, "csrf": csrf_of(page)}
        assert (await client.post("/console/login", data=form, headers=ORIGIN)).status_code == 303
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        before = (await node.http.get("/api/v1/tasks?swarm=echo&limit=500")).json()["items"]
        refused = await client.post(
            "/console/tasks/bulk/rerun", data={"swarm": "echo"}, headers=headers
        )
        assert refused.status_code == 429, refused.text[:300]
        assert refused.headers["content-type"].startswith("text/html")
        assert "Too many requests" in refused.text and "queued" in refused.text
        after = (await node.http.get("/api/v1/tasks?swarm=echo&limit=500")).json()["items"]
        assert len(after) == len(before)  # nothing re-run: not some of them either


async def test_a_refused_bulk_action_names_the_permission_it_needs(node: Node) -> None:
    async with signed_in(node, "vic", "viewer") as client:
        headers = {**ORIGIN, "X-CSRF-Token": client.cookies[CSRF]}
        for url, needed in [
            ("/console/tasks/bulk/rerun/preview", "tasks:submit"),
            ("/console/tasks/bulk/rerun", "tasks:submit"),
            ("/console/tasks/bulk/cancel/preview", "tasks:cancel"),
            ("/console/tasks/bulk/cancel", "tasks:cancel"),
        ]:
            refused = await client.post(url, headers=headers)
            assert refused.status_code == 403 and needed in refused.text, (url, refused.text)
