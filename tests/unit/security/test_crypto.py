"""Sealing stored values: round trips, and every way a value can fail to open without garbage."""

from __future__ import annotations

import base64
import binascii

import pytest

from swarmstack.errors import DecryptionFailed, SettingsError, UnknownKey
from swarmstack.security.crypto import (
    ESCAPED,
    SEALED,
    Keyring,
    key_id,
    kid_of,
    new_key,
    parse_key,
)
from tests.support.keys import OTHER_KEY, TEST_KEY

KEY = parse_key(TEST_KEY, "test")
OTHER = parse_key(OTHER_KEY, "test")
RING = Keyring(KEY)
COLUMN = "tasks.input"


@pytest.mark.parametrize(
    "text", ["", "hello", '{"a":[1,2,3]}', "ünïcødé ✓ 𝄞", "x" * 100_000, "enc1:looks sealed"]
)
def test_a_sealed_value_opens_to_what_was_sealed(text: str) -> None:
    sealed = RING.seal(text, COLUMN)
    assert sealed.startswith(f"{SEALED}{RING.current_kid}:")
    assert RING.open(sealed, COLUMN) == text
    if len(text) > 3:
        assert text not in sealed


def test_each_value_has_its_own_nonce() -> None:
    assert RING.seal("same", COLUMN) != RING.seal("same", COLUMN)


def test_the_key_id_is_stable_short_and_not_the_key() -> None:
    assert key_id(KEY) == key_id(bytes(KEY)) == RING.current_kid
    assert key_id(KEY) != key_id(OTHER)
    assert all(c in "0123456789abcdef" for c in key_id(KEY))
    assert key_id(KEY) not in (TEST_KEY, KEY.hex())


def test_the_key_id_never_changes_across_releases() -> None:
    """Stored values name their key by this id: changing its derivation orphans them."""
    assert key_id(bytes(range(32))) == "c12bbad0" == key_id(base64.b64decode(TEST_KEY))
    assert key_id(bytes(32)) == "96c0da45"
    assert kid_of(RING.seal("x", COLUMN)) == key_id(KEY)


def test_a_value_under_an_unknown_key_raises_naming_the_key_id() -> None:
    sealed = Keyring(OTHER).seal("secret", COLUMN)
    with pytest.raises(UnknownKey) as caught:
        RING.open(sealed, COLUMN)
    assert caught.value.kid == key_id(OTHER)
    assert key_id(OTHER) in str(caught.value) and RING.current_kid in str(caught.value)
    assert caught.value.status == 500


def test_a_wrong_key_with_the_same_id_fails_the_tag_check() -> None:
    forged = Keyring(OTHER).seal("secret", COLUMN).replace(key_id(OTHER), key_id(KEY))
    with pytest.raises(DecryptionFailed, match="integrity check"):
        RING.open(forged, COLUMN)


@pytest.mark.parametrize("position", [len(SEALED) + 9 + 5, -5, -1])
def test_a_tampered_value_raises(position: int) -> None:
    sealed = RING.seal("pay 100 to alice", COLUMN)
    head, body = sealed[: len(SEALED) + 9], sealed[len(SEALED) + 9 :]
    raw = bytearray(binascii.a2b_base64(body))
    raw[position - len(head) if position > 0 else position] ^= 0x01
    tampered = head + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(DecryptionFailed):
        RING.open(tampered, COLUMN)


@pytest.mark.parametrize(
    "cut", ["enc1:", "enc1:abcdefgh", "enc1:abcd", "enc1:{kid}:", "enc1:{kid}:@@"]
)
def test_a_malformed_value_raises(cut: str) -> None:
    with pytest.raises(DecryptionFailed):
        RING.open(cut.format(kid=RING.current_kid), COLUMN)


def test_a_value_moved_to_another_column_does_not_open() -> None:
    sealed = RING.seal("the result", "tasks.result")
    assert RING.open(sealed, "tasks.result") == "the result"
    with pytest.raises(DecryptionFailed, match="copied from another column"):
        RING.open(sealed, "tasks.error")


@pytest.mark.parametrize("plain", ['{"legacy": true}', "[1]", "an error", "", "e", "encore"])
def test_plain_values_from_before_encryption_read_back_unchanged(plain: str) -> None:
    assert RING.open(plain, COLUMN) == plain
    assert Keyring().open(plain, COLUMN) == plain


def test_with_encryption_off_nothing_is_sealed_and_marker_text_round_trips() -> None:
    off = Keyring()
    assert off.current_kid is None and off.kids == ()
    assert off.seal("plain", COLUMN) == "plain"
    for text in ("enc1:abcdefgh:AAAA", "enc0:x", "enc0:"):
        stored = off.seal(text, COLUMN)
        assert stored == ESCAPED + text
        assert off.open(stored, COLUMN) == text
        assert RING.open(stored, COLUMN) == text


def test_older_keys_open_but_only_the_current_one_seals() -> None:
    before = Keyring(OTHER).seal("old", COLUMN)
    rotated = Keyring(KEY, [OTHER])
    assert rotated.kids == (key_id(KEY), key_id(OTHER))
    assert rotated.open(before, COLUMN) == "old"
    assert kid_of(rotated.seal("new", COLUMN)) == key_id(KEY)
    decrypt_only = Keyring(None, [OTHER])
    assert decrypt_only.open(before, COLUMN) == "old"
    assert decrypt_only.seal("new", COLUMN) == "new"


@pytest.mark.parametrize(
    "text", ["", "short", base64.b64encode(bytes(16)).decode(), "!" * 44, TEST_KEY + "AAAA"]
)
def test_a_key_that_is_not_32_base64_bytes_is_refused_without_showing_it(text: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_key(text, "SWARM_ENCRYPTION_KEY")
    assert caught.value.where == "SWARM_ENCRYPTION_KEY"
    assert "openssl rand -base64 32" in (caught.value.fix or "")
    if text:
        assert text not in str(caught.value)


def test_new_keys_are_random_32_byte_base64() -> None:
    first, second = new_key(), new_key()
    assert first != second
    assert len(parse_key(first, "x")) == 32
    assert parse_key(f"  {first}\n", "x") == parse_key(first, "x")
