"""The `frrnode` command line. Each submodule registers its commands on `app`."""

from typing import Annotated

import typer

from frrnode import __version__

app = typer.Typer(
    name="frrnode",
    help="One FRR per node, configured from FRRConfiguration resources.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"frrnode {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """One FRR per node, configured from FRRConfiguration resources."""


# Submodules register commands on `app` when imported (keep this list sorted).
from frrnode.cli import _commands  # noqa: E402,F401
