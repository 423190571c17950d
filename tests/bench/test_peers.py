"""The pure helpers of bench/peers.py: reading a peer's timing line, rates and ratios, and the
pins its virtual environments are made from (no peer is installed here)."""

from __future__ import annotations

import json

import pytest
from bench.peers import PINS, REDIS_DB, rates, ratio, total_seconds


def test_total_seconds_reads_the_last_json_line_of_a_peers_output() -> None:
    out = "\n".join(
        [
            "some worker chatter",
            json.dumps({"tasks": 1, "total_s": 9.0}),
            json.dumps({"tasks": 5000, "submit_s": 1.5, "total_s": 4.25}),
            "",
        ]
    )
    assert total_seconds(out) == 4.25


def test_total_seconds_says_what_it_got_when_there_is_no_timing() -> None:
    with pytest.raises(RuntimeError, match="no JSON timing line"):
        total_seconds("Traceback (most recent call last):\n  ...\n")


def test_rates_and_ratios() -> None:
    per_s = rates(5000, {"ours": 2.0, "arq": 5.0})
    assert per_s == {"ours": 2500.0, "arq": 1000.0}
    assert ratio(per_s["ours"], per_s["arq"]) == 2.5
    assert ratio(1.0, 3.0) == 0.333
    assert ratio(100.0, 0.0) == 0.0  # a peer that did not run


def test_every_peer_is_pinned_to_exact_versions_on_its_own_redis_database() -> None:
    for peer, pins in PINS.items():
        assert pins, peer
        assert all("==" in pin and ">" not in pin and "<" not in pin for pin in pins), peer
    assert set(REDIS_DB) <= set(PINS)
    assert len(set(REDIS_DB.values())) == len(REDIS_DB)
