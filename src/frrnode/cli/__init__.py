"""The `frrnode` command line. Each submodule registers its commands on `app`."""

import typer

app = typer.Typer(
    name="frrnode",
    help="One FRR per node, configured from FRRConfiguration resources.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Submodules register commands on `app` when imported (keep this list sorted).
from frrnode.cli import _commands  # noqa: E402,F401
