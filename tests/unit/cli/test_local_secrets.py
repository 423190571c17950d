"""Secrets `up` keeps in its data directory."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from swarmstack.cli.local_secrets import local_secret, with_jwt_secret
from swarmstack.errors import SettingsError
from swarmstack.settings import Settings


def test_a_secret_is_created_once_private_and_reused(tmp_path: Path) -> None:
    value, created = local_secret(tmp_path / "s", "first")
    assert (value, created) == ("first", True)
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) == 0o600
    assert local_secret(tmp_path / "s", "second") == ("first", False)


def test_an_empty_secret_file_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "s").write_text("\n")
    with pytest.raises(SettingsError, match="delete it"):
        local_secret(tmp_path / "s", "x")


def test_a_configured_jwt_secret_wins_and_none_is_made(tmp_path: Path) -> None:
    configured = Settings(data_dir=tmp_path, security={"jwt_secret": "c" * 32})
    kept, created = with_jwt_secret(configured)
    assert kept is configured and created is None and not (tmp_path / "jwt.secret").exists()
    made, created = with_jwt_secret(Settings(data_dir=tmp_path))
    assert created == tmp_path / "jwt.secret"
    assert isinstance(made.security.jwt_secret, SecretStr)
    assert len(made.security.jwt_secret.get_secret_value()) >= 32
