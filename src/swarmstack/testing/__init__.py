"""Test doubles that stand in for paid services; today one: a fake OpenAI-compatible server.

`FakeLLM` runs `fake_llm.app` on 127.0.0.1 in a background thread; `python -m
swarmstack.testing.fake_llm --port 8911` runs it in the foreground for the offline examples.
The names are imported on first use, not here: importing `fake_llm` from this package's
`__init__` would load it before `python -m` runs it as `__main__` (a RuntimeWarning, and two
copies of the module).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swarmstack.testing.fake_llm import FakeLLM, FakeState, create_app
    from swarmstack.testing.fake_script import Plan, plan_answer

__all__ = ["FakeLLM", "FakeState", "Plan", "create_app", "plan_answer"]
_HOME = {
    "FakeLLM": "fake_llm",
    "FakeState": "fake_llm",
    "create_app": "fake_llm",
    "Plan": "fake_script",
    "plan_answer": "fake_script",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
