"""What arrives on a signal channel is untrusted: malformed payloads are ignored, never fatal."""

from __future__ import annotations

import json

import pytest

from swarmstack.signals import PgSignals


@pytest.mark.parametrize(
    "payload",
    ["not json", "[1, 2]", "42", '{"f": 5}', '{"c": [1]}', '{"f": "t_1"}', "null", ""],
)
async def test_a_malformed_signal_is_ignored(payload: str) -> None:
    signals = PgSignals("postgresql+asyncpg://u@127.0.0.1/none")
    seen: list[list[str]] = []
    signals.on_finished(seen.append)
    signals.on_cancel(seen.append)
    signals.received(payload)
    assert seen == []


async def test_a_well_formed_signal_from_another_node_is_delivered() -> None:
    signals = PgSignals("postgresql+asyncpg://u@127.0.0.1/none")
    seen: list[list[str]] = []
    signals.on_finished(seen.append)
    signals.received(json.dumps({"n": "other", "f": ["t_1", "t_2"]}))
    signals.received(json.dumps({"n": signals.node, "f": ["t_3"]}))  # our own: skipped
    assert seen == [["t_1", "t_2"]]
