"""docs/swarms.md: its import and validate commands work when pasted at the repo root, and its
mapping table names every swarm type the importer supports."""

from __future__ import annotations

import re
import shlex
import subprocess

from swarmstack.spec.swarms import SUPPORTED
from tests.conftest import REPO

DOC = REPO / "docs" / "swarms.md"


def commands() -> list[str]:
    blocks = "\n".join(re.findall(r"```bash\n(.*?)```", DOC.read_text(), re.DOTALL))
    wanted = (".venv/bin/swarmstack import ", ".venv/bin/swarmstack validate ")
    return [line for line in blocks.splitlines() if line.startswith(wanted)]


def test_import_and_validate_commands_work_when_pasted() -> None:
    found = commands()
    assert len(found) >= 6
    for line in found:  # in order: the imports write what the validates read
        done = subprocess.run(
            shlex.split(line), capture_output=True, text=True, timeout=120, cwd=REPO
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"


def test_the_mapping_table_names_every_supported_type() -> None:
    text = DOC.read_text()
    assert all(f"| `{kind}`" in text for kind in SUPPORTED if kind != "GraphWorkflow")
    assert "| `GraphWorkflow`" in text
