"""The agent adds nothing measurable to FRR's learning of 100k routes (issue 10).

    sudo .venv/bin/python bench/routes100k.py [--routes 100000] [--reps 3] [--json out.json]

Two network namespaces joined by a veth pair (`rk<pid>`: a router, `nk<pid>`: the node; both
removed at the end, FRR pathspaces too). The router's bgpd originates `--routes` /32s
(`network` lines, import check off) to the node. The node's FRR is configured from one
FRRConfiguration (receive everything from the router) by `frrnode run` (a subprocess with its
metrics server and its 5 s FRR poll, as deployed); the same FRR is then measured with the
agent running and with it stopped (the config it applied stays), repetitions interleaved.

One repetition: the router shuts the session down and the node's kernel loses the routes;
then the router's `no neighbor ... shutdown`, and the time from the first route zebra
installed (its FIB count, polled every 10 ms until the first, then every 100 ms: a vtysh call
is cheap next to dumping 100k routes) to all of them in the kernel's table (counted with
`ip route` once zebra has them all), as in shared/reference/anchors.md §4b; also from the
`no shutdown` itself. Also measured, with the routes in: the agent's FRR poll (what
`frrnode run` does every 5 s: state snapshot, running config, status files, metrics), in
this process, and the agent process's CPU over `--idle` seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from frrnode.agent.metrics import AgentMetrics
from frrnode.agent.reconcile import AgentState
from frrnode.agent.wiring import StatusPublisher
from frrnode.frr.instance import FrrInstance
from frrnode.pipeline import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import AgentRun

NODE_ASN, ROUTER_ASN = 64512, 64513
NODE_IP, ROUTER_IP = "192.168.250.1", "192.168.250.2"

MANIFEST = f"""\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: receive-all
  namespace: frr-k8s-system
spec:
  bgp:
    routers:
    - asn: {NODE_ASN}
      neighbors:
      - address: {ROUTER_IP}
        asn: {ROUTER_ASN}
        toReceive:
          allowed:
            mode: all
"""


def router_config(routes: int) -> str:
    lines = [
        f"router bgp {ROUTER_ASN}",
        f" bgp router-id {ROUTER_IP}",
        " no bgp ebgp-requires-policy",
        " no bgp network import-check",
        f" neighbor {NODE_IP} remote-as {NODE_ASN}",
        " address-family ipv4 unicast",
    ]
    lines += [f"  network 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32" for i in range(routes)]
    return "\n".join([*lines, " exit-address-family", "exit", ""])


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def kernel_routes(netns: str) -> int:
    cmd = ["ip", "-n", netns, "-4", "route", "show", "proto", "bgp"]
    return subprocess.run(cmd, capture_output=True, check=True).stdout.count(b"\n")


def installed_routes(node: FrrInstance) -> int:
    """Routes zebra has installed in the kernel (its FIB count for BGP)."""
    summary = json.loads(node.vtysh.run("show ip route summary json"))
    return sum(int(r.get("fib", 0)) for r in summary.get("routes", []) if "bgp" in str(r.get("type", "")))


def wait_for(cond: Callable[[], bool], timeout: float, every: float, what: str) -> float:
    start = time.perf_counter()
    while not cond():
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(every)
    return time.perf_counter() - start


def session(router: FrrInstance, up: bool) -> None:
    neighbor = f"{'no ' if up else ''}neighbor {NODE_IP} shutdown"
    router.vtysh.run("configure terminal", f"router bgp {ROUTER_ASN}", neighbor)


def learn_once(router: FrrInstance, node: FrrInstance, netns: str, routes: int) -> tuple[float, float]:
    """Seconds from the first route in the node's FIB to all `routes` in its kernel, and from
    the session's `no shutdown` to the same."""
    session(router, up=False)
    wait_for(lambda: installed_routes(node) == 0, 120, 0.2, "the node's BGP routes to go")
    wait_for(lambda: kernel_routes(netns) == 0, 120, 0.2, "the kernel's BGP routes to go")
    time.sleep(2)
    start = time.perf_counter()
    session(router, up=True)
    first = start + wait_for(lambda: installed_routes(node) > 0, 120, 0.01, "the first route")
    wait_for(lambda: installed_routes(node) >= routes, 300, 0.1, "zebra to install the routes")
    wait_for(lambda: kernel_routes(netns) >= routes, 60, 0.02, "the routes in the kernel")
    end = time.perf_counter()
    return end - first, end - start


def agent(manifests: Path, netns: str, work: Path) -> AgentRun:
    """`frrnode run` for the node, as deployed (metrics server, 5 s FRR poll), after its first pass."""
    run = AgentRun(manifests, netns, work)
    if run.wait(lambda counts: counts[0] >= 1, timeout=120) is None:
        run.stop()
        raise SystemExit("the agent made no pass in 120 s")
    return run


def poll_seconds(node: FrrInstance, work: Path, reps: int = 7) -> list[float]:
    """The agent's poll (snapshot, running config, status files, metrics), timed here."""
    publisher = StatusPublisher(Settings("node"), node.vtysh, work / "poll-status", AgentMetrics())
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        publisher.poll(AgentState())
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--routes", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of agent CPU measurement")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    tag = os.getpid() % 100000
    rns, nns = f"rk{tag}", f"nk{tag}"
    work = Path(tempfile.mkdtemp(prefix="frrnode-routes-"))
    results: dict[str, list[float]] = {m: [] for m in ("with agent", "without agent")}
    from_reset: dict[str, list[float]] = {m: [] for m in ("with agent", "without agent")}
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        for ns in (rns, nns):
            sh("ip", "netns", "add", ns)
            stack.callback(subprocess.run, ["ip", "netns", "del", ns], check=False)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        peer = ("peer", "name", "veth-n", "netns", nns)
        sh("ip", "link", "add", "veth-r", "netns", rns, "type", "veth", *peer)
        sh("ip", "-n", rns, "addr", "add", f"{ROUTER_IP}/30", "dev", "veth-r")
        sh("ip", "-n", nns, "addr", "add", f"{NODE_IP}/30", "dev", "veth-n")
        for ns, dev in ((rns, "veth-r"), (nns, "veth-n")):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        router, node = FrrInstance(rns, rns, timeout=600), FrrInstance(nns, nns, timeout=120)
        stack.callback(router.cleanup)
        stack.callback(node.cleanup)
        start = time.perf_counter()
        router.start(router_config(args.routes))
        print(f"router up with {args.routes} routes ({time.perf_counter() - start:.1f} s)", flush=True)
        node.start("")
        manifests = work / "manifests"
        manifests.mkdir()
        (manifests / "receive-all.yaml").write_text(MANIFEST)
        running = agent(manifests, nns, work)
        try:
            wait_for(lambda: kernel_routes(nns) >= args.routes, 600, 0.5, "the first learning")
        finally:
            running.stop()
        print(f"node learned the routes; kernel holds {kernel_routes(nns)} BGP routes", flush=True)
        for rep in range(args.reps):
            for mode in ("with agent", "without agent"):
                running = agent(manifests, nns, work) if mode == "with agent" else None
                try:
                    learned, reset = learn_once(router, node, nns, args.routes)
                finally:
                    if running is not None:
                        running.stop()
                results[mode].append(learned)
                from_reset[mode].append(reset)
                print(f"  {rep + 1} {mode:<14} first->all {learned:5.2f} s, no shutdown->all {reset:5.2f} s")
        running = agent(manifests, nns, work)
        try:
            polls = poll_seconds(node, work)
            cpu, wall = running.cpu_seconds(), time.perf_counter()
            time.sleep(args.idle)
            idle = 100 * (running.cpu_seconds() - cpu) / (time.perf_counter() - wall)
        finally:
            running.stop()
        kernel = kernel_routes(nns)
    load = os.getloadavg()
    summary = {
        "routes": args.routes,
        "kernel_bgp_routes_at_end": kernel,
        "with_agent_s": statistics.median(results["with agent"]),
        "without_agent_s": statistics.median(results["without agent"]),
        "with_agent_from_reset_s": statistics.median(from_reset["with agent"]),
        "without_agent_from_reset_s": statistics.median(from_reset["without agent"]),
        "agent_poll_s": statistics.median(polls),
        "agent_idle_cpu_percent": round(idle, 2),
        "load_average": load,
        "samples": {"first_to_all": results, "reset_to_all": from_reset},
    }
    ratio = summary["with_agent_s"] / summary["without_agent_s"]
    print(f"\nfirst -> all {args.routes} routes in the kernel, median of {args.reps}:")
    with_, without = summary["with_agent_s"], summary["without_agent_s"]
    print(f"  with the agent {with_:.2f} s, without {without:.2f} s ({ratio:.2f}x)")
    print(
        f"  from the session's no shutdown: {summary['with_agent_from_reset_s']:.2f} s "
        f"vs {summary['without_agent_from_reset_s']:.2f} s"
    )
    print(f"agent poll at {kernel} routes: {1000 * summary['agent_poll_s']:.0f} ms (median of {len(polls)})")
    print(f"agent CPU over {args.idle:.0f} s: {idle:.2f}% of a core")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
