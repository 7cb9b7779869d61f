"""`frrnode diff`: the FRR commands a change would send to the running FRR, without applying.

Like `kubectl diff`: the manifests in PATHS are converted for NODE as the agent would, and the
result is compared with what FRR runs now (`show running-config`) by the incremental applier's
own differ (`frr.delta.plan_delta`), so what is printed is the batch the agent would send,
followed by the soft refreshes it would ask for. When that differ cannot express the change
(the same cases where the agent falls back), frr-reload.py's `--test` diff is printed instead,
and said so. Exit code as kubectl diff: 0 no change, 1 changes, 2 an error.
"""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from frrnode.cli import app
from frrnode.cli.config import (
    LogLevelOpt,
    MetalLBNamespaceOpt,
    NamespaceOpt,
    NodeLabelOpt,
    NodeOpt,
    NoIpv4Opt,
    PathsArg,
    desired_text,
)
from frrnode.cli.options import AlwaysBlockOpt
from frrnode.errors import FrrError
from frrnode.frr.delta import UnsupportedChange, plan_config_delta
from frrnode.frr.reload import ReloadApplier, carry_over_host_lines
from frrnode.frr.vtysh import Vtysh
from frrnode.metallb.resources import DEFAULT_NAMESPACE as METALLB_NAMESPACE
from frrnode.pipeline import DEFAULT_NAMESPACE

_err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


@app.command("diff")
def diff_command(
    paths: PathsArg,
    node: NodeOpt,
    pathspace: Annotated[str | None, typer.Option("--pathspace", help="FRR instance (vtysh -N).")] = None,
    node_label: NodeLabelOpt = None,
    hostname: Annotated[str | None, typer.Option(help="FRR hostname (default: this host's name).")] = None,
    always_block: AlwaysBlockOpt = None,
    log_level: LogLevelOpt = "info",
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
    metallb_namespace: MetalLBNamespaceOpt = METALLB_NAMESPACE,
    no_ipv4: NoIpv4Opt = False,
) -> None:
    """Print the FRR commands that applying PATHS on NODE would send to the running FRR."""
    try:
        text = desired_text(
            paths,
            node,
            node_label,
            hostname or socket.gethostname(),
            always_block,
            log_level,
            namespace,
            no_ipv4,
            metallb_namespace,
        )
    except typer.Exit:
        raise typer.Exit(2) from None
    vtysh = Vtysh(pathspace)
    try:
        # vtysh's own setting, which frr-reload.py also leaves alone ("cannot be removed").
        running = "".join(
            f"{line}\n" for line in vtysh.running_config().splitlines() if not line.startswith("service ")
        )
        desired = carry_over_host_lines(text, running)
        try:
            delta = plan_config_delta(running, desired)
        except UnsupportedChange as exc:
            _reload_diff(vtysh, desired, str(exc))
            return
    except FrrError as exc:
        _err.print(f"[red]error[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    if delta.empty:
        _err.print("no changes: FRR runs this configuration")
        return
    clears = delta.clear_commands()
    _err.print(
        f"{len(delta.commands)} command(s) in one vtysh -f batch"
        + (f", then {len(clears)} soft refresh(es)" if clears else "")
    )
    typer.echo(delta.text() + "".join(f"! then: {c}\n" for c in clears), nl=False)
    raise typer.Exit(1)


def _reload_diff(vtysh: Vtysh, desired: str, reason: str) -> None:
    """frr-reload.py's view, for changes the incremental differ does not make."""
    with tempfile.TemporaryDirectory(prefix="frrnode-diff-") as tmp:
        applier = ReloadApplier(vtysh, Path(tmp))
        lines = applier.diff(applier.write(desired))
    if not lines:
        _err.print("no changes: FRR runs this configuration")
        return
    _err.print(f"the agent would apply this with frr-reload.py ({escape(reason)}); its diff:")
    typer.echo("\n".join(lines))
    raise typer.Exit(1)
