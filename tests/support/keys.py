"""The data key the tests run with: encryption at rest is on by default, so the test stores and
nodes seal task data under this key (a fixed one, so a shared PostgreSQL database stays readable
from test to test). Never a key to use anywhere else."""

from __future__ import annotations

from swarmstack.security.crypto import Keyring, parse_key

TEST_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
OTHER_KEY = "//79/Pv6+fj39vX08/Lx8O/u7ezr6uno5+bl5OPi4eA="


def keyring_of_tests() -> Keyring:
    """A keyring with TEST_KEY as its current key."""
    return Keyring(parse_key(TEST_KEY, "tests"))
