"""`frrnode run`: the node agent, on a directory of manifests (embedded default) or on the
Kubernetes API (`--kubernetes`)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from frrnode.agent import wiring
from frrnode.agent.metrics import DEFAULT_METRICS_ADDRESS, Family, frr_families, parse_address
from frrnode.agent.reconcile import Reconciler
from frrnode.agent.runner import Agent, Service
from frrnode.agent.sources import DirectorySource, Source
from frrnode.agent.wiring import StatusSink
from frrnode.api.loader import Resources
from frrnode.cli import app
from frrnode.cli.options import AlwaysBlockOpt, check_log_level, setup_logging
from frrnode.cli.status import DEFAULT_STATUS_DIR
from frrnode.frr.daemons import DaemonWatch, run_dir, startup_config
from frrnode.frr.incremental import IncrementalApplier
from frrnode.frr.reload import Applier, ReloadApplier
from frrnode.frr.repair import Repairer
from frrnode.frr.state import Snapshot
from frrnode.frr.vtysh import Vtysh
from frrnode.metallb import embedded
from frrnode.metallb import metrics as metallb_metrics
from frrnode.metallb.api import KINDS as METALLB_KINDS
from frrnode.metallb.resources import DEFAULT_NAMESPACE as METALLB_NAMESPACE
from frrnode.metallb.resources import Settings as MetalLBSettings
from frrnode.pipeline import Settings

if TYPE_CHECKING:
    from frrnode.kube.status import ApiStatusSink

log = logging.getLogger("frrnode")


def has_ipv4_address(netns: str | None) -> bool:
    """Upstream derives a router id from the hostname only when the host has no IPv4 address."""
    cmd = ["ip", "-4", "-o", "addr", "show"]
    if netns:
        cmd = ["ip", "-n", netns, "-4", "-o", "addr", "show"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False).stdout
    return bool(out.strip())


def build_agent(
    config_dir: Path | None,
    settings: Settings,
    vtysh: Vtysh,
    workdir: Path,
    applier_kind: str = "incremental",
    debounce: float = 0.2,
    status_dir: Path | None = None,
    metrics_address: str | None = None,
    poll_interval: float = 5.0,
    resync: float = 30.0,
    verify_interval: float = 60.0,
    source: Source | None = None,
    sink: StatusSink | None = None,
    services: tuple[Service, ...] = (),
    metallb: MetalLBSettings | None = None,
    watch_daemons: bool = True,
    daemon_interval: float = 1.0,
) -> Agent:
    """Wire a source (default: `config_dir`), the reconciler, FRR and the status observers together.

    `sink` receives the status objects instead of files in `status_dir`; `services` run beside
    the loop (with the metrics server). With `metallb`, MetalLB's stage runs on every snapshot
    of the directory before the pipeline (its objects and Services come from the same
    directory) and its `metallb_*` series join /metrics. `watch_daemons`: look at FRR's daemons
    every `daemon_interval` seconds (pid files under /var/run/frr/<pathspace>) and repair the
    config of one that was restarted.
    """
    transform: Callable[[Resources], Resources] | None = None
    metric_sources: list[Callable[[Snapshot], list[Family]]] = []
    if metallb is not None:
        stage, writer = embedded.build(settings.node_name, metallb, status_dir)
        transform = embedded.transform(stage, writer)

        def metallb_families(snapshot: Snapshot) -> list[Family]:
            return [Family(*f) for f in metallb_metrics.families(frr_families(snapshot), stage.state)]

        metric_sources.append(metallb_families)
    fallback = ReloadApplier(vtysh, workdir)
    applier: Applier = (
        IncrementalApplier(vtysh, fallback, startup_config=startup_config(vtysh.pathspace))
        if applier_kind == "incremental"
        else fallback
    )
    watch = DaemonWatch(run_dir(vtysh.pathspace), alive=vtysh.daemons) if watch_daemons else None
    reconciler = Reconciler(
        settings,
        applier,
        verify_interval=verify_interval,
        watch=watch,
        repairer=Repairer(vtysh, applier),
    )
    observers, poll, server = wiring.observers(
        settings=settings,
        vtysh=vtysh,
        status_dir=status_dir,
        metrics_address=metrics_address,
        ready=lambda: reconciler.state.ready,
        sink=sink,
        metric_sources=metric_sources,
    )
    if source is None:
        if config_dir is None:
            raise ValueError("a source or a config directory is needed")
        source = DirectorySource(
            config_dir,
            resync=resync,
            namespace=settings.namespace,
            node=settings.node_name,
            node_labels=settings.node_labels,
            extra_kinds=METALLB_KINDS if metallb is not None else None,
            secret_namespaces=(metallb.namespace,) if metallb is not None else (),
            transform=transform,
        )
    if server is not None:
        services = (server, *services)
    return Agent(
        source,
        reconciler,
        debounce=debounce,
        observers=observers,
        poll=poll,
        poll_interval=poll_interval,
        services=services,
        daemon_interval=daemon_interval,
    )


def _check_address(value: str | None) -> str | None:
    if value:
        try:
            parse_address(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


@app.command()
def run(
    node: Annotated[str, typer.Option("--node", "--node-name", envvar="NODE_NAME", help="This node's name.")],
    config_dir: Annotated[
        Path | None, typer.Option("--config-dir", help="Directory of manifests to watch.")
    ] = None,
    kubernetes: Annotated[
        bool,
        typer.Option(
            "--kubernetes", help="Watch the API server (in-cluster service account, or --kubeconfig)."
        ),
    ] = False,
    kubeconfig: Annotated[
        Path | None, typer.Option("--kubeconfig", help="A kubeconfig, not in-cluster.")
    ] = None,
    frr_pathspace: Annotated[
        str | None, typer.Option("--frr-pathspace", help="FRR pathspace (-N) of the instance to drive.")
    ] = None,
    frr_netns: Annotated[
        str | None,
        typer.Option("--frr-netns", help="Network namespace FRR runs in (kernel routes, addresses)."),
    ] = None,
    namespace: Annotated[
        str, typer.Option("--namespace", envvar="NAMESPACE", help="Only objects in this namespace count.")
    ] = "frr-k8s-system",
    always_block: AlwaysBlockOpt = None,
    hostname: Annotated[str | None, typer.Option("--hostname", help="Defaults to this host's name.")] = None,
    log_level: Annotated[
        str,
        typer.Option(
            "--log-level",
            help="all, debug, info, warn, error, none (FRR's and the agent's).",
            callback=check_log_level,
        ),
    ] = "info",
    debounce: Annotated[
        float, typer.Option("--debounce", help="Seconds to coalesce a burst of changes.")
    ] = 0.2,
    applier: Annotated[str, typer.Option("--applier", help="incremental or reload (frr-reload.py).")] = (
        "incremental"
    ),
    status_dir: Annotated[
        Path,
        typer.Option(
            "--status-dir", help="Write status objects here (env FRRNODE_STATUS_DIR; --kubernetes: the API)."
        ),
    ] = DEFAULT_STATUS_DIR,
    metrics_address: Annotated[
        str | None,
        typer.Option(
            "--metrics-address", help="HOST:PORT for /metrics, /livez, /readyz.", callback=_check_address
        ),
    ] = DEFAULT_METRICS_ADDRESS,
    poll_interval: Annotated[float, typer.Option("--poll-interval", help="Seconds between FRR polls.")] = 5.0,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Where rendered configs are written.")
    ] = None,
    metallb: Annotated[
        bool, typer.Option("--metallb/--no-metallb", help="Run MetalLB on the MetalLB objects in DIR.")
    ] = True,
    metallb_namespace: Annotated[
        str, typer.Option("--metallb-namespace", help="MetalLB's namespace: its objects count only there.")
    ] = METALLB_NAMESPACE,
) -> None:
    """Run the agent until SIGTERM/SIGINT: keep FRR on the merged config and report status.

    The agent watches DIR (or, with --kubernetes, the API). SIGHUP re-reads DIR (relists the
    API) and checks FRR against it at once (merged and per daemon).
    """
    setup_logging(log_level)
    if applier not in ("incremental", "reload"):
        raise typer.BadParameter("must be incremental or reload", param_hint="--applier")
    if kubernetes == (config_dir is not None):
        raise typer.BadParameter("give either --config-dir DIR or --kubernetes", param_hint="--config-dir")
    if config_dir is not None and not config_dir.is_dir():
        # Never create it: a mistyped path would apply the empty set and delete every neighbor.
        raise typer.BadParameter(f"{config_dir} is not a directory", param_hint="--config-dir")
    settings = Settings(
        node_name=node,
        hostname=hostname or socket.gethostname(),
        namespace=namespace,
        always_block=tuple(always_block or ()),
        log_level=log_level,
        node_has_ipv4=has_ipv4_address(frr_netns),
    )
    vtysh = Vtysh(frr_pathspace)
    work = workdir or Path("/run/frrnode") / (frr_pathspace or "default")
    work.mkdir(parents=True, exist_ok=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        source: Source | None = None
        sink: ApiStatusSink | None = None
        if kubernetes:
            from frrnode.kube.agent import kubernetes_parts

            source, sink = kubernetes_parts(settings, kubeconfig)
        try:
            agent = build_agent(
                config_dir,
                settings,
                vtysh,
                work,
                applier_kind=applier,
                debounce=debounce,
                status_dir=None if kubernetes else status_dir,
                metrics_address=metrics_address,
                poll_interval=poll_interval,
                source=source,
                sink=sink,
                services=(sink,) if sink is not None else (),
                # Kubernetes mode: MetalLB runs as its own controller/speaker against the API.
                metallb=None
                if kubernetes or not metallb
                else MetalLBSettings(namespace=metallb_namespace, frrk8s_namespace=namespace),
            )
        except OSError as exc:  # the metrics port is taken, the host does not resolve ...
            typer.echo(f"error: cannot serve metrics on {metrics_address}: {exc.strerror or exc}", err=True)
            raise typer.Exit(1) from None

        def on_sighup() -> None:
            log.info("SIGHUP received")
            agent.resync()

        loop.add_signal_handler(signal.SIGHUP, on_sighup)
        where = "the Kubernetes API" if kubernetes else config_dir
        log.info("frrnode agent for node %s watching %s", node, where)
        await agent.run(stop)
        log.info("stopped")

    asyncio.run(main())
