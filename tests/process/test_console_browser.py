"""The web console in real Chromium (Debian's /usr/bin/chromium driven by Playwright) against
a real `swarmstack up`: sign in, submit and watch a task finish live, cancel one, filter a
thousand tasks, promote and abort a rollout, and a viewer who sees no button it may not use.
Saves the screenshots docs/console.md shows (with SWARMSTACK_SCREENSHOTS=docs/img/console)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import REPO, throwaway_database
from tests.process.conftest import Procs, wait_ready
from tests.support.net import free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [
    pytest.mark.process,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]
KEY = "ssk_console_browser_admin_key_0123"
PASSWORD = "correct horse battery staple"
# Screenshots go to a temporary folder unless SWARMSTACK_SCREENSHOTS names one (the docs' are
# refreshed with SWARMSTACK_SCREENSHOTS=docs/img/console), so a test run leaves the tree clean.
SHOTS = Path(
    os.environ.get("SWARMSTACK_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / "swarmstack-console-shots"
)
NAP = """\
version: 1
name: nap
description: Two agents that sleep input.s seconds each (a task that takes a while).
agents:
  first: {kind: python, entrypoint: "tests.support.agents:nap"}
  second: {kind: python, entrypoint: "tests.support.agents:nap"}
flow: {type: sequential, steps: [first, second]}
runtime: {retry_attempts: 0, timeout: 120s}
"""


@dataclass
class Console:
    """A running `swarmstack up` and an admin HTTP client of its API."""

    base: str
    api: httpx.Client
    data: Path

    def user(self, name: str, role: str) -> None:
        made = self.api.post(
            "/api/v1/admin/users", json={"username": name, "password": PASSWORD, "role": role}
        )
        assert made.status_code == 201, made.text

    def deploy(self, release: str) -> None:
        source = (REPO / "examples/triage/swarm.yaml").read_text()
        spec = source.replace('release: "1.0.0"', f'release: "{release}"').replace(
            "steps: [{weight: 10, pause: 60s}, {weight: 50, pause: 60s}]",
            "steps: [{weight: 50, pause: {}}, {weight: 80, pause: 1s}]",
        )
        answer = self.api.post("/api/v1/deployments", json={"spec_yaml": spec, "message": release})
        assert answer.status_code == 201, answer.text


_T = TypeVar("_T")


def _in_thread(work: Callable[[], _T]) -> _T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    """`up` with the console on SQLite, then on a PostgreSQL database of its own."""
    tmp = tmp_path_factory.mktemp("console")
    (tmp / "nap.yaml").write_text(NAP)
    with contextlib.ExitStack() as stack:
        env = {"SWARMSTACK_SECURITY__ADMIN_KEY": KEY}
        if request.param == "postgresql":
            # in a thread of its own: Playwright's sync API keeps an event loop in this one
            database = throwaway_database("swarmstack_console")
            env["SWARMSTACK_STORE__URL"] = _in_thread(lambda: next(database))
            stack.callback(_in_thread, lambda: next(database, None))
        procs = Procs(tmp)
        stack.callback(procs.stop_all)
        port = free_port()
        procs.start(
            "up",
            "examples/triage/swarm.yaml",
            str(tmp / "nap.yaml"),
            "--port",
            str(port),
            "--data-dir",
            str(tmp / "data"),
            name="up",
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, timeout_s=60)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as api:
            yield Console(base, api, tmp / "data")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def page_of(browser: Browser, width: int = 1280, height: int = 900) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height})
    return context.new_page()


def sign_in(page: Page, console: Console, name: str, shot: str | None = None) -> None:
    p = page
    p.goto(console.base + "/console")
    p.get_by_label("Username").fill(name)
    p.get_by_label("Password", exact=True).fill(PASSWORD)
    if shot:
        shoot(p, shot)
    p.get_by_role("button", name="Sign in").click()
    p.wait_for_url(re.compile(r"/console/(overview|tasks)"))


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_sign_in_submit_and_watch_a_task_finish_live(console: Console, browser: Browser) -> None:
    console.user("olga", "operator")
    page = page_of(browser)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, console, "olga", shot="sign-in")
    assert page.url.endswith("/console/overview")
    page.get_by_role("link", name="Tasks").click()
    page.get_by_text("Submit a task").click()
    page.locator("#submit-swarm").select_option("nap")
    page.get_by_label("Input (JSON, or plain text)").fill('{"s": 1.5}')
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/console/tasks/t_"))
    status = page.locator("#task-status")
    assert status.inner_text() in {"queued", "running"}
    url = page.url
    # no reload: the page follows the task's server-sent events
    expect(status).to_have_text("succeeded", timeout=30_000)
    assert page.url == url
    expect(page.locator("#task-output")).to_contain_text('"slept"')
    expect(page.locator("table.timeline")).to_contain_text("step_finished")
    shoot(page, "task")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_an_operator_cancels_a_running_task(console: Console, browser: Browser) -> None:
    task = console.api.post("/api/v1/tasks", json={"swarm": "nap", "input": {"s": 60}}).json()
    page = page_of(browser)
    sign_in(page, console, "olga")
    page.goto(f"{console.base}/console/tasks/{task['id']}")
    page.get_by_role("button", name="Cancel task").click()
    expect(page.locator("#task-status")).to_have_text("cancelled")
    assert console.api.get(f"/api/v1/tasks/{task['id']}").json()["status"] == "cancelled"


def test_filter_a_thousand_tasks_and_bulk_cancel_with_a_count(
    console: Console, browser: Browser
) -> None:
    for i in range(1000):
        body = {"swarm": "triage", "input": {"text": f"order {i} is late"}}
        assert console.api.post("/api/v1/tasks", json=body).status_code == 202
    page = page_of(browser)
    sign_in(page, console, "olga")
    page.goto(console.base + "/console/tasks?swarm=triage")
    rows = page.locator("#task-rows tr:not(#more-row)")
    expect(rows).to_have_count(50)
    page.get_by_role("link", name="Load more").click()
    expect(rows).to_have_count(100)
    page.get_by_label("Text in input or output").fill("order 777 is")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    shoot(page, "tasks")
    # three napping tasks to cancel by filter; the confirmation says how many
    for _ in range(3):
        console.api.post("/api/v1/tasks", json={"swarm": "nap", "input": {"s": 60}})
    page.goto(console.base + "/console/tasks?swarm=nap&status=running")
    page.goto(console.base + "/console/tasks?swarm=nap")
    page.get_by_role("button", name="Cancel matching…").click()
    expect(page.locator("#bulk-count")).to_have_text("3")
    shoot(page, "bulk-cancel")
    page.get_by_role("button", name="Cancel 3 tasks").click()
    expect(page.locator("#bulk-result")).to_contain_text("3 of 3 tasks cancelled")


def test_promote_and_abort_a_rollout(console: Console, browser: Browser) -> None:
    console.deploy("1.1.0")
    page = page_of(browser)
    sign_in(page, console, "olga")
    page.goto(console.base + "/console/swarms/triage")
    phase = page.locator("#phase")
    expect(phase).to_have_text("paused")
    expect(page.locator("#weight")).to_have_text("50%")
    shoot(page, "rollout")
    page.get_by_role("button", name="Promote", exact=True).click()
    expect(phase).to_have_text(re.compile("progressing|healthy"))
    expect(phase).to_have_text("healthy", timeout=30_000)  # polled, no reload
    console.deploy("1.2.0")
    page.reload()
    expect(phase).to_have_text("paused")
    page.get_by_role("button", name="Abort").click()
    expect(phase).to_have_text("aborted")
    status = console.api.get("/api/v1/swarms/triage/rollout").json()
    assert (status["phase"], status["stable"]) == ("aborted", "1.1.0")
    page.get_by_label("From").select_option("1.0.0")
    page.get_by_label("To").select_option("1.2.0")
    page.get_by_role("button", name="Show the diff").click()
    expect(page.locator("#diff")).to_contain_text("+release: 1.2.0")


def test_a_viewer_sees_no_button_it_may_not_use(console: Console, browser: Browser) -> None:
    console.user("vera", "viewer")
    task = console.api.post("/api/v1/tasks", json={"swarm": "nap", "input": {"s": 30}}).json()
    page = page_of(browser)
    sign_in(page, console, "vera")
    expect(page.locator("#charts")).to_have_attribute("data-loaded", "yes")
    shoot(page, "overview")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
    page.goto(f"{console.base}/console/tasks/{task['id']}")
    expect(page.locator("#task-status")).to_be_visible()
    for label in ("Cancel task", "Submit", "Cancel matching…", "Re-run matching…"):
        expect(page.get_by_role("button", name=label)).to_have_count(0)
    page.goto(console.base + "/console/tasks")
    expect(page.get_by_text("Submit a task")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel matching…")).to_have_count(0)
    page.goto(console.base + "/console/swarms/triage")
    expect(page.locator("#phase")).to_be_visible()
    for label in ("Promote", "Abort", "Retry", "Pause", "Resume"):
        expect(page.get_by_role("button", name=label)).to_have_count(0)
    console.api.post(f"/api/v1/tasks/{task['id']}/cancel")


def test_admin_view_and_a_phone_sized_screen(console: Console, browser: Browser) -> None:
    page = page_of(browser)
    page.goto(console.base + "/console/login")
    page.get_by_text("Sign in with an API key instead").click()
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    page.goto(console.base + "/console/admin")
    expect(page.locator("#audit")).to_contain_text("rollout.abort")
    expect(page.locator("#users")).to_contain_text("vera")
    shoot(page, "admin")
    phone = page_of(browser, 390, 844)
    sign_in(phone, console, "olga")
    phone.goto(console.base + "/console/tasks?swarm=triage")
    expect(phone.locator("#task-rows tr")).not_to_have_count(0)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # the table scrolls inside its box; the page does not
    shoot(phone, "phone")
    # keyboard: the skip link is the first stop and moves focus to the content
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("link", name="Skip to content")).to_be_focused()


def test_no_view_is_wider_than_a_phone(console: Console, browser: Browser) -> None:
    console.user("phoebe", "viewer")  # so the users table has a row to draw
    task = console.api.post("/api/v1/tasks?wait=10", json={"swarm": "triage", "input": "hi"})
    phone = page_of(browser, 390, 844)
    phone.goto(console.base + "/console/login")
    phone.get_by_text("Sign in with an API key instead").click()
    phone.get_by_label("API key").fill(KEY)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(re.compile(r"/console/overview"))
    views = ["overview", "tasks", f"tasks/{task.json()['id']}", "swarms", "swarms/triage", "admin"]
    for view in views:
        phone.goto(f"{console.base}/console/{view}")
        expect(phone.locator("main h1")).not_to_have_count(0)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (view, width)  # tables scroll inside their box, not the page
