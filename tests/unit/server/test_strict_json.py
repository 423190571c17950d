"""The strict-JSON check of task input: its fast pass lets through exactly what the walk that
names the place lets through, and a refusal names the place as before."""

from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest

from swarmstack.server.schemas import MAX_INPUT_DEPTH, _refuse_unstorable, _strict_json


def nested(depth: int, leaf: Any, *, kind: str) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"k": value} if kind == "dict" else [value]
    return value


def walk_passes(value: Any) -> bool:
    try:
        _refuse_unstorable(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("kind", ["dict", "list"])
@pytest.mark.parametrize("leaf", [1, "x", None, 1.5, {}, []])
def test_depth_is_limited_alike_at_the_edge(kind: str, leaf: Any) -> None:
    for depth in range(MAX_INPUT_DEPTH - 2, MAX_INPUT_DEPTH + 3):
        value = nested(depth, leaf, kind=kind)
        assert walk_passes(value) == _passes(value), depth


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"a": [1, {"b": math.nan}]}, "holds NaN at 'a[1].b'"),
        ([math.inf], "holds Infinity at '[0]'"),
        ({"x": -math.inf}, "holds -Infinity at 'x'"),
        ({"k": "a\ud800"}, "unpaired UTF-16 surrogate at 'k'"),
        ({"\udfff": 1}, "unpaired UTF-16 surrogate at '\udfff'"),
        ("\ud83d", "unpaired UTF-16 surrogate at the top level"),
        (nested(MAX_INPUT_DEPTH + 1, 1, kind="list"), "nests deeper than 64 levels"),
    ],
)
def test_a_refusal_says_what_and_where(value: Any, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        _strict_json(value)


def random_value(rng: random.Random, depth: int) -> Any:
    pick = rng.random()
    if depth > 4 or pick < 0.35:
        return rng.choice([1, -0.0, 2.5, math.nan, math.inf, "ok", "a\udc00", True, None, "é"])
    if pick < 0.7:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 2))]
    keys = ["a", "b\ud800", "c"]
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randint(0, 2))}


def test_the_fast_pass_agrees_with_the_walk_on_random_values() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        start = rng.choice([0, 0, 58, 60, 61, 62, 63])
        value = nested(start, random_value(rng, 0), kind=rng.choice(["dict", "list"]))
        assert _passes(value) == walk_passes(value)


def _passes(value: Any) -> bool:
    try:
        assert _strict_json(value) is value
    except ValueError:
        return False
    return True
