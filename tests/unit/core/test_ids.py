"""Node ids fit the store's columns whatever the host name; task ids are ULID-like."""

from __future__ import annotations

import random
import time

import pytest

from swarmstack.core.ids import MAX_NODE_ID, encode_id, new_task_id, new_worker_id, node_id


@pytest.mark.parametrize("host", ["h", "a" * 63, "a." * 126 + "a"])
def test_worker_and_manager_ids_fit_their_column(host: str) -> None:
    worker = new_worker_id(host, 4_194_304)
    manager = node_id(host, 4_194_304)
    assert len(worker) <= MAX_NODE_ID
    assert len(manager) <= MAX_NODE_ID
    assert worker.startswith(host[:20])
    assert manager.endswith("-4194304")


def test_two_workers_on_one_long_host_get_different_ids() -> None:
    host = "x" * 253
    assert new_worker_id(host, 1) != new_worker_id(host, 1)


def _digit_by_digit(value: int) -> str:
    """The id encoding as the ULID spec states it: 26 base32 digits, most significant first."""
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    return "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(26)))


@pytest.mark.parametrize(
    "value", [0, 1, 31, 32, 2**80 - 1, 2**80, 0x0123456789ABCDEF0123456789ABCDEF, 2**128 - 1]
)
def test_ids_are_crockford_base32_of_their_128_bits(value: int) -> None:
    assert encode_id(value) == _digit_by_digit(value)


def test_random_ids_encode_as_their_digits() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        value = rng.getrandbits(128)
        assert encode_id(value) == _digit_by_digit(value)


def test_task_ids_strictly_increase_and_keep_their_shape() -> None:
    ids = [new_task_id() for _ in range(5000)]
    assert ids == sorted(set(ids))
    assert all(len(i) == 28 and i.startswith("t_") for i in ids)
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    millis = 0
    for digit in ids[-1][2:12]:  # the first 10 digits: milliseconds
        millis = millis * 32 + alphabet.index(digit)
    assert abs(millis / 1000 - time.time()) < 60
