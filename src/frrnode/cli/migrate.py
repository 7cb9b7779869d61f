"""`frrnode migrate bgpextras|configmap`: move off MetalLB's raw and legacy configurations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.markup import escape

from frrnode.api.loader import Limits, read_manifest
from frrnode.api.yamldocs import TooLarge, documents
from frrnode.cli import app
from frrnode.cli.config import MetalLBNamespaceOpt, _err, _load, _print_errors
from frrnode.metallb import legacy
from frrnode.metallb.config import parse
from frrnode.metallb.migrate import migrate
from frrnode.metallb.resources import DEFAULT_NAMESPACE as METALLB_NAMESPACE
from frrnode.metallb.resources import EXTRAS_CONFIGMAP, EXTRAS_KEY, MetalLBResources, Settings
from frrnode.pipeline import DEFAULT_NAMESPACE


class _Dumper(yaml.SafeDumper):
    """rawConfig (several lines) as a readable `|` block."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)

migrate_app = typer.Typer(
    name="migrate", help="Move off MetalLB's bgpextras and legacy ConfigMap.", no_args_is_help=True
)
app.add_typer(migrate_app, name="migrate")


def _read(path: Path, hint: str) -> str:
    """The text of `path`, within the manifest loader's limits (FRRNODE_MAX_FILE_BYTES)."""
    data, error = read_manifest(path, Limits.from_env())
    if data is None:
        raise typer.BadParameter(error.message if error else "cannot read", param_hint=hint)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise typer.BadParameter(f"not UTF-8 ({exc.reason} at byte {exc.start})", param_hint=hint) from None


def _extras(path: Path) -> str:
    """The `extras` of the bgpextras ConfigMap in FILE (or the whole file when it is plain text)."""
    text = _read(path, "CONFIGMAP")
    try:
        docs = list(documents(text))
    except yaml.YAMLError:
        return text  # FRR's own text, not YAML
    except (TooLarge, RecursionError) as exc:
        raise typer.BadParameter(f"refused: {exc or 'nested too deeply'}", param_hint="CONFIGMAP") from None
    for doc in docs:
        named = isinstance(doc, dict) and (doc.get("metadata") or {}).get("name") == EXTRAS_CONFIGMAP
        if named and doc.get("kind") == "ConfigMap":
            return str((doc.get("data") or {}).get(EXTRAS_KEY, ""))
    raise typer.BadParameter(f"no ConfigMap named {EXTRAS_CONFIGMAP} in {path}", param_hint="CONFIGMAP")


@migrate_app.command("bgpextras")
def bgpextras(
    configmap: Annotated[Path, typer.Argument(help="The bgpextras ConfigMap (YAML).", exists=True)],
    manifests: Annotated[
        list[Path] | None,
        typer.Argument(help="MetalLB's manifests (BGPPeers, BFDProfiles, Secrets).", exists=True),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Name of the FRRConfiguration(s) written.")] = (
        "metallb-bgpextras"
    ),
    namespace: Annotated[
        str, typer.Option("--namespace", "-n", help="frr-k8s namespace.")
    ] = DEFAULT_NAMESPACE,
    metallb_namespace: MetalLBNamespaceOpt = METALLB_NAMESPACE,
) -> None:
    """Turn `route-map <peer>-in permit` + prefix-lists into FRRConfiguration toReceive filters.

    Prints the FRRConfiguration(s) on stdout and, line by line on stderr, what became of each
    line of the ConfigMap (mapped, dropped, or left as rawConfig and why)."""
    extras = _extras(configmap)
    resources = _load([configmap, *(manifests or [])], namespace)
    settings = Settings(namespace=metallb_namespace, frrk8s_namespace=namespace)
    res = MetalLBResources.from_resources(resources, settings)
    res.extras = None  # the text being migrated; frr-k8s mode would refuse it
    config, errors = parse(res, settings)
    if config is None:
        _print_errors(errors, resources)
        raise typer.Exit(1)
    if not config.peers:
        _err.print("[bold red]error[/] no BGPPeer found: pass MetalLB's manifests after the ConfigMap")
        raise typer.Exit(1)
    result = migrate(extras, config.peers, config.bfd_profiles, name, namespace)
    for note in result.notes:
        style = "yellow" if "rawConfig" in note or "dropped" in note else "dim"
        _err.print(f"[{style}]{escape(note)}[/]")
    typer.echo(yaml.dump_all(result.objects, Dumper=_Dumper, sort_keys=False), nl=False)


@migrate_app.command("configmap")
def configmap_cmd(
    path: Annotated[
        Path, typer.Argument(help="MetalLB's legacy ConfigMap, or its data.config text.", exists=True)
    ],
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Namespace of the CRs (default: the ConfigMap's).")
    ] = None,
) -> None:
    """Convert MetalLB's legacy ConfigMap into its CRDs (the text upstream's configmaptocrs prints)."""
    try:
        config, ns = legacy.read(_read(path, "PATH"), namespace)
    except legacy.LegacyConfigError as exc:
        _err.print(f"[bold red]error[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    typer.echo(legacy.dump(legacy.convert(config, ns)), nl=False)
