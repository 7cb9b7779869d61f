"""`frrnode lab ...`: a lab of network namespaces with real FRR routers (demos, e2e tests)."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from frrnode.cli import app
from frrnode.errors import FrrNodeError
from frrnode.lab import manage
from frrnode.lab.topology import DEFAULT_PREFIX, MAX_ROUTERS

lab_app = typer.Typer(
    name="lab",
    help="Network namespaces with a node FRR and external FRR routers (needs root and FRR).",
    no_args_is_help=True,
)
app.add_typer(lab_app, name="lab")

NameOpt = Annotated[str, typer.Option("--name", "-n", help="Lab name: prefix of its namespaces.")]
err = Console(stderr=True, emoji=False, highlight=False)


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(1)


@lab_app.command("up")
def up(
    routers: Annotated[
        int, typer.Option("--routers", "-r", min=1, max=MAX_ROUTERS, help="External routers.")
    ] = 2,
    name: NameOpt = DEFAULT_PREFIX,
) -> None:
    """Create the lab: node (empty FRR, AS 64512), routers r1..rN, VRF-side router rv."""
    start = time.monotonic()
    try:
        topo = manage.up(name, routers)
    except (FrrNodeError, ValueError) as exc:
        raise _fail(exc) from exc
    names = ", ".join(r.name for r in topo.routers)
    print(f"lab {name} up in {time.monotonic() - start:.2f}s: {names}")
    if topo.vrf is None:
        err.print("note: this kernel has no VRF support; the node's eth1 (segment B) is in the default VRF")


@lab_app.command("down")
def down(name: NameOpt = DEFAULT_PREFIX) -> None:
    """Remove the lab: FRR daemons, namespaces, FRR directories (also after a crash)."""
    try:
        removed = manage.down(name)
    except (FrrNodeError, ValueError) as exc:
        raise _fail(exc) from exc
    print(f"lab {name} down" + (f" ({len(removed)} items removed)" if removed else " (nothing to remove)"))


@lab_app.command("status")
def status(
    name: NameOpt = DEFAULT_PREFIX,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the lab's namespaces, ASNs, addresses, prefixes and live FRR/BGP state."""
    try:
        st = manage.status(name)
    except (FrrNodeError, ValueError) as exc:
        raise _fail(exc) from exc
    if st is None:
        if as_json:
            print("null")
        err.print(f"no lab named {name!r}")
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(st, indent=2))
        return
    if not st["vrf"]:
        print("note: no kernel VRF support; the node's eth1 (segment B) is in the default VRF")
    for rname, r in st["routers"].items():
        frr = "FRR running" if r["frr_running"] else "FRR NOT RUNNING"
        print(f"{rname:<5} netns {r['namespace']}  AS {r['asn']}  router-id {r['router_id']}  {frr}")
        for seg, a in r["addresses"].items():
            vrf = f" vrf {a['vrf']}" if a["vrf"] else ""
            print(f"      segment {seg}: {a['interface']} {a['ipv4']} {a['ipv6']}{vrf}")
        if r["prefixes"]:
            print(f"      announces: {' '.join(r['prefixes'])}")
        if r["bgp_peers"]:
            print("      bgp: " + ", ".join(f"{p} {s}" for p, s in r["bgp_peers"].items()))


@lab_app.command("apiserver")
def apiserver(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to write the kubeconfig and certificates (default: new temp dir)."),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="HTTPS port on 127.0.0.1 (0: any free port).")] = 0,
    namespace: Annotated[
        str, typer.Option("--namespace", help="The kubeconfig context's namespace.")
    ] = "default",
    bookmark_interval: Annotated[
        float, typer.Option("--bookmark-interval", help="Seconds between watch BOOKMARKs.")
    ] = 60.0,
    webhook_endpoint: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook-endpoint", help="SERVICE.NAMESPACE=HOST:PORT: where a webhook Service is reached."
        ),
    ] = None,
    control_port: Annotated[
        int | None, typer.Option("--control-port", help="Plain-HTTP knobs on 127.0.0.1 (0: any free port).")
    ] = None,
) -> None:
    """A Kubernetes API server test double: prints its kubeconfig path, serves until Ctrl-C.

    Try it: `export KUBECONFIG=$(frrnode lab apiserver | head -1)` in one shell is not possible
    (it keeps running); run it in the background and read the first line it prints.
    """
    from frrnode.lab.apiserver.server import Knobs, serve

    endpoints: dict[str, tuple[str, int]] = {}
    for item in webhook_endpoint or []:
        svc, _, addr = item.partition("=")
        host, _, p = addr.rpartition(":")
        if not svc or not host or not p.isdigit():
            raise _fail(ValueError(f"--webhook-endpoint {item!r}: expected SERVICE.NAMESPACE=HOST:PORT"))
        endpoints[svc] = (host, int(p))
    workdir = directory or Path(tempfile.mkdtemp(prefix="frrnode-apiserver-"))
    knobs = Knobs(bookmark_interval=bookmark_interval, service_endpoints=endpoints, namespace=namespace)

    def announce(line: str) -> None:
        print(line, flush=True)

    asyncio.run(serve(workdir, knobs, port, control_port, announce))


@lab_app.command("exec")
def exec_(
    router: Annotated[str, typer.Argument(help="node, r1, r2, ..., rv")],
    command: Annotated[
        list[str], typer.Argument(help="Command to run in the router's namespace (after --).")
    ],
    name: NameOpt = DEFAULT_PREFIX,
) -> None:
    """Run a command inside a router's namespace: `frrnode lab exec r1 -- ip route`."""
    try:
        proc = manage.exec_in(name, router, command)
    except (FrrNodeError, ValueError) as exc:
        raise _fail(exc) from exc
    sys.stdout.flush()
    raise typer.Exit(proc.returncode)
