"""The archive's manifest and files: written durably, read by name, checked by checksum."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from swarmstack.errors import InvalidInput
from swarmstack.security.crypto import Keyring
from swarmstack.store.backup_archive import MANIFEST, ArchiveReader, ArchiveWriter, Manifest
from tests.support.keys import keyring_of_tests


@pytest.mark.parametrize("keys", [None, keyring_of_tests()], ids=["plain", "sealed"])
def test_rows_written_read_back(tmp_path: Path, keys: Keyring | None) -> None:
    out = tmp_path / "a.tar"
    writer = ArchiveWriter(out, keys, "id1")
    with writer.table_file("t") as (member, lines):
        lines.write(b'["x",1]\n["y",null]\n')
    entry = writer.entry("t", member, ["k", "v"], 2, "0" * 64)
    writer.finish(Manifest("id1", "v", "0007", "sqlite", 0.0, writer.key_id, [entry]))
    assert not writer.folder.exists() and [p.name for p in tmp_path.iterdir()] == ["a.tar"]
    reader = ArchiveReader(out)
    try:
        reader.verify()
        assert list(reader.rows(reader.manifest.tables[0], keys)) == [["x", 1], ["y", None]]
        assert reader.manifest.key_id == (keys.current_kid if keys else None)
    finally:
        reader.close()


def test_a_tar_without_a_manifest_is_not_a_backup(tmp_path: Path) -> None:
    out = tmp_path / "other.tar"
    (tmp_path / "f").write_text("x")
    with tarfile.open(out, "w") as tar:
        tar.add(tmp_path / "f", "f")
    with pytest.raises(InvalidInput, match=f"it has no {MANIFEST}"):
        ArchiveReader(out)


def test_a_foreign_manifest_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "m.tar"
    (tmp_path / MANIFEST).write_text(json.dumps({"format": "other"}))
    with tarfile.open(out, "w") as tar:
        tar.add(tmp_path / MANIFEST, MANIFEST)
    with pytest.raises(InvalidInput, match="not a swarmstack backup manifest"):
        ArchiveReader(out)
