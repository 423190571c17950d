"""config.toml [agents] fills the runtime keys a spec leaves unset, never the ones it sets."""

from __future__ import annotations

from swarmstack.settings.defaults import with_agent_defaults
from swarmstack.settings.models import AgentDefaults
from swarmstack.spec import SwarmSpec


def spec(runtime: dict[str, object]) -> SwarmSpec:
    return SwarmSpec.model_validate(
        {
            "version": 1,
            "name": "s",
            "agents": {"a": {"kind": "python", "entrypoint": "tests.support.agents:echo"}},
            "runtime": runtime,
        }
    )


def test_unset_keys_come_from_settings_and_set_keys_stay() -> None:
    defaults = AgentDefaults(max_concurrent=7, timeout=12.0, retry_attempts=1, retry_delay=2.0)
    result = with_agent_defaults(spec({"timeout": "3s"}), defaults)
    assert result.runtime.timeout == 3.0
    assert result.runtime.max_concurrent == 7
    assert result.runtime.retry_attempts == 1
    assert result.runtime.retry_delay == 2.0


def test_no_defaults_leave_the_spec_alone() -> None:
    original = spec({})
    assert with_agent_defaults(original, AgentDefaults()) is original
