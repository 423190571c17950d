"""`swarmstack render`: infrastructure files from swarm specs (nothing is written on error)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from swarmstack.cli.output import HELP, console, escape
from swarmstack.render import render_files, write
from swarmstack.spec import SwarmSpec, load_spec

app = typer.Typer(
    no_args_is_help=True,
    help="Render Kubernetes, compose and monitoring files.",
    context_settings=HELP,
)
Specs = Annotated[list[Path], typer.Argument(help="Swarm spec files.")]
Out = Annotated[Path, typer.Option("--out", "-o", help="Directory to write into.")]
PRINTED = {
    "prometheus": "compose/prometheus/prometheus.yml",
    "alerts": "compose/prometheus/alerts.yml",
    "alertmanager": "compose/alertmanager/alertmanager.yml",
    "nginx": "compose/nginx/nginx.conf",
    "grafana": "compose/grafana/dashboards/swarmstack.json",
}


def _specs(paths: list[Path]) -> list[SwarmSpec]:
    return [load_spec(p) for p in paths]


Canaries = Annotated[
    list[Path] | None,
    typer.Option(
        "--canary",
        help="A new version of a swarm that needs new code (deploy.code_version set): its "
        "worker pods get their own Deployment. Repeatable.",
    ),
]


BuildContext = Annotated[
    Path | None,
    typer.Option(
        help="Directory with the Dockerfile that compose builds when the specs name no image "
        "(deploy.image); default: the current directory.",
    ),
]


def _context(compose_dir: Path, build_context: Path | None) -> str:
    """`build_context` (default: the cwd) relative to where the compose file is written."""
    target = (build_context or Path.cwd()).resolve()
    return os.path.relpath(target, compose_dir.resolve())


def _write(files: dict[str, str], out: Path, prefix: str) -> None:
    chosen = {k.removeprefix(prefix): v for k, v in files.items() if k.startswith(prefix)}
    written = write(chosen, out)
    console.print(escape(f"wrote {len(written)} files under {out}"), highlight=False)


@app.command("all")
def render_all(
    specs: Specs,
    out: Out = Path("rendered"),
    canary: Canaries = None,
    build_context: BuildContext = None,
) -> None:
    """Everything: k8s/ (kustomize base and overlays), compose/ (with monitoring)."""
    context = _context(out / "compose", build_context)
    _write(render_files(_specs(specs), _specs(canary or []), context), out, "")


@app.command("k8s")
def render_k8s(
    specs: Specs,
    out: Out = Path("rendered/k8s"),
    env: Annotated[str | None, typer.Option(help="Only print this overlay's path.")] = None,
    canary: Canaries = None,
) -> None:
    """Kubernetes objects as a kustomize base with one overlay per environment and region."""
    files = render_files(_specs(specs), _specs(canary or []))
    if env is not None and f"k8s/overlays/{env}/kustomization.yaml" not in files:
        overlays = sorted({k.split("/")[2] for k in files if k.startswith("k8s/overlays/")})
        raise typer.BadParameter(f"no environment {env!r}; the specs define {overlays}")
    _write(files, out, "k8s/")
    if env is not None:
        console.print(escape(f"apply with: kubectl apply -k {out / 'overlays' / env}"))


@app.command("compose")
def render_compose(
    specs: Specs, out: Out = Path("rendered/compose"), build_context: BuildContext = None
) -> None:
    """docker-compose with nginx, managers, workers, PostgreSQL, Redis and monitoring."""
    _write(render_files(_specs(specs), build_context=_context(out, build_context)), out, "compose/")


def _printer(kind: str) -> None:
    def show(specs: Specs) -> None:
        print(render_files(_specs(specs))[PRINTED[kind]], end="")

    show.__doc__ = f"Print the {kind} file to stdout."
    app.command(kind)(show)


for _kind in PRINTED:
    _printer(_kind)
