"""Settings that may hold a password never show it in a repr, a dump or `config show`."""

from __future__ import annotations

from swarmstack.settings import Settings

URL = "postgresql+asyncpg://swarms:hunter2@db.internal:5432/swarms"


def test_the_store_url_is_secret_in_repr_and_dumps() -> None:
    settings = Settings(store={"url": URL})  # type: ignore[arg-type]
    assert settings.store_url() == URL
    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert "hunter2" not in text


def test_an_unset_store_url_means_sqlite_under_the_data_dir() -> None:
    assert Settings().store_url().startswith("sqlite+aiosqlite:///")
