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
