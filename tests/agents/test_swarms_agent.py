"""`kind: swarms` agents. Without the swarms package (the project's own venv) a call fails with
a fix; with it (`make test-swarms`, its own venv) a real `swarms.Agent` runs on the fake LLM
server, offline: telemetry off, LiteLLM's bundled model prices."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
import yaml
from llm_helpers import Events

from swarmstack.agents import SwarmRuntime
from swarmstack.agents.context import TaskContext
from swarmstack.agents.swarms_agent import SwarmsCallable
from swarmstack.errors import InvalidInput
from swarmstack.spec.agents import SwarmsAgent
from swarmstack.spec.loader import parse_spec
from swarmstack.testing import FakeLLM

HAS_SWARMS = find_spec("swarms") is not None
needs_swarms = pytest.mark.skipif(
    not HAS_SWARMS, reason="swarms is not installed: make test-swarms"
)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SWARMS_TELEMETRY_ON", "false")
    monkeypatch.setenv("WORKSPACE_DIR", str(tmp_path / "agent_workspace"))  # Swarms' log files
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def ctx(events: Events) -> TaskContext:
    return TaskContext("t", "s", 1, events, secret=lambda name: f"secret-of-{name}")


def test_options_resolve_the_key_and_keep_quiet(events: Events) -> None:
    spec = SwarmsAgent(
        kind="swarms",
        config={"system_prompt": "hi", "verbose": True},
        base_url="http://llm/v1",
        api_key="${secret:OPENAI_API_KEY}",
    )
    options = SwarmsCallable("analyst", spec).options(ctx(events))
    assert options == {
        "autosave": False,
        "print_on": False,
        "verbose": True,
        "agent_name": "analyst",
        "system_prompt": "hi",
        "llm_base_url": "http://llm/v1",
        "llm_api_key": "secret-of-OPENAI_API_KEY",
    }


@pytest.mark.skipif(HAS_SWARMS, reason="swarms is installed here")
async def test_without_swarms_a_call_says_how_to_install_it(events: Events) -> None:
    spec = SwarmsAgent(kind="swarms", config={"model_name": "gpt-4o-mini"})
    with pytest.raises(InvalidInput, match="swarms package") as caught:
        await SwarmsCallable("a", spec)("x", ctx(events), None)
    assert caught.value.fix is not None and "swarmstack[swarms]" in caught.value.fix


@needs_swarms
@pytest.mark.filterwarnings("ignore")
async def test_a_real_swarms_agent_runs_in_a_flow(
    fake_llm: FakeLLM, events: Events, offline: None
) -> None:
    document: dict[str, Any] = {
        "name": "real-swarms",
        "agents": {
            "analyst": {
                "kind": "swarms",
                "base_url": fake_llm.base_url,
                "api_key": "${secret:OPENAI_API_KEY}",
                "config": {
                    "agent_name": "Analyst",
                    "system_prompt": "You analyse.",
                    "model_name": "gpt-4o-mini",
                    "max_loops": 1,
                },
            },
            "shout": {"kind": "python", "entrypoint": "agents_testkit:upper"},
        },
        "flow": {"type": "sequential", "steps": ["analyst", "shout"]},
    }
    runtime = SwarmRuntime(parse_spec(yaml.safe_dump(document), "real.yaml", {}))
    try:
        result = await runtime.run("market size", ctx(events))
    finally:
        await runtime.aclose()
    assert "ECHO: MARKET SIZE" in result
    sent = fake_llm.state.requests[-1]["messages"]
    assert any("You analyse." in str(m.get("content")) for m in sent)
    assert fake_llm.state.headers[-1]["authorization"] == "Bearer secret-of-OPENAI_API_KEY"
