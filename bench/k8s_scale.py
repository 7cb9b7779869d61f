"""Kubernetes mode at scale: the agent and the webhook against the API-server double.

    .venv/bin/python bench/k8s_scale.py [--nodes 3000] [--baseline-nodes 30] [--updates 1000]
        [--edits 10] [--reviews 200] [--json out.json]

Needs root (network namespace and FRR pathspace `iks<pid>` with the node's real FRR, always
removed) and kubectl.
The double holds `--nodes` Nodes and 2 FRRConfigurations per node (bench/scale_data.py's set);
one agent (`frrnode run --kubernetes`, a process, as in the DaemonSet) runs for node-0001.
Measured, for the big set and the same run at `--baseline-nodes` (in the same process):

- agent RSS after sync, and after `--updates` edits of other nodes' objects;
- FRR applies and reconcile passes caused by those edits (frrnode_* metrics);
- time from an edit of its own object (through the API) to FRR running it (polled with vtysh),
  median of `--edits`;
- webhook latency (AdmissionReview over HTTPS, client side) for objects selecting every node:
  a new neighbor (no conflict possible), and a neighbor every node already has (same ASN, so
  it merges with 3,000 objects and is admitted), p50/p99 of `--reviews` each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

from frrnode.frr.instance import FrrInstance
from frrnode.kube import certs
from frrnode.kube.client import make_client
from frrnode.kube.resources import FRRConfiguration
from frrnode.kube.runner import WebhookRunner
from frrnode.kube.webhook import WEBHOOK_PATH
from frrnode.lab.apiserver import Knobs, RunningDouble, run_in_thread

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_data

REPO = Path(__file__).resolve().parents[1]
NS = scale_data.NAMESPACE
NODE = scale_data.node_name(1)


def rss_kb(pid: int) -> int:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))  # type: ignore[union-attr]


def metric(url: str, name: str) -> float:
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def ready(url: str) -> bool:
    try:
        return bool(urllib.request.urlopen(url + "/readyz", timeout=2).status == 200)
    except OSError:
        return False


def wait(check: Any, timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(interval)


def running_config(pathspace: str) -> str:
    return subprocess.run(
        ["vtysh", "-N", pathspace, "-c", "show running-config"], capture_output=True, text=True, timeout=30
    ).stdout


def populate(double: RunningDouble, nodes: int) -> None:
    """Nodes and FRRConfigurations straight into the double's store (no webhook registered yet)."""
    d = double.double

    async def fill() -> None:
        ns_rt = d.registry.get("", "v1", "namespaces")
        node_rt = d.registry.get("", "v1", "nodes")
        cfg_rt = d.registry.get("frrk8s.metallb.io", "v1beta1", "frrconfigurations")
        assert ns_rt and node_rt and cfg_rt
        await d.api.create(ns_rt, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}, {})
        for i in range(1, nodes + 1):
            await d.api.create(node_rt, "", scale_data.node_object(i), {})
            for part in ("a", "b"):
                await d.api.create(cfg_rt, NS, scale_data.config_object(i, part), {})

    double.call(fill(), timeout=600)


def edited(index: int, part: str, edit: int) -> dict[str, Any]:
    obj = scale_data.config_object(index, part)
    obj["spec"]["bgp"]["routers"][0]["neighbors"][0]["toReceive"]["allowed"]["prefixes"][0]["le"] = (
        24 + edit % 8
    )
    return obj


async def patch_spec(client: Any, name: str, spec: dict[str, Any]) -> None:
    from lightkube.types import PatchType

    await client.patch(FRRConfiguration, name, {"spec": spec}, namespace=NS, patch_type=PatchType.MERGE)


def run_size(nodes: int, updates: int, edits: int, frr: str, work: Path, kubectl: str) -> dict[str, Any]:
    out: dict[str, Any] = {"nodes": nodes, "objects": 2 * nodes}
    with run_in_thread(work / f"double-{nodes}", Knobs(bookmark_interval=5.0)) as double:
        env = {**os.environ, "KUBECONFIG": str(double.kubeconfig), "KUBECACHEDIR": str(work / "kcache")}
        subprocess.run([kubectl, "apply", "-f", str(REPO / "config/crd/bases")], env=env, check=True,
                       capture_output=True)  # fmt: skip
        t = time.perf_counter()
        populate(double, nodes)
        out["populate_seconds"] = round(time.perf_counter() - t, 1)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = (work / f"agent-{nodes}.log").open("w")
        cmd = [str(Path(sys.executable).parent / "frrnode"), "run", "--kubernetes", "--kubeconfig",
               str(double.kubeconfig), "--node", NODE, "--frr-pathspace", frr,
               "--frr-netns", frr, "--metrics-address", f"127.0.0.1:{port}",
               "--workdir", str(work / f"frr-{nodes}"),
               "--debounce", "0.05", "--poll-interval", "5"]  # fmt: skip
        t = time.perf_counter()
        agent = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait(lambda: ready(url), 300, "the agent's first apply")
            out["sync_seconds"] = round(time.perf_counter() - t, 2)
            wait(lambda: metric(url, "frrnode_apply_duration_seconds_count") >= 1, 30, "its metric")
            time.sleep(2)
            out["rss_after_sync_mb"] = round(rss_kb(agent.pid) / 1024, 1)
            applies0 = metric(url, "frrnode_apply_duration_seconds_count")
            passes0 = metric(url, "frrnode_reconciles_total")

            async def other_updates() -> None:
                client = make_client(double.kubeconfig, NS)
                for k in range(updates):
                    index = 2 + k % (nodes - 1)
                    await patch_spec(client, scale_data.config_object(index, "a")["metadata"]["name"],
                                     edited(index, "a", 1 + k)["spec"])  # fmt: skip
                await client.close()

            t = time.perf_counter()
            asyncio.run(other_updates())
            out["updates_seconds"] = round(time.perf_counter() - t, 1)
            time.sleep(3)  # let the agent consume the events (the own edits below prove it did)
            out["applies_from_other_updates"] = metric(url, "frrnode_apply_duration_seconds_count") - applies0
            out["passes_from_other_updates"] = metric(url, "frrnode_reconciles_total") - passes0
            applies0 = metric(url, "frrnode_apply_duration_seconds_count")

            async def own_edit(k: int) -> float:
                client = make_client(double.kubeconfig, NS)
                name = scale_data.config_object(1, "a")["metadata"]["name"]
                needle = f"10.100.0.0/16 le {24 + k % 8}"
                t0 = time.perf_counter()
                await patch_spec(client, name, edited(1, "a", k)["spec"])
                await asyncio.to_thread(wait, lambda: needle in running_config(frr), 60, needle)
                await client.close()
                return time.perf_counter() - t0

            # The first own edit also proves every earlier event was consumed (a watch is ordered).
            steps = ([1, 2, 3, 4, 5, 6, 7] * (edits // 7 + 1))[:edits]  # each differs from the one before
            latencies = [asyncio.run(own_edit(k)) for k in steps]
            out["applies_from_own_edits"] = metric(url, "frrnode_apply_duration_seconds_count") - applies0
            out["rss_after_updates_mb"] = round(rss_kb(agent.pid) / 1024, 1)
            out["own_edit_to_frr_median_s"] = round(statistics.median(latencies), 3)
            out["own_edit_to_frr_max_s"] = round(max(latencies), 3)
        finally:
            agent.terminate()
            agent.wait(30)
            log.close()
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def all_nodes_object(name: str, address: str, asn: int) -> dict[str, Any]:
    return {
        "apiVersion": "frrk8s.metallb.io/v1beta1",
        "kind": "FRRConfiguration",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"bgp": {"routers": [{"asn": scale_data.NODE_ASN, "neighbors": [
            {"address": address, "asn": asn, "toReceive": {"allowed": {"mode": "all"}}}]}]}},
    }  # fmt: skip


def webhook_latency(nodes: int, reviews: int, work: Path, kubectl: str) -> dict[str, Any]:
    out: dict[str, Any] = {"nodes": nodes}
    with run_in_thread(work / f"double-wh-{nodes}", Knobs(bookmark_interval=5.0)) as double:
        env = {**os.environ, "KUBECONFIG": str(double.kubeconfig), "KUBECACHEDIR": str(work / "kcache")}
        subprocess.run([kubectl, "apply", "-f", str(REPO / "config/crd/bases")], env=env, check=True,
                       capture_output=True)  # fmt: skip
        populate(double, nodes)
        cert_dir = work / f"wh-{nodes}"
        certs.write_issued(certs.issue("frr-k8s-webhook-service", NS), cert_dir)
        port = _free_port()

        async def measure() -> None:
            client = make_client(double.kubeconfig, NS)
            runner = WebhookRunner(client, NS, cert_dir, "127.0.0.1", port, None)
            stop = asyncio.Event()
            task = asyncio.create_task(runner.run(stop))
            t = time.perf_counter()
            while not runner.ready():
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            out["webhook_sync_seconds"] = round(time.perf_counter() - t, 1)
            ctx = ssl.create_default_context(cafile=str(cert_dir / certs.CA_FILE))
            cases = {
                "new_neighbor": all_nodes_object("everywhere", "172.31.9.9", 65000),
                "shared_neighbor": all_nodes_object("everywhere", "172.31.0.1", 64600),
            }
            async with aiohttp.ClientSession() as http:
                for label, obj in cases.items():
                    times = []
                    allowed = None
                    for k in range(reviews):
                        request = {"uid": f"u{k}", "operation": "CREATE", "namespace": NS, "object": obj}
                        review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}
                        review["request"] = request
                        t0 = time.perf_counter()
                        async with http.post(
                            f"https://localhost:{port}{WEBHOOK_PATH}", json=review, ssl=ctx
                        ) as r:
                            body = await r.json()
                        times.append(time.perf_counter() - t0)
                        allowed = body["response"]["allowed"]
                    times.sort()
                    out[label] = {
                        "allowed": allowed,
                        "p50_ms": round(1000 * statistics.median(times), 1),
                        "p99_ms": round(1000 * times[min(len(times) - 1, int(0.99 * len(times)))], 1),
                    }
            stop.set()
            await task
            await client.close()

        asyncio.run(measure())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=3000)
    parser.add_argument("--baseline-nodes", type=int, default=30)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--reviews", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    kubectl = subprocess.run(["which", "kubectl"], capture_output=True, text=True, check=True).stdout.strip()
    name = f"iks{os.getpid() % 100000}"
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="k8s-scale-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        subprocess.run(["ip", "netns", "add", name], check=True)
        stack.callback(subprocess.run, ["ip", "netns", "del", name], check=False)
        frr = FrrInstance(name, name)
        frr.start("")
        stack.callback(frr.cleanup)  # stops the daemons, removes /etc/frr/<name> and /var/run/frr/<name>
        for nodes in (args.baseline_nodes, args.nodes):
            frr.stop()
            frr.start("")  # each run starts from an empty FRR
            results[f"agent_{nodes}"] = run_size(nodes, args.updates, args.edits, name, work, kubectl)
            print(json.dumps(results[f"agent_{nodes}"]), flush=True)
        results["webhook"] = webhook_latency(args.nodes, args.reviews, work, kubectl)
        print(json.dumps(results["webhook"]), flush=True)
    big, small = results[f"agent_{args.nodes}"], results[f"agent_{args.baseline_nodes}"]
    print(
        f"RSS after updates: {big['rss_after_updates_mb']} MB at {big['objects']} objects vs "
        f"{small['rss_after_updates_mb']} MB at {small['objects']} "
        f"(+{big['rss_after_updates_mb'] - small['rss_after_updates_mb']:.1f} MB); "
        f"applies from {args.updates} other-node updates: {big['applies_from_other_updates']:.0f}; "
        f"own edit -> FRR median {big['own_edit_to_frr_median_s']} s"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
