"""doctor's record: every check, the settings with their sources, totals."""

from __future__ import annotations

from pathlib import Path

from swarmstack.cli.doctor_checks import Check
from swarmstack.cli.doctor_cli import _record
from swarmstack.settings import load_layers


def test_the_record_counts_failures_and_warnings_and_masks_secrets(tmp_path: Path) -> None:
    loaded = load_layers(
        overrides={"data_dir": tmp_path, "store": {"url": "postgresql+asyncpg://u:pw@db/x"}},
        environ={},
    )
    rows = [Check("a", "ok", ""), Check("b", "warn", "", "do x"), Check("c", "fail", "", "y")]
    record = _record(rows, loaded.sources, loaded.settings, 1.23456)
    assert (record["failed"], record["warnings"], record["took_s"]) == (1, 1, 1.235)
    assert record["checks"][1] == {
        "name": "b",
        "status": "warn",
        "detail": "",
        "hint": "do x",
        "data": {},
    }
    settings = {s["setting"]: s for s in record["settings"]}
    assert settings["store.url"]["source"] == "command line"
    assert "pw" not in settings["store.url"]["value"]
    assert settings["retention.succeeded"]["source"] == "default"
    assert record["data_dir"] == str(tmp_path.resolve())
