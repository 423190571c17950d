"""`swarmstack` commands. Errors print one line (plus causes) and exit 1; 2 for usage."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from swarmstack import __version__
from swarmstack.cli import cluster_cli, config_cli, logs, store_cli
from swarmstack.cli import render as render_cli
from swarmstack.cli import tasks as tasks_cli
from swarmstack.cli.node import Banner, data_dir_ready, run_all, run_loop, run_worker
from swarmstack.cli.output import console, err_console, mask_url, print_error
from swarmstack.errors import SwarmstackError
from swarmstack.settings import Settings, load_layers
from swarmstack.settings.defaults import with_agent_defaults
from swarmstack.spec import SwarmSpec, load_spec, spec_schema

app = typer.Typer(
    name="swarmstack",
    no_args_is_help=True,
    add_completion=False,
    help="Run multi-agent AI systems in production from one YAML spec.",
)
app.add_typer(tasks_cli.app, name="tasks")
app.command("submit")(tasks_cli.submit)
app.add_typer(config_cli.app, name="config")
app.command("status")(cluster_cli.status)
app.add_typer(render_cli.app, name="render")
app.add_typer(store_cli.app, name="store")

DEFAULT_SPEC = Path("examples/triage/swarm.yaml")
Specs = Annotated[list[Path] | None, typer.Argument(help="Swarm spec files.")]
_state = {"verbose": False}


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")] = False,
) -> None:
    _state["verbose"] = verbose
    # Like uvicorn's --app-dir default: agents named `module:function` import from the cwd.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    logs.setup(verbose)


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Spec files.")]) -> None:
    """Check swarm specs; errors name file:line, the field and a fix."""
    for path in files:
        spec = load_spec(path)
        console.print(
            f"[green]ok[/] {path}: swarm {spec.name!r} release {spec.release}, "
            f"{len(spec.agents)} agents"
        )


@app.command()
def schema() -> None:
    """Print the JSON Schema of a swarm spec."""
    sys.stdout.write(json.dumps(spec_schema(), indent=2, sort_keys=True) + "\n")


def _load(paths: list[Path] | None) -> list[SwarmSpec]:
    paths = paths or _paths_from_env() or [DEFAULT_SPEC]
    specs = [load_spec(p) for p in paths]
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise SwarmstackError(
            f"two specs name the same swarm: {names}", fix="give each swarm a unique `name`"
        )
    os.environ["SWARMSTACK_SPECS"] = os.pathsep.join(str(p.resolve()) for p in paths)
    return specs


def _paths_from_env() -> list[Path]:
    """Specs named by SWARMSTACK_SPECS, else every *.yaml in SWARMSTACK_SPEC_DIR (a mounted
    ConfigMap in Kubernetes)."""
    value = os.environ.get("SWARMSTACK_SPECS", "")
    if value:
        return [Path(p) for p in value.split(os.pathsep) if p]
    folder = os.environ.get("SWARMSTACK_SPEC_DIR")
    if not folder:
        return []
    paths = sorted([*Path(folder).glob("*.yaml"), *Path(folder).glob("*.yml")])
    if not paths:
        raise SwarmstackError(
            f"SWARMSTACK_SPEC_DIR {folder} holds no *.yaml spec",
            fix="mount the swarm specs there or point SWARMSTACK_SPEC_DIR at them",
        )
    return paths


def _configured(specs: list[SwarmSpec], settings: Settings, worker: bool) -> list[SwarmSpec]:
    """Specs with the settings' runtime defaults; a worker keeps only SWARMSTACK_SWARM if set."""
    specs = [with_agent_defaults(s, settings.agents) for s in specs]
    only = os.environ.get("SWARMSTACK_SWARM")
    if not only or not worker:
        return specs
    chosen = [s for s in specs if s.name == only]
    if not chosen:
        raise SwarmstackError(
            f"SWARMSTACK_SWARM={only} names no loaded swarm (loaded: {[s.name for s in specs]})",
            fix="set it to one of the loaded swarms' names or unset it",
        )
    return chosen


@app.command()
def up(
    specs: Specs = None,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes (0: in-process).")] = 0,
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535, help="Port.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store directory.")] = None,
) -> None:
    """Run a manager and workers on this machine (SQLite under ./.swarmstack/ by default)."""
    settings = _settings(host, port, data_dir)
    loaded = _configured(_load(specs), settings, worker=False)
    data_dir_ready(settings.data_dir)
    banner: list[Banner] = []
    ready = asyncio.Event()

    async def main() -> None:
        printer = asyncio.create_task(_print_banner(ready, banner, settings))
        try:
            await run_all(loaded, settings, workers, ready, banner)
        finally:
            printer.cancel()

    run_loop(main())


async def _print_banner(ready: asyncio.Event, banner: list[Banner], settings: Settings) -> None:
    await ready.wait()
    info = banner[0]
    console.print(
        f"[bold green]swarmstack is up[/] at {info.url}  (store: {mask_url(settings.store_url())})",
        soft_wrap=True,
    )
    if info.admin_key:
        console.print(
            f"admin API key (shown once, only its hash is stored): [bold]{info.admin_key}[/]",
            soft_wrap=True,
        )
    key = info.admin_key or "$SWARMSTACK_API_KEY"
    console.print("submit a task:")
    console.print(
        f"  curl -s -X POST {info.url}/api/v1/tasks?wait=10 "
        f"-H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' "
        f'-d \'{{"swarm": "{info.swarm}", "input": {{"text": "Urgent: login '
        f"fails for ops@example.com since the outage\"}}}}'",
        soft_wrap=True,
        highlight=False,
    )


@app.command()
def serve(
    specs: Specs = None,
    mode: Annotated[
        str | None, typer.Option(help="manager | worker (default: $SWARM_MODE or manager).")
    ] = None,
    no_http: Annotated[
        bool, typer.Option("--no-http", help="Worker without its probe/metrics port.")
    ] = False,
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535, help="Port.")] = None,
) -> None:
    """Run one role, as containers do: SWARM_MODE=manager|worker (the seed's variable)."""
    settings = _settings(host, port, None)
    role = (mode or settings.mode).lower()
    role = "manager" if role == "all" else role
    if role not in ("manager", "worker"):
        raise typer.BadParameter(
            f"mode must be manager or worker, got {role!r}", param_hint="--mode / SWARM_MODE"
        )
    loaded = _configured(_load(specs), settings, worker=role == "worker")
    if role == "worker":
        run_loop(run_worker(loaded, settings, None if no_http else settings.server.port))
    else:
        run_loop(_serve_manager(loaded, settings))


async def _serve_manager(specs: list[SwarmSpec], settings: Settings) -> None:
    from swarmstack.cli.node import close_links, open_for, serve_http
    from swarmstack.metrics import metrics
    from swarmstack.server import Manager, create_app
    from swarmstack.signals import make_cache, make_signals

    store = await open_for(specs, settings)
    await _announce_key(store, settings)
    signals, cache = make_signals(settings), make_cache(settings)
    await signals.start()
    specs_by_name = {s.name: s for s in specs}
    manager = Manager(store, specs_by_name, settings, signals, metrics, cache=cache)
    try:
        await serve_http(create_app(manager), settings.server, asyncio.Event())
    finally:
        await close_links(signals, cache)
        await store.close()


async def _announce_key(store: object, settings: Settings) -> None:
    from swarmstack.cli.node import ensure_admin_key
    from swarmstack.store import Store

    assert isinstance(store, Store)
    if (key := await ensure_admin_key(store, settings)) and not settings.security.admin_key:
        console.print(f"admin API key (shown once): [bold]{key}[/]")


def _settings(host: str | None, port: int | None, data_dir: Path | None) -> Settings:
    overrides = {"server": {"host": host, "port": port}, "data_dir": data_dir}
    loaded = load_layers(overrides=overrides)
    level = None if _state["verbose"] else loaded.settings.log_level
    logs.apply(level, loaded.settings.log_format)
    for notice in loaded.notices:
        err_console.print(f"[yellow]note:[/] {notice}", highlight=False)
    return loaded.settings


def main() -> None:
    """Entry point: run the app, turning errors into one-line messages."""
    try:
        app(standalone_mode=False)
    except SwarmstackError as exc:
        _fail(exc)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as exc:
        import click

        # typer raises its own vendored click's exceptions (typer.TyperException) for usage
        # errors, which are not click's: both exit with their code (2 for usage).
        if isinstance(exc, click.exceptions.ClickException | typer.TyperException):
            exc.show()  # type: ignore[union-attr]
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit | typer.Exit):
            sys.exit(exc.exit_code)
        _fail(exc)


def _fail(exc: BaseException) -> None:
    if _state["verbose"]:
        import traceback

        traceback.print_exception(exc)
    print_error(exc)
    sys.exit(1)
