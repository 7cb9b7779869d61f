"""`frrnode demo up|down`: the lab plus the agent on examples/ (the README's first command)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from frrnode.cli import app
from frrnode.lab import demo as demo_lab

demo_app = typer.Typer(
    help="Run the demo: a lab of FRR routers and the agent on examples/.", no_args_is_help=True
)
app.add_typer(demo_app, name="demo")

_EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@demo_app.command("up")
def demo_up(
    config_dir: Annotated[Path, typer.Option("--config-dir", help="Manifests for the agent.")] = _EXAMPLES,
    metrics_address: Annotated[str, typer.Option("--metrics-address")] = "127.0.0.1:7473",
) -> None:
    """Build the lab, start the agent on the manifests, show routes and sessions."""
    demo_lab.up(config_dir.resolve(), typer.echo, metrics_address)


@demo_app.command("down")
def demo_down() -> None:
    """Stop the demo's agent and remove the lab."""
    demo_lab.down(typer.echo)
