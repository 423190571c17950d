"""argon2id password hashing."""

from __future__ import annotations

import pytest

from swarmstack.errors import InvalidInput
from swarmstack.security.passwords import (
    MAX_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_a_hash_is_argon2id_and_verifies_only_its_password() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not needs_rehash(stored)


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert hash_password("same password") != hash_password("same password")


def test_an_unknown_user_never_verifies() -> None:
    assert not verify_password(None, "anything at all")


def test_a_garbled_stored_hash_is_a_mismatch_not_a_crash() -> None:
    assert not verify_password("$argon2id$garbage", "password1")
    assert not verify_password("plain text", "plain text")


@pytest.mark.parametrize("password", ["short", "x" * (MAX_LENGTH + 1)])
def test_passwords_too_short_or_too_long_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput, match="characters"):
        hash_password(password)
