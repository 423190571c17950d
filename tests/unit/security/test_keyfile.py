"""Key files: created private, new keys on top, the old ones kept, read back as written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from swarmstack.errors import SettingsError
from swarmstack.security.crypto import parse_key
from swarmstack.security.keyfile import (
    DEFAULT_NAME,
    add_key,
    create_key_file,
    read_keys,
    with_default_key_file,
    write_keys,
)
from swarmstack.settings import Settings
from tests.support.keys import OTHER_KEY, TEST_KEY


def test_a_created_key_file_is_private_and_holds_one_valid_key(tmp_path: Path) -> None:
    path = tmp_path / "d" / DEFAULT_NAME
    assert create_key_file(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = read_keys(path)
    assert len(keys) == 1 and len(parse_key(keys[0], "test")) == 32
    assert create_key_file(path) is False  # a second start reuses it
    assert read_keys(path) == keys


def test_a_new_key_goes_on_top_and_the_old_ones_stay(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_NAME
    write_keys(path, [TEST_KEY])
    new = add_key(path)
    assert read_keys(path) == [new, TEST_KEY]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.tmp"))


def test_comments_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text(f"# a comment\n\n  {TEST_KEY}  \n# older\n{OTHER_KEY}\n")
    assert read_keys(path) == [TEST_KEY, OTHER_KEY]


@pytest.mark.parametrize("content", [None, "", "# only a comment\n"])
def test_a_missing_or_empty_key_file_is_a_clear_error(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "k"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError) as caught:
        read_keys(path)
    assert str(path) in str(caught.value) and caught.value.where == "security.encryption_key_file"


def test_up_uses_the_data_dirs_key_file_only_when_no_key_is_set(tmp_path: Path) -> None:
    plain = Settings(data_dir=tmp_path)
    assert with_default_key_file(plain, create=False) == (plain, None)
    settings, created = with_default_key_file(plain)
    assert created == (tmp_path / DEFAULT_NAME).resolve()
    assert settings.security.encryption_key_file == created
    again, created_again = with_default_key_file(plain)
    assert created_again is None and again.security.encryption_key_file == created
    keyed = Settings(data_dir=tmp_path, security={"encryption_key": TEST_KEY})  # type: ignore[arg-type]
    off = Settings(data_dir=tmp_path, security={"encryption": False})  # type: ignore[arg-type]
    for settings in (keyed, off):
        assert with_default_key_file(settings) == (settings, None)
