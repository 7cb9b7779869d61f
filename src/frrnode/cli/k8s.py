"""`frrnode k8s ...`: Kubernetes artefacts generated from the product's own models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from frrnode.cli import app

k8s_app = typer.Typer(name="k8s", help="Kubernetes artefacts (CRDs).", no_args_is_help=True)
app.add_typer(k8s_app, name="k8s")


@k8s_app.command("crds")
def crds(
    write: Annotated[
        Path | None, typer.Option("--write", help="Write one file per CRD into this directory.")
    ] = None,
) -> None:
    """The four CustomResourceDefinitions generated from frrnode.api (printed, or written)."""
    from frrnode.kube import crds as gen

    if write is None:
        print("".join(gen.render(obj) for obj in gen.all_crds().values()), end="")
        return
    for path in gen.write(write):
        print(path)
