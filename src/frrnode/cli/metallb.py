"""`frrnode metallb render`: what MetalLB would write for a node (frr-k8s mode), or its frr.conf."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from frrnode.cli import app
from frrnode.cli.config import MetalLBNamespaceOpt, PathsArg, _err, _load, _print_errors
from frrnode.cli.options import setup_logging
from frrnode.metallb import frrk8s
from frrnode.metallb.metrics import DEFAULT_AGENT_METRICS
from frrnode.metallb.resources import DEFAULT_NAMESPACE as METALLB_NAMESPACE
from frrnode.metallb.resources import Settings
from frrnode.metallb.stage import MetalLBStage
from frrnode.metallb.validate import render_native
from frrnode.pipeline import DEFAULT_NAMESPACE

metallb_app = typer.Typer(
    name="metallb", help="MetalLB on frrnode: what MetalLB writes for a node.", no_args_is_help=True
)
app.add_typer(metallb_app, name="metallb")


@metallb_app.command("render")
def render(
    paths: PathsArg,
    node: Annotated[str, typer.Option("--node", help="Node name (its Node object's labels are used).")],
    native: Annotated[
        bool, typer.Option("--native", help="Print native (FRR) mode's frr.conf, bgpextras included.")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="As MetalLB's tests print it (Go JSON).")] = False,
    metallb_namespace: MetalLBNamespaceOpt = METALLB_NAMESPACE,
    frrk8s_namespace: Annotated[
        str, typer.Option("--frrk8s-namespace", help="Where MetalLB writes metallb-<node>.")
    ] = DEFAULT_NAMESPACE,
    hostname: Annotated[str | None, typer.Option(help="Native mode's hostname (default: NODE).")] = None,
    log_level: Annotated[str, typer.Option(help="Speaker log level (native mode).")] = "info",
) -> None:
    """Print the FRRConfiguration MetalLB writes for NODE (YAML), or with --native its frr.conf."""
    resources = _load(paths, frrk8s_namespace)
    if native:
        settings = Settings(namespace=metallb_namespace, mode="native", log_level=log_level)
        text, errors = render_native(resources, settings, node, hostname or node)
        if errors:
            _print_errors(errors, resources)
            raise typer.Exit(1)
        typer.echo(text, nl=False)
        return
    stage = MetalLBStage(node, Settings(namespace=metallb_namespace, frrk8s_namespace=frrk8s_namespace))
    stage.apply(resources)
    errors = stage.state.controller_errors + stage.state.speaker_errors
    if errors:
        _print_errors(errors, resources)
        raise typer.Exit(1)
    obj = stage.state.configuration
    if obj is None:
        _err.print(f"MetalLB writes no FRRConfiguration for node {node} (no BGPPeer or BFDProfile applies)")
        return
    if json_:
        typer.echo(frrk8s.to_json(obj))
        return
    typer.echo(yaml.safe_dump(frrk8s.manifest(obj), sort_keys=False), nl=False)


KubeconfigOpt = Annotated[
    Path | None, typer.Option("--kubeconfig", help="Default: in-cluster service account, then $KUBECONFIG.")
]
MetricsOpt = Annotated[
    str | None,
    typer.Option("--metrics-address", help="host:port for /metrics (metallb_*) and /readyz; default: none."),
]


def _serve(
    make: Callable[[Any], Any],
    kubeconfig: Path | None,
    namespace: str,
    metrics_address: str | None = None,
    agent_metrics: str | None = None,
) -> None:
    """Run the controller or speaker `make(client)` until SIGTERM/SIGINT, with its /metrics
    (`metallb_*` of its state; the speaker adds its node's sessions from `agent_metrics`) and
    /readyz (every informer synced)."""
    import asyncio
    import signal

    from frrnode.agent.metrics import MetricsServer
    from frrnode.kube.client import make_client
    from frrnode.kube.metallb_metrics import MetalLBMetrics

    setup_logging()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        world = make(make_client(kubeconfig, namespace=namespace))
        server = None
        if metrics_address:
            metrics = MetalLBMetrics(lambda: world.state, agent_metrics)
            server = MetricsServer(metrics, metrics_address, ready=lambda: world.synced).start()
        try:
            await world.run(stop)
        finally:
            if server is not None:
                server.stop()

    asyncio.run(main())


@metallb_app.command("controller")
def controller(
    kubeconfig: KubeconfigOpt = None,
    metallb_namespace: MetalLBNamespaceOpt = METALLB_NAMESPACE,
    lb_class: Annotated[str | None, typer.Option("--lb-class", help="Only Services of this class.")] = None,
    metrics_address: MetricsOpt = None,
) -> None:
    """Kubernetes mode, one per cluster: give LoadBalancer Services their IPs (Service status).

    No leader election: run exactly one."""
    from frrnode.kube.metallb import Controller

    settings = Settings(namespace=metallb_namespace, lb_class=lb_class)
    _serve(lambda client: Controller(client, settings), kubeconfig, metallb_namespace, metrics_address)


@metallb_app.command("speaker")
def speaker(
    node: Annotated[str, typer.Option("--node", "--node-name", envvar="NODE_NAME", help="This node's name.")],
    kubeconfig: KubeconfigOpt = None,
    metallb_namespace: MetalLBNamespaceOpt = METALLB_NAMESPACE,
    frrk8s_namespace: Annotated[
        str, typer.Option("--frrk8s-namespace", help="Where metallb-<node> is written.")
    ] = DEFAULT_NAMESPACE,
    lb_class: Annotated[str | None, typer.Option("--lb-class", help="Only Services of this class.")] = None,
    metrics_address: MetricsOpt = None,
    agent_metrics: Annotated[
        str,
        typer.Option(
            "--agent-metrics", help="The node agent's /metrics: its sessions' series, renamed metallb_*."
        ),
    ] = DEFAULT_AGENT_METRICS,
) -> None:
    """Kubernetes mode, one per node: write the node's FRRConfiguration and ServiceBGPStatus objects."""
    from frrnode.kube.metallb import Speaker

    settings = Settings(namespace=metallb_namespace, frrk8s_namespace=frrk8s_namespace, lb_class=lb_class)
    _serve(
        lambda client: Speaker(client, node, settings),
        kubeconfig,
        metallb_namespace,
        metrics_address,
        agent_metrics,
    )
