"""`frrnode validate` and `frrnode render`: check manifests and print a node's FRR config offline."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from frrnode.api.loader import Resources, load_paths
from frrnode.cli import app
from frrnode.cli.options import check_log_level
from frrnode.errors import ConfigError, ConfigErrors, ConflictError, FrrError
from frrnode.pipeline import DEFAULT_NAMESPACE, Settings, build_node_config, validate_all, warnings

_err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def _print_errors(errors: list[ConfigError], resources: Resources | None = None) -> None:
    for error in errors:
        where = ""
        if isinstance(error, ConflictError):
            label = "[bold red]error[/]"
            if resources is not None:  # a conflict spans two objects: say where both were read
                files = [str(resources.location(ref)) for ref in (error.obj, error.other)]
                where = f" (in {' and '.join(f for f in files if f)})" if any(files) else ""
        elif error.transient:
            label = "[bold yellow]pending[/]"
        else:
            label = "[bold red]error[/]"
        _err.print(f"{label} {escape(str(error) + where)}")


def _load(paths: list[Path], namespace: str) -> Resources:
    try:
        return load_paths(paths, default_namespace=namespace)
    except ConfigErrors as exc:
        _print_errors(exc.errors)
        raise typer.Exit(1) from None


PathsArg = Annotated[
    list[Path],
    typer.Argument(help="YAML manifests or directories of them (*.yaml, *.yml).", exists=True),
]
NamespaceOpt = Annotated[
    str, typer.Option("--namespace", "-n", help="The agent's namespace: only its objects are used.")
]


@app.command()
def validate(paths: PathsArg, namespace: NamespaceOpt = DEFAULT_NAMESPACE) -> None:
    """Check every FRRConfiguration alone and, for every Node in PATHS, the merge of those selecting it.

    Exit 0 when all is valid. A Secret missing from PATHS is reported as pending (the agent
    would wait for it) and does not fail the check.
    """
    resources = _load(paths, namespace)
    for note in resources.notes:
        _err.print(f"[dim]note[/] {escape(note)}")
    for remark in warnings(resources):
        _err.print(f"[bold yellow]warning[/] {escape(remark)}")
    errors = validate_all(resources, namespace)
    _print_errors(errors, resources)
    failing = [e for e in errors if not e.transient]
    counts = f"{len(resources.configurations)} FRRConfiguration(s), {len(resources.nodes)} Node(s)"
    if failing:
        _err.print(f"[bold red]invalid[/]: {len(failing)} problem(s) in {counts}")
        raise typer.Exit(1)
    _err.print(f"[bold green]valid[/]: {counts}")


def _parse_labels(values: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--node-label")
        labels[key] = value
    return labels


@app.command()
def render(
    paths: PathsArg,
    node: Annotated[str, typer.Option("--node", help="Node name (its Node object's labels are used).")],
    node_label: Annotated[
        list[str] | None, typer.Option("--node-label", help="KEY=VALUE label of the node (repeatable).")
    ] = None,
    hostname: Annotated[str | None, typer.Option(help="FRR hostname (default: the node name).")] = None,
    always_block: Annotated[
        list[str] | None, typer.Option("--always-block", help="CIDR denied from every neighbor (repeatable).")
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(
            help="frr-k8s log level (all, debug, info, warn, error, none).", callback=check_log_level
        ),
    ] = "info",
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
    no_ipv4: Annotated[
        bool, typer.Option("--no-ipv4", help="The node has no IPv4 address: router ids from the hostname.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Also check the result with `vtysh --dryrun`.")
    ] = False,
) -> None:
    """Print the FRR configuration that NODE would run for the manifests in PATHS."""
    from frrnode.frr.render import render_config

    resources = _load(paths, namespace)
    labels = _parse_labels(node_label or [])
    blocks: list[str] = []
    for item in always_block or []:
        blocks += [c.strip() for c in item.split(",") if c.strip()]
    settings = Settings(
        node_name=node,
        hostname=hostname,
        namespace=namespace,
        always_block=tuple(blocks),
        log_level=log_level,
        node_labels=labels or None,
        node_has_ipv4=not no_ipv4,
    )
    try:
        node_config = build_node_config(resources, settings)
    except ConfigErrors as exc:
        _print_errors(exc.errors, resources)
        raise typer.Exit(1) from None
    text = render_config(node_config)
    if check:
        from frrnode.frr.vtysh import Vtysh

        with tempfile.TemporaryDirectory(prefix="frrnode-check-") as tmp:
            path = Path(tmp) / "frr.conf"
            path.write_text(text)
            try:
                Vtysh().dryrun(path)
            except FrrError as exc:
                typer.echo(text, nl=False)
                _err.print(f"[bold red]FRR rejected the configuration[/]\n{escape(str(exc))}")
                raise typer.Exit(1) from None
    typer.echo(text, nl=False)  # verbatim: no rich markup, emoji codes or wrapping
