"""Rendered names: valid at and past every limit, and different names never meet."""

from __future__ import annotations

import re

import pytest

from swarmstack.errors import InvalidInput
from swarmstack.render.names import (
    DNS_LABEL_MAX,
    check_distinct,
    is_dns_label,
    safe_name,
    swarm_label,
    worker_name,
)

LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SERVICE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")  # DNS-1035: Service names
ROOM = DNS_LABEL_MAX - len("swarmstack-worker-")  # 45


def valid_label(name: str) -> bool:
    return len(name) <= DNS_LABEL_MAX and LABEL.match(name) is not None


@pytest.mark.parametrize(
    "name",
    ["a", "a" * 62, "a" * 63, "x1-2y", "0abc"],
)
def test_a_name_that_fits_is_kept(name: str) -> None:
    assert safe_name(name) == name
    assert is_dns_label(name)


@pytest.mark.parametrize(
    "name",
    [
        "a" * 64,
        "a" * 200,
        "-lead",
        "trail-",
        "-both-",
        "Upper",
        "under_score",
        "dots.in.it",
        "___",
        "-",
        "ünïcode",
    ],
)
def test_a_name_that_does_not_fit_becomes_a_valid_one(name: str) -> None:
    safe = safe_name(name)
    assert valid_label(safe), safe
    assert safe != name
    assert safe == safe_name(name)  # deterministic


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ("a" * 63 + "x", "a" * 63 + "y"),  # differ only past the cut
        ("a" * 70 + "1", "a" * 70 + "2"),
        ("a_b", "a-b"),  # `_` becomes `-`
        ("a-", "a"),  # trailing dash stripped
        ("-a", "a"),
        ("A", "a"),
        ("a__b", "a_b"),
    ],
)
def test_different_names_never_meet(one: str, two: str) -> None:
    assert safe_name(one) != safe_name(two)
    assert worker_name(one) != worker_name(two)
    assert swarm_label(one) != swarm_label(two)


@pytest.mark.parametrize("length", [1, ROOM - 1, ROOM, ROOM + 1, 62, 63, 64, 100])
def test_worker_names_are_service_names_at_every_length(length: int) -> None:
    swarm = "s" * length
    name = worker_name(swarm)
    assert len(name) <= DNS_LABEL_MAX
    assert SERVICE.match(name), name
    assert valid_label(swarm_label(swarm))
    if length <= ROOM:
        assert name == f"swarmstack-worker-{swarm}"


def test_worker_names_of_swarms_that_differ_only_in_the_last_of_63_chars() -> None:
    swarms = [("q" * 62) + c for c in "abcdefghij-_0123456789"]
    names = {worker_name(s) for s in swarms}
    labels = {swarm_label(s) for s in swarms}
    assert len(names) == len(swarms)
    assert len(labels) == len(swarms)
    assert all(valid_label(n) for n in names | labels)


def test_check_distinct_passes_distinct_and_refuses_nothing_real() -> None:
    check_distinct(["a", "a_b", "a-b", "a" * 63, "a" * 62 + "b"])
    with pytest.raises(InvalidInput):
        # the only way to meet: a swarm literally named like another's derived name
        check_distinct(["a_b", safe_name("a_b")])
