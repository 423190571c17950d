"""The keys a node runs with: from its settings, refused when missing or invalid, and kept
current when its key file changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmstack.errors import SettingsError, UnknownKey
from swarmstack.security.crypto import Keyring, key_id, kid_of, parse_key
from swarmstack.security.keyfile import add_key, read_keys, write_keys
from swarmstack.security.keyring import CHECK_S, LiveKeyring, load_keyring
from swarmstack.settings import load_settings
from swarmstack.settings.models import SecuritySettings
from tests.support.keys import OTHER_KEY, TEST_KEY

KID = key_id(parse_key(TEST_KEY, "test"))
OTHER_KID = key_id(parse_key(OTHER_KEY, "test"))


def security(**values: object) -> SecuritySettings:
    return SecuritySettings.model_validate(values)


def test_encryption_on_without_a_key_stops_with_how_to_set_one_or_turn_it_off() -> None:
    with pytest.raises(SettingsError) as caught:
        load_keyring(security())
    text = str(caught.value)
    assert "no encryption key is set" in text
    assert "SWARM_ENCRYPTION_KEY" in text and "openssl rand -base64 32" in text
    assert "SWARMSTACK_SECURITY__ENCRYPTION=false" in text


def test_a_key_makes_the_current_key_and_previous_keys_only_decrypt() -> None:
    ring = load_keyring(security(encryption_key=TEST_KEY, encryption_previous_keys=[OTHER_KEY]))
    assert ring.current_kid == KID and ring.kids == (KID, OTHER_KID)


def test_with_encryption_off_the_keys_only_decrypt() -> None:
    ring = load_keyring(security(encryption=False, encryption_key=TEST_KEY))
    assert ring.current_kid is None and ring.knows(KID)
    assert load_keyring(security(encryption=False)).kids == ()


def test_a_key_and_a_key_file_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="set one of them"):
        load_keyring(security(encryption_key=TEST_KEY, encryption_key_file=tmp_path / "k"))


def test_a_bad_key_names_where_it_was_set_not_its_value() -> None:
    with pytest.raises(SettingsError) as caught:
        load_keyring(security(encryption_key=TEST_KEY, encryption_previous_keys=["nope"]))
    assert caught.value.where == "security.encryption_previous_keys"


def test_the_environment_names_map_to_the_keys(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    write_keys(key_file, [TEST_KEY, OTHER_KEY])
    single = tmp_path / "single"
    single.write_text(TEST_KEY + "\n")
    for environ in (
        {"SWARM_ENCRYPTION_KEY": TEST_KEY},
        {"SWARMSTACK_SECURITY__ENCRYPTION_KEY": TEST_KEY},
        {"SWARM_ENCRYPTION_KEY_FILE": str(single)},
        {"SWARMSTACK_SECURITY__ENCRYPTION_KEY_FILE": str(single)},
    ):
        settings = load_settings(environ=environ)
        assert load_keyring(settings.security).current_kid == KID, environ
    both = load_settings(environ={"SWARM_ENCRYPTION_KEY_FILE": str(key_file)})
    assert both.security.encryption_key_file == key_file
    assert load_keyring(both.security).kids == (KID, OTHER_KID)
    listed = load_settings(
        environ={
            "SWARM_ENCRYPTION_KEY": OTHER_KEY,
            "SWARMSTACK_SECURITY__ENCRYPTION_PREVIOUS_KEYS": f"{TEST_KEY}, {OTHER_KEY}",
        }
    )
    assert load_keyring(listed.security).kids == (OTHER_KID, KID)
    previous_file = tmp_path / "previous"
    previous_file.write_text(f"{TEST_KEY}\n")
    from_file = load_settings(
        environ={
            "SWARM_ENCRYPTION_KEY": OTHER_KEY,
            "SWARMSTACK_SECURITY__ENCRYPTION_PREVIOUS_KEYS_FILE": str(previous_file),
        }
    )
    assert load_keyring(from_file.security).kids == (OTHER_KID, KID)
    off = load_settings(environ={"SWARMSTACK_SECURITY__ENCRYPTION": "false"})
    assert off.security.encryption is False


def test_secrets_never_show_in_a_repr(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "SWARM_ENCRYPTION_KEY": TEST_KEY,
            "SWARMSTACK_SECURITY__ENCRYPTION_PREVIOUS_KEYS": OTHER_KEY,
        }
    )
    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert TEST_KEY not in text and OTHER_KEY not in text
    ring = load_keyring(settings.security)
    assert TEST_KEY not in repr(ring) and OTHER_KEY not in repr(LiveKeyring(settings.security))


def test_a_node_reads_a_new_key_in_its_key_file_when_it_meets_it(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    write_keys(path, [TEST_KEY])
    node = LiveKeyring(security(encryption_key_file=path))
    add_key(path)  # as `swarmstack keys rotate-data` does
    newer = load_keyring(security(encryption_key_file=path))
    sealed = newer.seal("under the new key", "tasks.result")
    assert node.open(sealed, "tasks.result") == "under the new key"  # re-read at once
    assert node.kids == newer.kids


def test_a_node_seals_under_a_new_key_soon_after_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    write_keys(path, [TEST_KEY])
    node = LiveKeyring(security(encryption_key_file=path))
    new = add_key(path)
    assert kid_of(node.seal("x", "tasks.input")) == KID  # within CHECK_S: the old key still
    node._checked -= CHECK_S  # CHECK_S later
    assert kid_of(node.seal("x", "tasks.input")) == key_id(parse_key(new, "test"))
    assert read_keys(path)[1] == TEST_KEY


def test_an_unknown_key_stays_an_error_and_a_broken_file_keeps_the_keys_in_use(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keys"
    write_keys(path, [TEST_KEY])
    node = LiveKeyring(security(encryption_key_file=path))
    foreign = Keyring(parse_key(OTHER_KEY, "test")).seal("x", "tasks.input")
    with pytest.raises(UnknownKey):
        node.open(foreign, "tasks.input")
    path.write_text("# emptied by mistake\n")
    assert node.refresh(force=True) is False
    assert node.current_kid == KID


def test_keys_set_in_the_settings_change_on_use(tmp_path: Path) -> None:
    node = LiveKeyring(security(encryption_key=TEST_KEY))
    node.use(security(encryption_key=OTHER_KEY, encryption_previous_keys=[TEST_KEY]))
    assert node.kids == (OTHER_KID, KID)
    with pytest.raises(SettingsError):
        node.use(security())
    assert node.kids == (OTHER_KID, KID)
