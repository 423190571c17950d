"""`swarmstack` commands. Errors print one line (plus causes) on stderr and exit 1 (2 for usage);
with `--json` the error also goes to stdout as `{"error": {"message", "where", "fix", "code"}}`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from swarmstack import __version__
from swarmstack.cli import (
    admin_cli,
    backup_cli,
    batch_cli,
    cluster_cli,
    config_cli,
    copy_cli,
    deploy_cli,
    doctor_cli,
    import_cli,
    keys_cli,
    loadtest_cli,
    logs,
    rotate_cli,
    store_cli,
)
from swarmstack.cli import render as render_cli
from swarmstack.cli import tasks as tasks_cli
from swarmstack.cli import validate as validate_cli
from swarmstack.cli.banner import key_lines, print_banner
from swarmstack.cli.local_secrets import with_jwt_secret
from swarmstack.cli.node import (
    Banner,
    data_dir_ready,
    run_all,
    run_loop,
    run_manager,
    run_worker,
)
from swarmstack.cli.output import HELP, console, error_record, escape, note, print_error
from swarmstack.cli.ports import check_port
from swarmstack.errors import SwarmstackError
from swarmstack.node import AdminKey
from swarmstack.security.keyfile import with_default_key_file
from swarmstack.settings import Settings, load_layers
from swarmstack.settings.defaults import with_agent_defaults
from swarmstack.spec import SwarmSpec, load_spec, spec_schema

app = typer.Typer(
    name="swarmstack",
    no_args_is_help=True,
    add_completion=False,
    context_settings=HELP,
    help="Run multi-agent AI systems in production from one YAML spec. "
    "Exit codes: 0 ok, 1 error, 2 usage error, 130 interrupted.",
)
app.add_typer(tasks_cli.app, name="tasks")
tasks_cli.app.command("submit-batch")(batch_cli.submit_batch)
app.command("submit")(tasks_cli.submit)
app.add_typer(config_cli.app, name="config")
app.command("status")(cluster_cli.status)
app.add_typer(render_cli.app, name="render")
app.command("validate")(validate_cli.validate)
app.command("rotate-admin-key")(keys_cli.rotate_admin_key)
app.add_typer(store_cli.app, name="store")
store_cli.app.command("copy")(copy_cli.copy)
app.command("backup")(backup_cli.backup)
app.command("restore")(backup_cli.restore)
app.command("deploy")(deploy_cli.deploy)
app.add_typer(deploy_cli.deployments_app, name="deployments")
app.add_typer(deploy_cli.rollout_app, name="rollout")
app.command("rollback")(deploy_cli.rollback)
app.add_typer(admin_cli.users_app, name="users")
app.add_typer(admin_cli.keys_app, name="keys")
admin_cli.keys_app.command("rotate-data")(rotate_cli.rotate_data)
app.add_typer(admin_cli.audit_app, name="audit")
app.command("loadtest")(loadtest_cli.loadtest)
app.command("doctor")(doctor_cli.doctor)
app.add_typer(import_cli.app, name="import")

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
    check_port(settings.server.host, settings.server.port)
    data_dir_ready(settings.data_dir)
    settings = _with_key(settings)
    settings, created = with_jwt_secret(settings)
    if created is not None:
        note(f"created a sign-in token secret in {created} (mode 0600; kept for later starts)")
    banner: list[Banner] = []
    ready = asyncio.Event()

    async def main() -> None:
        printer = asyncio.create_task(_print_banner(ready, banner, settings))
        try:
            reload = lambda: with_jwt_secret(_with_key(_settings(host, port, data_dir)))[0]  # noqa: E731
            await run_all(loaded, settings, workers, ready, banner, reload)
        finally:
            printer.cancel()

    run_loop(main())


async def _print_banner(ready: asyncio.Event, banner: list[Banner], settings: Settings) -> None:
    await ready.wait()
    print_banner(banner[0], settings.store_url())


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
    if role == "manager" or not no_http:
        check_port(settings.server.host, settings.server.port)
    if role == "worker":
        worker_port = None if no_http else settings.server.port
        run_loop(run_worker(loaded, settings, worker_port, lambda: _settings(host, port, None)))
    else:
        run_loop(run_manager(loaded, settings, _announce, lambda: _settings(host, port, None)))


def _announce(key: AdminKey) -> None:
    for line in key_lines(key):
        console.print(escape(line), soft_wrap=True, highlight=False)


def _with_key(settings: Settings) -> Settings:
    """`up` encrypts task data by default: with no key configured, the data directory's key
    file (created on first start, and said so)."""
    settings, created = with_default_key_file(settings)
    if created is not None:
        note(
            f"created the encryption key of task data at {created} (mode 0600): back it up "
            "with the store, which cannot be read without it (SWARM_ENCRYPTION_KEY sets a key "
            "of your own; docs/security.md)"
        )
    return settings


def _settings(host: str | None, port: int | None, data_dir: Path | None) -> Settings:
    overrides = {"server": {"host": host, "port": port}, "data_dir": data_dir}
    loaded = load_layers(overrides=overrides)
    level = None if _state["verbose"] else loaded.settings.log_level
    logs.apply(level, loaded.settings.log_format)
    for notice in loaded.notices:
        note(notice)
    return loaded.settings


def main() -> None:
    """Entry point: run the app, turning errors into one-line messages."""
    try:
        code = app(standalone_mode=False)  # returns typer.Exit's code instead of exiting
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
    if isinstance(code, int) and code:
        sys.exit(code)


def _fail(exc: BaseException) -> None:
    if _state["verbose"]:
        import traceback

        traceback.print_exception(exc)
    print_error(exc)
    if "--json" in sys.argv[1:]:  # scripts read stdout: give them the error as JSON too
        sys.stdout.write(json.dumps({"error": error_record(exc)}) + "\n")
    sys.exit(1)
