"""`frrnode validate` and `frrnode render`: check manifests and print a node's FRR config offline."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from frrnode.agent.manifests import ManifestCache, NodeFilter
from frrnode.api.loader import Resources, load_paths_partial, manifest_files
from frrnode.cli import app
from frrnode.cli.options import AlwaysBlockOpt, check_log_level
from frrnode.errors import ConfigError, ConfigErrors, ConflictError, FrrError
from frrnode.metallb import validate as metallb
from frrnode.metallb.api import KINDS as METALLB_KINDS
from frrnode.metallb.resources import DEFAULT_NAMESPACE as METALLB_NAMESPACE
from frrnode.metallb.resources import Settings as MetalLBSettings
from frrnode.pipeline import DEFAULT_NAMESPACE, Settings, build_node_config, validate_all, warnings

_err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
_out = Console(highlight=False, soft_wrap=True, emoji=False)


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


@contextlib.contextmanager
def _one_shot() -> Iterator[None]:
    """Loading in a one-shot command: what is loaded lives until exit. The cyclic GC would walk
    all of it again and again (a fifth of the time at 9,000 objects) and find nothing to free."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _load_partial(
    paths: list[Path], namespace: str, metallb_namespace: str = METALLB_NAMESPACE
) -> tuple[Resources, list[ConfigError]]:
    """Every valid object and every file's errors (an invalid file does not hide the others).

    MetalLB's kinds are read too: they are MetalLB's input, not the agent's."""
    with _one_shot():
        return load_paths_partial(
            paths,
            default_namespace=namespace,
            extra_kinds=METALLB_KINDS,
            secret_namespaces=(metallb_namespace,),
        )


def _load(paths: list[Path], namespace: str, metallb_namespace: str = METALLB_NAMESPACE) -> Resources:
    resources, errors = _load_partial(paths, namespace, metallb_namespace)
    if errors:
        _print_errors(errors)
        raise typer.Exit(1)
    return resources


def _load_for_node(
    paths: list[Path], namespace: str, node: str, labels: dict[str, str], metallb_namespace: str
) -> Resources:
    """What the agent of `node` with the MetalLB stage on would read from `paths`: the same
    filter (objects that do not concern the node are not validated: their errors are
    `validate`'s business; MetalLB's kinds and every Node's name and labels are kept), the same
    errors."""
    with _one_shot():
        cache = ManifestCache(
            NodeFilter(node, namespace, labels or None, cluster_nodes=True),
            extra_kinds=METALLB_KINDS,
            secret_namespaces=(metallb_namespace,),
        )
        cache.load_all([str(path) for path in manifest_files(paths)], workers=len(os.sched_getaffinity(0)))
        resources, errors = cache.resources()
    if errors:
        _print_errors(errors)
        raise typer.Exit(1)
    return resources


PathsArg = Annotated[
    list[Path],
    typer.Argument(help="YAML manifests or directories of them (*.yaml, *.yml).", exists=True),
]
NamespaceOpt = Annotated[
    str, typer.Option("--namespace", "-n", help="The agent's namespace: only its objects are used.")
]
MetalLBNamespaceOpt = Annotated[
    str, typer.Option("--metallb-namespace", help="MetalLB's namespace: only its MetalLB objects are used.")
]


def _error_json(error: ConfigError, resources: Resources | None) -> dict[str, object]:
    """One error as `validate --json` prints it (keys absent when unknown)."""
    out: dict[str, object] = {"message": error.message, "text": str(error)}
    if error.obj is not None:
        out["object"] = str(error.obj)
    if error.path:
        out["path"] = error.path
    location = error.location if str(error.location) or resources is None else resources.location(error.obj)
    if str(location):
        out["file"] = location.file
        if location.document is not None:
            out["document"] = location.document
    if isinstance(error, ConflictError):
        out["kind"] = "conflict"
        if error.other is not None:
            out["otherObject"] = str(error.other)
        if error.other_path:
            out["otherPath"] = error.other_path
        other = resources.location(error.other) if resources is not None else None
        if other is not None and str(other):
            out["otherFile"] = other.file
            if other.document is not None:
                out["otherDocument"] = other.document
    else:
        out["kind"] = "pending" if error.transient else "error"
    return out


@app.command()
def validate(
    paths: PathsArg,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
    metallb_namespace: MetalLBNamespaceOpt = METALLB_NAMESPACE,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")] = False,
) -> None:
    """Check every FRRConfiguration alone and, for every Node in PATHS, the merge of those selecting it.

    MetalLB objects are checked as MetalLB does, and the FRRConfiguration MetalLB writes for each
    Node is merged with the others. Exit 0 when all is valid. A Secret missing from PATHS is
    reported as pending (the agent would wait for it) and does not fail the check. Problems go to
    stderr, the summary line to stdout (`--json`: everything as one document on stdout).
    """
    # An invalid file or object does not hide the others: their rules and conflicts are checked too.
    resources, load_errors = _load_partial(paths, namespace, metallb_namespace)
    report, merged = metallb.check(
        resources, MetalLBSettings(namespace=metallb_namespace, frrk8s_namespace=namespace)
    )
    errors = [*load_errors, *report.errors, *validate_all(merged, namespace)]
    remarks = [*warnings(resources), *report.warnings]
    failing = [e for e in errors if not e.transient]
    counts = f"{len(resources.configurations)} FRRConfiguration(s), {len(resources.nodes)} Node(s)"
    if resources.extra:
        counts += f", {report.counts}"
    if as_json:
        doc = {
            "valid": not failing,
            "configurations": len(resources.configurations),
            "nodes": len(resources.nodes),
            "summary": counts,
            "errors": [_error_json(e, merged) for e in errors],
            "warnings": remarks,
            "notes": list(resources.notes),
        }
        typer.echo(json.dumps(doc, indent=2))
        if failing:
            raise typer.Exit(1)
        return
    for note in resources.notes:
        _err.print(f"[dim]note[/] {escape(note)}")
    for remark in remarks:
        _err.print(f"[bold yellow]warning[/] {escape(remark)}")
    _print_errors(errors, merged)
    if failing:
        _out.print(f"[bold red]invalid[/]: {len(failing)} problem(s) in {counts}")
        raise typer.Exit(1)
    _out.print(f"[bold green]valid[/]: {counts}")


def _parse_labels(values: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--node-label")
        labels[key] = value
    return labels


def desired_text(
    paths: list[Path],
    node: str,
    node_label: list[str] | None,
    hostname: str | None,
    always_block: list[str] | None,
    log_level: str,
    namespace: str,
    no_ipv4: bool,
    metallb_namespace: str = METALLB_NAMESPACE,
) -> str:
    """The FRR config NODE would run for the manifests in PATHS, MetalLB's objects included (its
    FRRConfiguration for NODE is merged as the agent does); prints the errors and exits 1 when
    they do not convert. PATHS are read as NODE's agent reads them (`_load_for_node`)."""
    from frrnode.frr.render import render_config
    from frrnode.metallb.stage import MetalLBStage

    labels = _parse_labels(node_label or [])
    resources = _load_for_node(paths, namespace, node, labels, metallb_namespace)
    stage = MetalLBStage(node, MetalLBSettings(namespace=metallb_namespace, frrk8s_namespace=namespace))
    resources = stage.apply(resources)
    problems = stage.state.controller_errors + stage.state.speaker_errors
    if problems:
        _print_errors(problems, resources)
        raise typer.Exit(1)
    settings = Settings(
        node_name=node,
        hostname=hostname,
        namespace=namespace,
        always_block=tuple(always_block or ()),
        log_level=log_level,
        node_labels=labels or None,
        node_has_ipv4=not no_ipv4,
    )
    try:
        node_config = build_node_config(resources, settings)
    except ConfigErrors as exc:
        _print_errors(exc.errors, resources)
        raise typer.Exit(1) from None
    return render_config(node_config)


# The options that decide a node's config, shared by `render` and `diff`.
NodeOpt = Annotated[str, typer.Option("--node", help="Node name (its Node object's labels are used).")]
NodeLabelOpt = Annotated[
    list[str] | None, typer.Option("--node-label", help="KEY=VALUE label of the node (repeatable).")
]
LogLevelOpt = Annotated[
    str,
    typer.Option(help="frr-k8s log level (all, debug, info, warn, error, none).", callback=check_log_level),
]
NoIpv4Opt = Annotated[
    bool, typer.Option("--no-ipv4", help="The node has no IPv4 address: router ids from the hostname.")
]


@app.command()
def render(
    paths: PathsArg,
    node: NodeOpt,
    node_label: NodeLabelOpt = None,
    hostname: Annotated[str | None, typer.Option(help="FRR hostname (default: the node name).")] = None,
    always_block: AlwaysBlockOpt = None,
    log_level: LogLevelOpt = "info",
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
    metallb_namespace: MetalLBNamespaceOpt = METALLB_NAMESPACE,
    no_ipv4: NoIpv4Opt = False,
    check: Annotated[
        bool, typer.Option("--check", help="Also check the result with `vtysh --dryrun`.")
    ] = False,
) -> None:
    """Print the FRR configuration that NODE would run for the manifests in PATHS.

    MetalLB's objects are included: its FRRConfiguration for NODE is merged as the agent does.
    PATHS are read as NODE's agent reads them: objects that do not concern NODE are not checked
    (use `validate` for that).
    """
    text = desired_text(
        paths, node, node_label, hostname, always_block, log_level, namespace, no_ipv4, metallb_namespace
    )
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
