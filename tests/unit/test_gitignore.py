"""What the docs' commands write into the checkout is ignored by git: their data directories
hold the encryption key and the sign-in secret, their backups the whole store."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO

# `--data-dir D`, `backup OUT.tar`, `--html OUT`, `> OUT.json` in a docs command
_WRITTEN = re.compile(
    r"--data-dir (?P<dir>[\w.-]+)|backup (?P<tar>[\w.-]+\.tar)|--html (?P<html>[\w.-]+\.html)"
    r"|> (?P<json>[\w.-]+\.json)"
)


def written_by_docs() -> set[str]:
    found = set()
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for match in _WRITTEN.finditer(doc.read_text()):
            name = next(v for v in match.groupdict().values() if v)
            if name.isupper():  # a placeholder: `--data-dir D`
                continue
            found.add(name + "/encryption.key" if match["dir"] else name)
    return found


@pytest.mark.skipif(
    shutil.which("git") is None or not (REPO / ".git").exists(), reason="not a git checkout"
)
def test_every_path_the_docs_write_is_ignored() -> None:
    paths = written_by_docs()
    assert {".swarmstack-research/encryption.key", "nightly.tar", "load.html"} <= paths
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *sorted(paths)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    tracked = [line.split("\t")[1] for line in done.stdout.splitlines() if line.startswith("::")]
    assert tracked == []
