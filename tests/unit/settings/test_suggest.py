"""Unknown setting names: the closest known one, and the list to choose from."""

from __future__ import annotations

from swarmstack.settings.suggest import closest, unknown_env_name, unknown_toml_key

KNOWN = [("server", "port"), ("server", "host"), ("worker", "batch_size"), ("", "log_level")]


def test_closest_finds_a_typo_and_nothing_for_noise() -> None:
    assert closest("prot", ["port", "host"]) == "port"
    assert closest("zzzz", ["port", "host"]) is None


def test_an_unknown_key_lists_its_section_and_suggests_one() -> None:
    error = unknown_toml_key("server", "prot", "config.toml", KNOWN)
    assert "unknown setting 'prot' in [server]" in error.render()
    assert "did you mean port?" in error.render()
    assert "host, port" in error.render()


def test_an_unknown_section_lists_the_sections() -> None:
    error = unknown_toml_key("servr", "port", "config.toml", KNOWN)
    assert "unknown section [servr]" in error.render()
    assert "did you mean [server]?" in error.render()


def test_an_unknown_environment_name_suggests_the_closest() -> None:
    error = unknown_env_name("SWARMSTACK_SERVER__PROT", "environment", ["SWARMSTACK_SERVER__PORT"])
    assert "did you mean SWARMSTACK_SERVER__PORT?" in error.render()
