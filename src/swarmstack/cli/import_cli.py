"""`swarmstack import swarms FILE [-o OUT]`: a Swarms definition as a swarmstack spec file.

The written spec is checked the way `swarmstack validate` checks it before it is written; notes
about what the import changed or kept aside go to stderr (and into the file as comments).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from swarmstack.cli.output import console, escape, note
from swarmstack.errors import SpecError
from swarmstack.settings import load_layers
from swarmstack.spec.loader import parse_spec
from swarmstack.spec.swarms import import_text, runnable, spec_yaml
from swarmstack.spec.swarms.convert import FORMATS

app = typer.Typer(help="Turn another framework's definitions into swarmstack specs.")

Source = Annotated[Path, typer.Argument(help=f"A Swarms definition: {FORMATS}.")]
Out = Annotated[
    Path | None, typer.Option("-o", "--out", help="Write the spec here (default: stdout).")
]


@app.command("swarms")
def swarms(file: Source, out: Out = None) -> None:
    """Import a Swarms agent YAML, SwarmSpec JSON, GraphWorkflow JSON or markdown agent."""
    text = read_source(file)
    imported = import_text(text, str(file), default_name=file.stem)
    routes = load_layers().settings.llm.routes
    runnable(imported, {}, str(file), routes)  # problems named by their path, from FILE
    document = spec_yaml(imported, routes)
    parse_spec(document, str(out or "the imported spec"), {})  # what `validate` checks first
    for line in imported.notes:
        note(line)
    if out is None:
        sys.stdout.write(document)
        return
    out.write_text(document, encoding="utf-8")
    agents = len(imported.spec["agents"])
    flow = imported.spec.get("flow", {}).get("type", "single agent")
    console.print(f"[green]wrote[/] {escape(str(out))}: {agents} agents, flow {flow}")


def read_source(file: Path) -> str:
    """The file's text, or a SpecError that says why it cannot be read."""
    if file.is_dir():
        raise SpecError(
            "is a directory", where=str(file), fix="import one file at a time (one spec each)"
        )
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("does not exist", where=str(file), fix="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot be read: {exc}", where=str(file)) from None
