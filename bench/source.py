"""The directory source and the reconcile loop at scale: does a pass cost what changed?

Run: `.venv/bin/python bench/source.py [--nodes 3000] [--small 30] [--idle 30]`. For each size
(the issue-10 shape: one object per file, 2 FRRConfigurations per node selecting it by
hostname, 2 neighbors each, 5 receive and 3 advertise prefixes, one Node per node) it starts,
in a fresh process, the real agent loop (`DirectorySource` with inotify, `Reconciler`, render)
for node-0001 with a recording applier instead of FRR (the FRR side is `bench/apply.py`), and
prints: start -> first pass, steady-state RSS, an edit to another node's file -> pass done, an
edit to the node's own file -> pass done (its config applied), a `touch` (files parsed: 0, no
pass) and the process's CPU while idle. Then the big/small ratios.

`--metallb`: the agent runs MetalLB's stage as `frrnode run` does (its kinds read, its status
files written), on MetalLB objects added to the set: 2 BGPPeers for every node, a pool, an
advertisement, and one LoadBalancer Service per 10 nodes with an EndpointSlice (endpoints on 3
nodes). The edits are the same; none touches a MetalLB object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CONFIG = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: {name}
  namespace: frr-k8s-system
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: {node}
  bgp:
    routers:
    - asn: 64512
      prefixes: [{adv}]
      neighbors:
{neighbors}
"""
NEIGHBOR = """\
      - address: {address}
        asn: {asn}
        toReceive:
          allowed:
            prefixes:
{receive}
        toAdvertise:
          allowed:
            prefixes: [{adv}]
"""
NODE = """\
apiVersion: v1
kind: Node
metadata:
  name: {node}
  labels:
    kubernetes.io/hostname: {node}
    topology.kubernetes.io/zone: zone-{zone}
"""


METALLB = """\
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: tor-a, namespace: metallb-system}
spec: {myASN: 64512, peerASN: 64700, peerAddress: 10.255.0.1}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: tor-b, namespace: metallb-system}
spec: {myASN: 64512, peerASN: 64701, peerAddress: 10.255.0.2}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lb, namespace: metallb-system}
spec: {addresses: [10.128.0.0/16]}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: lb, namespace: metallb-system}
spec: {ipAddressPools: [lb]}
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {{name: svc-{i:04d}, namespace: apps}}
spec: {{type: LoadBalancer, selector: {{app: svc-{i:04d}}}, ports: [{{port: 80, protocol: TCP}}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-{i:04d}-1
  namespace: apps
  labels: {{kubernetes.io/service-name: svc-{i:04d}}}
addressType: IPv4
endpoints:
{endpoints}
"""


def metallb_texts(nodes: int) -> dict[str, str]:
    """File name -> text of the MetalLB objects for a cluster of `nodes` nodes."""
    out = {"metallb.yaml": METALLB}
    for i in range(max(1, nodes // 10)):
        endpoints = "".join(
            f"- addresses: [10.244.{i // 250}.{i % 250 + 1}]\n"
            f"  conditions: {{ready: true}}\n  nodeName: node-{(i * 3 + k) % nodes + 1:04d}\n"
            for k in range(3)
        )
        out[f"svc-{i:04d}.yaml"] = SERVICE.format(i=i, endpoints=endpoints.rstrip("\n"))
    return out


def config_text(node: int, which: int, tag: int = 0) -> str:
    name = f"node-{node:04d}"
    adv = ", ".join(f"10.{which}.{tag}.{i}/32" for i in range(3))
    neighbors = ""
    for n in range(2):
        receive = "".join(f"            - prefix: 172.{16 + which}.{n}.{i * 16}/28\n" for i in range(5))
        neighbors += NEIGHBOR.format(
            address=f"192.168.{which * 2 + n}.{node % 250 + 1}", asn=64600 + n, receive=receive, adv=adv
        )
    return CONFIG.format(name=f"{name}-{'ab'[which]}", node=name, adv=adv, neighbors=neighbors.rstrip("\n"))


def generate(root: Path, nodes: int, metallb: bool = False) -> None:
    (root / "configs").mkdir(parents=True)
    (root / "nodes").mkdir()
    if metallb:
        (root / "metallb").mkdir()
        for name, text in metallb_texts(nodes).items():
            (root / "metallb" / name).write_text(text)
    for node in range(1, nodes + 1):
        for which in range(2):
            (root / "configs" / f"node-{node:04d}-{'ab'[which]}.yaml").write_text(config_text(node, which))
        (root / "nodes" / f"node-{node:04d}.yaml").write_text(
            NODE.format(node=f"node-{node:04d}", zone=node % 3)
        )


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write_atomic(path: Path, text: str) -> None:
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_text(text)
    os.rename(tmp, path)


def measure(root: Path, idle: float, metallb: bool = False) -> dict[str, float]:
    """In this process: run the agent loop on `root` and time the interesting events."""
    from frrnode.agent.reconcile import Outcome, Reconciler
    from frrnode.agent.runner import Agent
    from frrnode.agent.sources import DirectorySource, Snapshot
    from frrnode.frr.reload import ApplyResult
    from frrnode.pipeline import Settings

    applied: list[str] = []

    class Recording:
        def apply(self, text: str) -> ApplyResult:
            applied.append(text)
            return ApplyResult(changed=True, method="none", seconds=0.0)

    class Counting(Reconciler):
        done = 0

        def reconcile(self, snapshot: Snapshot) -> Outcome:
            try:
                return super().reconcile(snapshot)
            finally:
                self.done += 1  # a pass is done when reconcile returns (applied or not)

    settings = Settings("node-0001", namespace="frr-k8s-system")
    extra: dict[str, Any] = {}
    if metallb:
        from frrnode.metallb import embedded
        from frrnode.metallb.api import KINDS
        from frrnode.metallb.resources import Settings as MetalLBSettings

        mlb = MetalLBSettings(frrk8s_namespace=settings.namespace)
        stage, writer = embedded.build(
            settings.node_name, mlb, Path(tempfile.mkdtemp(prefix="frrnode-bench-"))
        )
        extra = {
            "extra_kinds": KINDS,
            "secret_namespaces": (mlb.namespace,),
            "transform": embedded.transform(stage, writer),
        }
    source = DirectorySource(root, namespace=settings.namespace, node=settings.node_name, **extra)
    reconciler = Counting(settings, Recording())
    agent = Agent(source, reconciler, debounce=0.2)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=lambda: loop.run_until_complete(agent.run(stop)), daemon=True)

    def wait_pass(after: int, timeout: float = 120.0) -> float:
        begin = time.monotonic()
        while reconciler.done <= after:
            if time.monotonic() - begin > timeout:
                raise RuntimeError("no pass")
            time.sleep(0.005)
        return time.monotonic() - begin

    out: dict[str, float] = {}
    begin = time.monotonic()
    thread.start()
    wait_pass(0)
    out["start -> first pass (s)"] = time.monotonic() - begin
    time.sleep(2.0)
    import gc

    gc.collect()
    out["steady RSS (MiB)"] = rss_mib()
    if metallb:  # the stage's object is there (and so the edits below do not touch MetalLB)
        assert "10.128.0.0" in applied[-1] and "10.255.0.2" in applied[-1], "no MetalLB object"

    other = root / "configs" / "node-0002-a.yaml"
    own = root / "configs" / "node-0001-a.yaml"
    samples: dict[str, list[float]] = {"other": [], "own": [], "other cpu": [], "own cpu": []}
    for tag in range(1, 6):
        n, cpu = reconciler.done, cpu_seconds()
        write_atomic(other, config_text(2, 0, tag))
        samples["other"].append(wait_pass(n))
        samples["other cpu"].append(cpu_seconds() - cpu)
        time.sleep(0.5)
        n, cpu = reconciler.done, cpu_seconds()
        count = len(applied)
        write_atomic(own, config_text(1, 0, tag))
        samples["own"].append(wait_pass(n))
        samples["own cpu"].append(cpu_seconds() - cpu)
        assert len(applied) == count + 1, "the node's own edit was not applied"
        time.sleep(0.5)
    out["edit another node's file -> pass (s, median)"] = sorted(samples["other"])[2]
    out["edit another node's file: CPU (s, median)"] = sorted(samples["other cpu"])[2]
    out["edit own file -> applied (s, median)"] = sorted(samples["own"])[2]
    out["edit own file: CPU (s, median)"] = sorted(samples["own cpu"])[2]

    parses, n = source.cache.parses, reconciler.done
    scan_begin = cpu_seconds()
    (root / "configs" / "node-0003-b.yaml").touch()
    time.sleep(1.0)
    out["touch: files parsed"] = source.cache.parses - parses
    out["touch: passes"] = reconciler.done - n
    out["touch: CPU (s)"] = cpu_seconds() - scan_begin

    gc.collect()
    cpu = cpu_seconds()
    time.sleep(idle)
    out["idle CPU (% of a core)"] = 100 * (cpu_seconds() - cpu) / idle
    out["steady RSS after edits (MiB)"] = rss_mib()
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3000)
    parser.add_argument("--small", type=int, default=30)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU measurement")
    parser.add_argument("--metallb", action="store_true", help="run MetalLB's stage on MetalLB objects too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child), args.idle, args.metallb)))
        return
    results: dict[int, dict[str, float]] = {}
    for nodes in (args.small, args.nodes):
        with tempfile.TemporaryDirectory(prefix="frrnode-bench-source-") as tmp:
            generate(Path(tmp) / "manifests", nodes, args.metallb)
            child = [
                sys.executable,
                __file__,
                "--child",
                str(Path(tmp) / "manifests"),
                "--idle",
                str(args.idle),
                *(["--metallb"] if args.metallb else []),
            ]
            proc = subprocess.run(child, capture_output=True, text=True, check=False)
            if proc.returncode:
                sys.exit(f"measuring {nodes} nodes failed:\n{proc.stderr}")
            out = proc.stdout
            results[nodes] = json.loads(out.strip().splitlines()[-1])
    small, big = results[args.small], results[args.nodes]
    print(f"{'figure':<46} {'small':>9} {'big':>9} {'big/small':>9}")
    for key in small:
        ratio = big[key] / small[key] if small[key] else float("nan")
        print(f"{key:<46} {small[key]:>9.3f} {big[key]:>9.3f} {ratio:>9.2f}")
    print(f"(small = {args.small} nodes / {2 * args.small} configs, big = {args.nodes} / {2 * args.nodes})")


if __name__ == "__main__":
    main()
