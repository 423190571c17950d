"""Every example spec loads; the research and plain-framework swarms run against the fake LLM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swarmstack.agents import SwarmRuntime
from swarmstack.spec import load_spec
from swarmstack.testing import FakeLLM

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "examples").glob("*/*.yaml"))


@pytest.fixture(autouse=True)
def importable_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.setenv("OPENAI_API_KEY", "fake")


@pytest.mark.parametrize("path", SPECS, ids=[f"{p.parent.name}/{p.name}" for p in SPECS])
def test_example_spec_loads(path: Path) -> None:
    assert load_spec(path, env={}).agents


RUNNABLE = [
    ("research/swarm.yaml", {"topic": "bees"}),
    ("research/pipeline.yaml", "solar panels"),
    ("research/concurrent.yaml", {"topic": "rivers"}),
    ("research/router.yaml", "[[say:researcher]] bees"),
    ("research/rules.yaml", "a draft"),
    ("frameworks/swarm.yaml", "Bees dance. Foragers share flowers."),
]


@pytest.mark.parametrize(("name", "data"), RUNNABLE, ids=[n for n, _ in RUNNABLE])
async def test_example_runs_offline(fake_llm: FakeLLM, make_ctx: Any, name: str, data: Any) -> None:
    spec = load_spec(ROOT / "examples" / name, env={"OPENAI_BASE_URL": fake_llm.base_url})
    runtime = SwarmRuntime(spec)
    ctx = make_ctx()
    ctx.secret = lambda key: "fake"
    try:
        output = await runtime.run(data, ctx)
    finally:
        await runtime.aclose()
    assert output
    assert all("error" not in step for step in ctx.trace)


def test_research_swarm_uses_every_flow_type() -> None:
    flows = {
        load_spec(p, env={}).flow.type
        for p in (ROOT / "examples/research").glob("*.yaml")
        if load_spec(p, env={}).flow is not None
    }
    assert flows == {"sequential", "concurrent", "router", "graph"}


LONG_TEXTS = {
    # each was quadratic (or worse) for the triage patterns before they were made linear
    "no-at": "a" * 1_000_000,
    "spaces-after-order": "order" + " " * 1_000_000,
    "dotted-run": "a." * 500_000,
    "many-ats": "a@" * 500_000,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", LONG_TEXTS.values(), ids=LONG_TEXTS.keys())
async def test_triage_handles_a_megabyte_of_text(make_ctx: Any, text: str) -> None:
    """The sync agents hold the GIL while `re` runs: a backtracking pattern would never return."""
    runtime = SwarmRuntime(load_spec(ROOT / "examples/triage/swarm.yaml", env={}))
    ctx = make_ctx()
    try:
        output = await runtime.run({"text": f"{text} mail bob@example.com order #12345"}, ctx)
    finally:
        await runtime.aclose()
    assert output["contacts"] == ["bob@example.com"]
    assert output["orders"] == ["12345"]


async def test_digest_handles_a_megabyte_of_text(make_ctx: Any) -> None:
    runtime = SwarmRuntime(load_spec(ROOT / "examples/digest/swarm.yaml", env={}))
    try:
        output = await runtime.run({"text": "Bees dance. " * 87_000}, make_ctx())
    finally:
        await runtime.aclose()
    assert output["sentences"] == 87_000
