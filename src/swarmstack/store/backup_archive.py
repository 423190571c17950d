"""The backup archive: one tar holding `manifest.json` and one gzip JSON Lines file per table.

Called by `store.backup`. Each table file `tables/<name>.jsonl.gz` holds one JSON list of column
values a line (`store.export` values, in the manifest's column order); with an at-rest key the
gzip stream is sealed under it (`security.sealed_files`, the file name `.sealed`). The manifest
(plain JSON, so a backup can be inspected without keys) names the swarmstack version, the schema
revision, the key id, and per table its columns, rows, the order-independent checksum of its rows
and the SHA-256 of its file. Members are read by name only, never extracted to disk.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from swarmstack.errors import InvalidInput, NotFound
from swarmstack.security.crypto import Keyring
from swarmstack.security.sealed_files import OpeningReader, SealingWriter

MANIFEST = "manifest.json"
FORMAT = "swarmstack-backup"
FORMAT_VERSION = 1
_READ_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class TableEntry:
    """One table in the archive: its file, columns, rows and checksums (hex SHA-256)."""

    name: str
    file: str
    columns: list[str]
    rows: int
    rows_sha256: str  # `export.Digest` of the rows
    sha256: str  # of the file's bytes as stored in the tar
    bytes: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds; `key_id` is None for an archive not sealed."""

    backup_id: str
    swarmstack_version: str
    schema_revision: str
    backend: str
    created_at: float  # epoch seconds
    key_id: str | None
    tables: list[TableEntry] = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly values."""
        return asdict(self)


def manifest_of(data: Any, where: str) -> Manifest:
    """The Manifest of parsed `manifest.json`. Raises InvalidInput naming `where`."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _not_a_backup(where, "its manifest.json is not a swarmstack backup manifest")
    if data.get("format_version") != FORMAT_VERSION:
        raise _not_a_backup(where, f"archive format {data.get('format_version')} is unknown")
    try:
        tables = [TableEntry(**t) for t in data["tables"]]
        return Manifest(**{**data, "tables": tables})
    except (TypeError, KeyError) as exc:
        raise _not_a_backup(where, f"its manifest.json is malformed ({exc})") from exc


def _not_a_backup(where: str, why: str) -> InvalidInput:
    return InvalidInput(
        f"{where} is not a usable swarmstack backup: {why}",
        where=where,
        fix="pass a file written by `swarmstack backup` (a tar with manifest.json)",
    )


class ArchiveWriter:
    """Table files written one by one into a temporary folder beside `out`, then put into the
    tar at `out` by `finish` (written under a temporary name, fsynced, renamed)."""

    def __init__(self, out: Path, keyring: Keyring | None, backup_id: str) -> None:
        self.out = out
        self.folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        self.keyring, self.backup_id = keyring, backup_id
        self.key_id = keyring.current_kid if keyring is not None else None

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Raise a failed write (a full disk, a folder this user cannot write) as InvalidInput
        naming OUT: inside a store transaction an OSError would read as the store failing."""
        try:
            yield
        except OSError as exc:
            raise InvalidInput(
                f"cannot write the backup {self.out}: {exc.strerror or exc}",
                where=str(self.out),
                fix="choose a folder with room that this user can write",
            ) from exc

    @contextmanager
    def table_file(self, name: str) -> Iterator[tuple[str, _Lines]]:
        """The member name of table `name` and a binary stream for its lines."""
        member = f"tables/{name}.jsonl.gz" + (".sealed" if self.key_id else "")
        path = self.folder / member
        with self._writing():
            path.parent.mkdir(exist_ok=True)
            raw = path.open("wb")
        try:
            sink: IO[bytes] | SealingWriter = raw
            if self.keyring is not None and self.key_id is not None:
                sink = SealingWriter(raw, self.keyring.cipher(self.key_id), self._label(member))
            lines = gzip.GzipFile(fileobj=sink, mode="wb", mtime=0)
            try:
                yield member, _Lines(lines, self._writing)
                with self._writing():
                    lines.close()
                    sink.close()
            finally:
                with contextlib.suppress(OSError, ValueError):
                    lines.close()  # after a failure: the whole folder is discarded
        finally:
            with contextlib.suppress(OSError):
                raw.close()

    def entry(
        self, name: str, member: str, columns: list[str], rows: int, digest: str
    ) -> TableEntry:
        """The manifest entry of a finished table file."""
        path = self.folder / member
        with self._writing():
            size, sha = path.stat().st_size, _sha256(path)
        return TableEntry(name, member, columns, rows, digest, sha, size)

    def _label(self, member: str) -> str:
        return f"{self.backup_id}/{member}"

    def finish(self, manifest: Manifest) -> None:
        """Write the tar at `out` durably, then remove the temporary folder (and on a failed
        write the partial tar: nothing is left at or beside `out`)."""
        tmp = self.out.with_name(f".{self.out.name}.tmp")
        try:
            with self._writing():
                text = json.dumps(manifest.as_dict(), indent=2) + "\n"
                (self.folder / MANIFEST).write_text(text)
                with tmp.open("wb") as raw:
                    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                        tar.add(self.folder / MANIFEST, MANIFEST)
                        for table in manifest.tables:
                            tar.add(self.folder / table.file, table.file)
                    raw.flush()
                    os.fsync(raw.fileno())
                os.replace(tmp, self.out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the temporary folder (after `finish`, or on failure)."""
        shutil.rmtree(self.folder, ignore_errors=True)


class _Lines:
    """A table file's gzip stream whose failed writes raise as `ArchiveWriter._writing` says."""

    def __init__(self, lines: gzip.GzipFile, writing: Callable[[], AbstractContextManager[None]]):
        self._lines, self._writing = lines, writing

    def write(self, data: bytes) -> None:
        """Append `data`."""
        with self._writing():
            self._lines.write(data)


def _sha256(path: Path) -> str:
    found = hashlib.sha256()
    with path.open("rb") as raw:
        while chunk := raw.read(_READ_BYTES):
            found.update(chunk)
    return found.hexdigest()


class ArchiveReader:
    """A backup archive opened for reading: its manifest, checks, and rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise NotFound(
                f"no backup at {path}", fix="pass the path of a file `swarmstack backup` wrote"
            )
        try:
            self._tar = tarfile.open(path, mode="r:")  # noqa: SIM115 (closed by close())
        except (tarfile.TarError, OSError) as exc:
            raise _not_a_backup(str(path), f"it cannot be read as one ({exc})") from exc
        try:
            self.manifest = manifest_of(json.load(self._member(MANIFEST)), str(path))
        except (tarfile.TarError, OSError, UnicodeError, json.JSONDecodeError) as exc:
            self._tar.close()
            raise _not_a_backup(str(path), f"its manifest cannot be read ({exc})") from exc
        except BaseException:
            self._tar.close()
            raise

    def close(self) -> None:
        """Close the tar file."""
        self._tar.close()

    def _member(self, name: str) -> IO[bytes]:
        try:
            found = self._tar.extractfile(name)
        except KeyError:
            found = None
        if found is None:
            raise _not_a_backup(str(self.path), f"it has no {name}")
        return found

    def verify(self) -> None:
        """Check every table file against its SHA-256 in the manifest. Raises InvalidInput
        naming the first file that differs or is missing."""
        for table in self.manifest.tables:
            found = hashlib.sha256()
            source = self._member(table.file)
            while chunk := source.read(_READ_BYTES):
                found.update(chunk)
            if found.hexdigest() != table.sha256:
                raise InvalidInput(
                    f"checksum mismatch: {table.file} in {self.path} has SHA-256 "
                    f"{found.hexdigest()[:16]}..., its manifest says {table.sha256[:16]}...: "
                    "the file was changed or damaged; nothing was restored",
                    where=str(self.path),
                    fix="restore from an intact copy of the backup",
                )

    def rows(self, table: TableEntry, keyring: Keyring | None) -> Iterator[list[Any]]:
        """The rows of `table` as lists of JSON values (opened with `keyring` when sealed)."""
        source: IO[bytes] = self._member(table.file)
        if self.manifest.key_id is not None:
            if keyring is None:
                raise InvalidInput(f"{self.path} is encrypted and no key was given")
            label = f"{self.manifest.backup_id}/{table.file}"
            opened = OpeningReader(source, keyring.cipher(self.manifest.key_id), label)
            source = io.BufferedReader(opened, _READ_BYTES)
        try:
            with gzip.GzipFile(fileobj=source, mode="rb") as lines:
                for line in lines:
                    yield json.loads(line)
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            # inside the restore's transaction an OSError would read as the store failing
            raise InvalidInput(
                f"cannot read {table.file} from {self.path}: {exc}; nothing was restored",
                where=str(self.path),
                fix="restore from an intact copy of the backup",
            ) from exc
