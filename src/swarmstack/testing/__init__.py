"""Test doubles that stand in for paid services; today one: a fake OpenAI-compatible server.

`FakeLLM` runs `fake_llm.app` on 127.0.0.1 in a background thread; `python -m
swarmstack.testing.fake_llm --port 8911` runs it in the foreground for the offline examples.
"""

from swarmstack.testing.fake_llm import FakeLLM, FakeState, create_app
from swarmstack.testing.fake_script import Plan, plan_answer

__all__ = ["FakeLLM", "FakeState", "Plan", "create_app", "plan_answer"]
