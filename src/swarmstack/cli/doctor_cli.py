"""`swarmstack doctor`: the verification checkpoint. Versions, the configured store, Redis and
LLM endpoints, the settings with their sources, the machine's resources, and the smallest
example run end to end; one row per check (ok / warn / fail, with a hint), or `--json`.

Exit codes: 0 no check failed (warnings allowed), 1 a check failed, 2 bad usage.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from swarmstack.cli import doctor_checks as checks
from swarmstack.cli.config_cli import masked, value_of
from swarmstack.cli.doctor_checks import Check
from swarmstack.cli.doctor_smoke import smoke
from swarmstack.cli.output import console, escape
from swarmstack.settings import Settings, load_layers, setting_keys
from swarmstack.spec import SwarmSpec, load_spec

COLOURS = {"ok": "green", "warn": "yellow", "fail": "red"}


def doctor(
    specs: Annotated[
        list[Path] | None,
        typer.Argument(help="Swarm specs whose LLM endpoints to reach (or SWARMSTACK_SPECS)."),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Embedded store directory (as for `swarmstack up`).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full record as JSON.")] = False,
    no_smoke: Annotated[
        bool, typer.Option("--no-smoke", help="Skip running the example end to end.")
    ] = False,
) -> None:
    """Check this installation and its configured services, then run the smallest example
    end to end (a short-lived `up` on a temporary store) and record what it saw.

    Exit codes: 0 no check failed (warnings allowed), 1 a check failed, 2 bad usage."""
    began = time.perf_counter()
    loaded = load_layers(overrides={"data_dir": data_dir})
    settings = loaded.settings
    rows = asyncio.run(_service_checks(settings, _specs(specs)))
    rows = [*checks.versions(), *rows, *checks.resources(settings.data_dir)]
    if not no_smoke:
        rows.append(smoke())
    record = _record(rows, loaded.sources, settings, time.perf_counter() - began)
    if as_json:
        sys.stdout.write(json.dumps(record, default=str) + "\n")
    else:
        _print(rows, record)
    if record["failed"]:
        raise typer.Exit(1)


def _specs(paths: list[Path] | None) -> list[SwarmSpec]:
    if not paths:
        env = os.environ.get("SWARMSTACK_SPECS", "")
        paths = [Path(p) for p in env.split(os.pathsep) if p]
    return [load_spec(p) for p in paths]


async def _service_checks(settings: Settings, specs: list[SwarmSpec]) -> list[Check]:
    store, redis, llms = await asyncio.gather(
        checks.store(settings), checks.redis(settings), checks.llm_endpoints(specs)
    )
    return [store, redis, *llms]


def _record(
    rows: list[Check], sources: dict[str, str], settings: Settings, took_s: float
) -> dict[str, Any]:
    """The full record: checks, settings with their sources, the data path, totals."""
    return {
        "checks": [r.as_dict() for r in rows],
        "settings": [
            {
                "setting": k,
                "value": masked(k, value_of(settings, k)),
                "source": sources.get(k, "default"),
            }
            for k in setting_keys()
        ],
        "data_dir": str(settings.data_dir.resolve()),
        "platform": platform.platform(),
        "failed": sum(r.status == "fail" for r in rows),
        "warnings": sum(r.status == "warn" for r in rows),
        "took_s": round(took_s, 3),
    }


def _print(rows: list[Check], record: dict[str, Any]) -> None:
    table = Table("check", "", "detail", "hint", title="swarmstack doctor")
    for row in rows:
        colour = COLOURS[row.status]
        table.add_row(
            escape(row.name), f"[{colour}]{row.status}[/]", escape(row.detail), escape(row.hint)
        )
    console.print(table)
    changed = [s for s in record["settings"] if s["source"] != "default"]
    settings = Table("setting", "value", "source", title="settings not at their default")
    for s in changed:
        settings.add_row(escape(s["setting"]), escape(s["value"]), escape(s["source"]))
    if changed:
        console.print(settings)
    verdict = (
        f"{record['failed']} failed, {record['warnings']} warnings in {record['took_s']:.1f} s"
    )
    console.print(escape(verdict), highlight=False)
