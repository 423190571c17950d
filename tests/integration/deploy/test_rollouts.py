"""Deployments and rollouts end to end through the HTTP API, on SQLite and PostgreSQL: deploy,
identical redeploy, sticky routing, canary promote, canary abort with the re-run on stable,
blue-green preview, promote and instant switch-back, rollback with config, and a version whose
code no worker carries; tasks routed by a manager that has not yet heard of an abort."""

from __future__ import annotations

import asyncio

import httpx

from swarmstack.core.routing import choose
from swarmstack.metrics import Metrics
from swarmstack.node import build_node, build_worker
from tests.conftest import SpecFactory
from tests.integration.deploy.conftest import KEY, Cluster, canary_spec

ECHO = "tests.support.agents:echo"
UPPER = "tests.support.agents:upper"
FAILS = "tests.support.agents:always_fails"
BLUE_GREEN = "{strategy: blue-green, blue_green: {auto_promote: false}}"


async def test_the_start_files_are_the_stable_version(cluster: Cluster) -> None:
    state = await cluster.rollout()
    assert (state["phase"], state["stable"], state["candidate"]) == ("healthy", "1.0.0", None)
    task = await cluster.submit("hi")
    assert (task["status"], task["version"], task["result"]) == ("succeeded", "1.0.0", "hi")
    events = await cluster.node.store.events.after(task["id"])
    started = next(e for e in events if e.type == "started")
    assert started.data["version"] == "1.0.0"  # the event stream says which version ran it


async def test_identical_content_is_not_a_new_version(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    same = canary_spec(make_spec, ECHO, "1.0.0", "{strategy: canary}")
    again = await cluster.deploy(same)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert [d["version"] for d in (await cluster.http.get("/api/v1/deployments")).json()] == [
        "1.0.0"
    ]


async def test_a_changed_spec_with_an_old_release_gets_its_own_version(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    changed = canary_spec(make_spec, UPPER, "1.0.0", "{strategy: all-at-once}")
    answer = await cluster.deploy(changed)
    assert answer.status_code == 201
    assert answer.json()["deployment"]["version"].startswith("1.0.0+")


async def test_canary_routes_by_session_and_promotes_after_a_pause_for_a_human(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    v2 = canary_spec(
        make_spec, UPPER, "2.0.0", "{strategy: canary, steps: [{weight: 50, pause: {}}]}"
    )
    answer = await cluster.deploy(v2, message="louder")
    assert answer.status_code == 201, answer.text
    state = await cluster.until(lambda s: s["phase"] == "paused")
    assert (state["candidate"], state["weight"]) == ("2.0.0", 50)
    await asyncio.sleep(0.3)  # managers learn routes by refresh (every second at most)
    await cluster.node.manager.router.refresh()  # type: ignore[union-attr]
    for session in ("alice", "bob", "carol", "dave"):
        expected = choose(session, "1.0.0", "2.0.0", 50)
        first = await cluster.submit("x", session=session)
        again = await cluster.submit("y", session=session)
        assert first["version"] == again["version"] == expected  # a conversation stays put
        assert first["result"] == ("X" if expected == "2.0.0" else "x")
    promoted = await cluster.http.post("/api/v1/swarms/s/rollout/promote")
    assert promoted.status_code == 200, promoted.text
    state = await cluster.until(lambda s: s["phase"] == "healthy")
    assert (state["stable"], state["candidate"], state["weight"]) == ("2.0.0", None, 0)
    assert "promote" in [h["action"] for h in state["history"]]


async def test_a_failing_canary_is_aborted_and_its_failures_rerun_on_stable(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    bad = canary_spec(
        make_spec,
        FAILS,
        "2.0.0",
        "{strategy: canary, steps: [{weight: 100, pause: 60s}],"
        " analysis: {interval: 200ms, min_samples: 3, max_error_rate: 0.1}}",
    )
    assert (await cluster.deploy(bad)).status_code == 201
    await cluster.until(lambda s: s["weight"] == 100)
    await cluster.node.manager.router.refresh()  # type: ignore[union-attr]
    tasks = await asyncio.gather(*(cluster.submit(i) for i in range(6)))
    assert all(t["status"] == "succeeded" for t in tasks), tasks  # clients see stable's answers
    assert {t["version"] for t in tasks} == {"1.0.0"}
    assert all(t["attempt_errors"] and t["attempt_errors"][0]["status"] == "failed" for t in tasks)
    state = await cluster.until(lambda s: s["phase"] == "aborted")
    assert state["weight"] == 0
    router = cluster.node.manager.router  # type: ignore[union-attr]
    for _ in range(20):  # the leader's own routes follow the abort at once, not at the next
        if router.routes["s"].weight == 0:  # periodic refresh (every second)
            break
        await asyncio.sleep(0.01)
    assert router.version_for("s", "any-key") == "1.0.0"
    failed = [a for a in state["analyses"] if a["verdict"] == "fail"]
    assert failed and any(
        c["name"] == "error_rate" and c["verdict"] == "fail" for c in failed[-1]["checks"]
    )
    after = await cluster.submit("later")
    assert (after["version"], after["status"]) == ("1.0.0", "succeeded")
    audit = await cluster.node.store.audit.page(principal="system:rollout-controller")
    assert any(e.action.startswith("rollout.abort") and e.target == "s" for e in audit), audit


async def test_blue_green_preview_is_pinned_then_promoted_and_switched_back(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    green = canary_spec(make_spec, UPPER, "2.0.0", BLUE_GREEN)
    assert (await cluster.deploy(green)).status_code == 201
    state = await cluster.until(lambda s: s["candidate"] == "2.0.0")
    assert state["weight"] == 0
    preview = await cluster.submit("p", version="2.0.0")
    assert (preview["version"], preview["result"]) == ("2.0.0", "P")
    plain = await cluster.submit("p")
    assert plain["version"] == "1.0.0"
    header = await cluster.http.post(
        "/api/v1/tasks",
        params={"wait": 10},
        json={"swarm": "s", "input": "h"},
        headers={"X-Swarm-Version": "2.0.0"},
    )
    assert header.json()["version"] == "2.0.0"
    assert (await cluster.http.post("/api/v1/swarms/s/rollout/promote")).status_code == 200
    state = await cluster.until(lambda s: s["stable"] == "2.0.0")
    await cluster.node.manager.router.refresh()  # type: ignore[union-attr]
    assert (await cluster.submit("n"))["version"] == "2.0.0"
    back = await cluster.http.post("/api/v1/swarms/s/rollback", json={})
    assert back.status_code == 200, back.text
    assert back.json()["stable"] == "1.0.0"
    await cluster.node.manager.router.refresh()  # type: ignore[union-attr]
    assert (await cluster.submit("b"))["result"] == "b"  # the old version, warm and at once


async def test_rollback_to_a_named_version_brings_its_config(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    v2 = canary_spec(make_spec, UPPER, "2.0.0", "{strategy: all-at-once}")
    await cluster.deploy(v2)
    await cluster.until(lambda s: s["stable"] == "2.0.0")
    back = await cluster.http.post("/api/v1/swarms/s/rollback", json={"to": "1.0.0"})
    assert back.json()["stable"] == "1.0.0"
    await cluster.node.manager.router.refresh()  # type: ignore[union-attr]
    task = await cluster.submit("cfg")
    assert (task["version"], task["result"]) == ("1.0.0", "cfg")
    missing = await cluster.http.post("/api/v1/swarms/s/rollback", json={"to": "9.9.9"})
    assert missing.status_code == 404


async def test_a_started_worker_is_recorded_with_the_versions_it_loaded(cluster: Cluster) -> None:
    [worker] = await cluster.node.store.cluster.workers()
    assert worker.versions == ("s@1.0.0",)  # from its start, not from its first new version


async def test_a_version_whose_code_no_worker_carries_is_reported(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    v2 = canary_spec(make_spec, UPPER, "2.0.0", BLUE_GREEN)
    answer = await cluster.deploy(v2, code_version="image-2")
    assert answer.status_code == 201
    await asyncio.sleep(0.5)  # the worker looks for versions every 100 ms here
    [swarm] = (await cluster.http.get("/api/v1/swarms")).json()
    runnable = {v["version"]: v["runnable"] for v in swarm["versions"]}
    assert runnable == {"1.0.0": True, "2.0.0": False}
    pinned = await cluster.http.post(
        "/api/v1/tasks", json={"swarm": "s", "input": 1, "version": "2.0.0"}
    )
    assert pinned.status_code == 202
    await asyncio.sleep(0.3)
    task = (await cluster.http.get(f"/api/v1/tasks/{pinned.json()['id']}")).json()
    assert task["status"] == "queued"  # never claimed by a worker without that code
    gauge = cluster.node.metrics.versions_unrunnable.labels("s", "2.0.0")
    assert gauge._value.get() == 1  # reported by the leader, not left queued in silence
    image2 = cluster.settings.worker.model_copy(update={"code_version": "image-2"})
    carrier = await build_node(
        [],
        cluster.settings.model_copy(update={"worker": image2}),
        manager=False,
        worker=False,
        metrics=Metrics(),
    )
    carrier.worker = build_worker(
        carrier.store, [v2], carrier.settings, carrier.signals, carrier.metrics
    )
    await carrier.start_worker()
    try:
        for _ in range(200):  # a worker that carries image-2 loads 2.0.0 and runs the task
            task = (await cluster.http.get(f"/api/v1/tasks/{pinned.json()['id']}")).json()
            if task["status"] == "succeeded":
                break
            await asyncio.sleep(0.05)
        assert (task["status"], task["version"], task["result"]) == ("succeeded", "2.0.0", "1")
    finally:
        await carrier.stop(drain_timeout_s=1)


async def test_unknown_versions_and_verbs_are_clear_errors(cluster: Cluster) -> None:
    pinned = await cluster.http.post(
        "/api/v1/tasks", json={"swarm": "s", "input": 1, "version": "nope"}
    )
    assert pinned.status_code == 404
    assert "1.0.0" in pinned.text  # names the versions there are
    wrong = await cluster.http.post("/api/v1/swarms/s/rollout/promote")
    assert wrong.status_code == 409
    unknown = await cluster.http.get("/api/v1/swarms/zz/rollout")
    assert unknown.status_code == 404


async def test_a_candidate_no_worker_can_load_cannot_be_promoted_and_is_aborted(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    broken = canary_spec(
        make_spec,
        "tests.support.agents:no_such_agent",
        "2.0.0",
        "{strategy: canary, steps: [{weight: 50, pause: {}}]}",
    )
    assert (await cluster.deploy(broken)).status_code == 201
    await cluster.until(lambda s: s["phase"] == "paused")
    await asyncio.sleep(0.4)  # the worker tries to load it (every 100 ms here) and cannot
    refused = await cluster.http.post("/api/v1/swarms/s/rollout/promote")
    assert refused.status_code == 409
    assert "no live worker runs s 2.0.0" in refused.text
    state = await cluster.until(lambda s: s["phase"] == "aborted")  # stranded after 3 s here
    assert state["weight"] == 0
    assert state["history"][0]["message"].startswith("aborted: no live worker can run 2.0.0")
    assert state["history"][0]["version"] == "2.0.0"
    # Submitted at once: this manager's routes may still send some keys to 2.0.0 (they follow
    # the abort at the next refresh), and the store puts those tasks on stable instead
    tasks = await asyncio.gather(*(cluster.submit(f"after {i}") for i in range(16)))
    assert {(t["version"], t["status"]) for t in tasks} == {("1.0.0", "succeeded")}


async def test_a_manager_routing_from_before_an_abort_strands_no_task(
    cluster: Cluster, make_spec: SpecFactory
) -> None:
    broken = canary_spec(
        make_spec,
        "tests.support.agents:no_such_agent",
        "2.0.0",
        "{strategy: canary, steps: [{weight: 50, pause: {}}]}",
    )
    assert (await cluster.deploy(broken)).status_code == 201
    await cluster.until(lambda s: s["phase"] == "paused")
    first = canary_spec(make_spec, ECHO, "1.0.0", "{strategy: canary}")
    other = await build_node(
        [first], cluster.settings, metrics=Metrics(), worker=False, manager_id="m2"
    )
    await other.start_manager()
    assert other.manager is not None
    stale = other.manager.router
    await stale.refresh()
    await stale.aclose()  # its next refresh has not come yet when the abort commits
    sessions = [f"u{i}" for i in range(40) if stale.version_for("s", f"u{i}") == "2.0.0"]
    assert sessions
    aborted = await cluster.http.post("/api/v1/swarms/s/rollout/abort")
    assert aborted.status_code == 200, aborted.text
    transport = httpx.ASGITransport(app=other.app(manage_lifecycle=False))
    headers = {"Authorization": f"Bearer {KEY}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://m2", headers=headers
        ) as m2:
            answers = await asyncio.gather(
                *(
                    m2.post(
                        "/api/v1/tasks",
                        params={"wait": 10},
                        json={"swarm": "s", "input": s, "session": s},
                    )
                    for s in sessions
                )
            )
            pinned = await m2.post(
                "/api/v1/tasks", json={"swarm": "s", "input": 1, "version": "2.0.0"}
            )
    finally:
        await other.stop()
    assert {(a.json()["version"], a.json()["status"]) for a in answers} == {("1.0.0", "succeeded")}
    events = await cluster.node.store.events.after(answers[0].json()["id"])
    assert [e.data["reason"] for e in events if e.type == "rerouted"] == [
        "2.0.0 was aborted; 1.0.0 runs its tasks"
    ]
    assert pinned.status_code == 409
    assert "takes no new tasks: 2.0.0 was aborted" in pinned.text
