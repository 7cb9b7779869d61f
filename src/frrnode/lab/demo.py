"""The demo: a lab, the agent on `examples/`, what the node learned and advertised, and the
four situations users come for, proven with packets.

The motivating scenario: MetalLB's object announces 192.0.2.10/32 to both routers; the platform
team's object (same neighbors) receives 10.100.0.0/24 only from router 1 and everything from
router 2. frrnode merges both into one FRR configuration for the node. Then the situations of
docs/scenarios.md add their FRRConfigurations to the agent's directory, one after the other,
and a table shows what the node learned and where probe packets went.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from frrnode.files import write_atomic
from frrnode.lab import manage, scenario_table, scenarios
from frrnode.lab.observe import wait_for
from frrnode.lab.topology import LabTopology

DEMO_PREFIX = "frrn"
NODE_NAME = "node-a"
RUN_DIR = Path("/run/frrnode/demo")


@dataclass(frozen=True)
class DemoPaths:
    run_dir: Path = RUN_DIR

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "agent.pid"

    @property
    def log_file(self) -> Path:
        return self.run_dir / "agent.log"

    @property
    def status_dir(self) -> Path:
        return self.run_dir / "status"

    @property
    def manifests(self) -> Path:
        return self.run_dir / "manifests"


def _sh(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False).stdout


def _node_routes(topo: LabTopology) -> str:
    return _sh("ip", "-n", topo.node.namespace, "route", "show", "proto", "bgp")


def start_agent(topo: LabTopology, config_dir: Path, paths: DemoPaths, metrics: str) -> int:
    paths.run_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "frrnode", "run",
        "--config-dir", str(config_dir),
        "--node", NODE_NAME,
        "--frr-pathspace", topo.node.pathspace,
        "--frr-netns", topo.node.namespace,
        "--status-dir", str(paths.status_dir),
        "--metrics-address", metrics,
        "--workdir", str(paths.run_dir / "frr"),
        "--poll-interval", "2",
    ]  # fmt: skip
    with paths.log_file.open("ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    paths.pid_file.write_text(f"{proc.pid}\n")
    return proc.pid


def stop_agent(paths: DemoPaths) -> bool:
    """Stop the agent this demo started (by the PID it recorded), if it still runs."""
    try:
        pid = int(paths.pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    paths.pid_file.unlink(missing_ok=True)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    if b"frrnode" not in cmdline:
        return False  # the PID was reused by something else: not ours to kill
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.1)
    return True


def up(config_dir: Path, out: Callable[[str], None], metrics: str = "127.0.0.1:7473") -> LabTopology:
    paths = DemoPaths()
    stop_agent(paths)
    out(f"Building the lab '{DEMO_PREFIX}': node + routers r1, r2 (+ rv) in network namespaces ...")
    # eth1 stays in the default table: situations 1 and 4 are about one table shared by two
    # interfaces (the VRF variant of situation 2 runs in tests/e2e/test_scenarios.py).
    topo = manage.up(DEMO_PREFIX, routers=2, vrf=False)
    r1, r2 = topo.router("r1"), topo.router("r2")
    # The agent watches a copy, so that playing with the demo never edits the checkout.
    shutil.rmtree(paths.manifests, ignore_errors=True)
    shutil.copytree(config_dir, paths.manifests)
    out(f"Starting the agent on a copy of {config_dir}/ in {paths.manifests}/ (log: {paths.log_file}) ...")
    pid = start_agent(topo, paths.manifests, paths, metrics)
    out(f"  agent pid {pid}")

    def learned() -> bool:
        routes = _node_routes(topo)
        return "10.100.0.0/24" in routes and "10.200.0.0/24" in routes

    def advertised() -> bool:
        return all(
            "192.0.2.10/32" in _sh("vtysh", "-N", r.pathspace, "-c", "show bgp ipv4 unicast")
            for r in (r1, r2)
        )

    try:
        wait_for("routes from r1 and r2 in the node's kernel", learned)
        wait_for("192.0.2.10/32 on both routers", advertised)
    except TimeoutError:
        out(paths.log_file.read_text()[-3000:])
        raise

    out(f"\n== The node's kernel routes learned over BGP (ip -n {topo.node.namespace} route show proto bgp)")
    out(_node_routes(topo).rstrip())
    out(
        "   10.100.0.0/24 from r1 passed its toReceive filter;\n"
        "   10.100.1.0/24 (also announced by r1) did not; everything from r2 is accepted (mode: all)."
    )
    summary = "show bgp ipv4 unicast summary"  # the heading names the command that ran
    out(f"\n== BGP sessions of the node (vtysh -N {topo.node.pathspace} -c '{summary}')")
    out(_sh("vtysh", "-N", topo.node.pathspace, "-c", summary).rstrip())
    out(metallb_summary(paths.status_dir))
    for r in (r1, r2):
        out(f"\n== What {r.name} (AS {r.asn}) learned from the node")
        out(_sh("vtysh", "-N", r.pathspace, "-c", "show bgp ipv4 unicast 192.0.2.10/32").rstrip())
    out(
        "\n== Four situations, proven with packets (UDP probes to and from hosts behind the routers;"
        "\n   the FRRConfigurations of docs/scenarios.md, added to the agent's directory)"
    )
    try:
        rows = situations(topo, lambda name, text: write_atomic(paths.manifests / name, text))
    except (TimeoutError, manage.LabError):
        out(paths.log_file.read_text()[-3000:])
        raise
    out(scenario_table.render(rows))
    out(
        "\nThe agent keeps running: edit the manifests in "
        f"{paths.manifests}/ and it re-applies within a second.\n"
        f"  status:   .venv/bin/frrnode status --status-dir {paths.status_dir}\n"
        f"  routes:   .venv/bin/frrnode routes --pathspace {topo.node.pathspace}"
        f" --netns {topo.node.namespace}\n"
        f"  metrics:  curl -s http://{metrics}/metrics | grep frrk8s_bgp_session_up\n"
        "Tear everything down with:  .venv/bin/frrnode demo down"
    )
    return topo


def situations(topo: LabTopology, apply: scenarios.Apply) -> list[scenario_table.Row]:
    """Run the four situations on the demo's lab; their rows in the order of docs/scenarios.md."""
    # Situation 4 shows the node before it learns rv's network: it goes first.
    returning = scenarios.asymmetric_return(topo, apply)
    dynamic = scenarios.dynamic_routing(topo, apply, before=False)
    segregated = scenarios.segregation(topo, apply)
    active = scenarios.active_active(topo, apply, same_as=False)
    return [
        scenario_table.dynamic_routing(topo, dynamic),
        scenario_table.segregation(topo, segregated),
        scenario_table.active_active(topo, active),
        scenario_table.asymmetric_return(topo, returning),
    ]


def down(out: Callable[[str], None]) -> None:
    if stop_agent(DemoPaths()):
        out("agent stopped")
    removed = manage.down(DEMO_PREFIX)
    out(f"lab '{DEMO_PREFIX}' removed ({len(removed)} namespaces)")


def metallb_summary(status_dir: Path, service: str = "web", node: str = NODE_NAME) -> str:
    """The Service of type LoadBalancer: its IP, the pool it came from, the peers it goes to
    (from the status files MetalLB's stage writes, as `kubectl get` would show them)."""
    import yaml

    base = status_dir / "metallb"
    try:
        svc = yaml.safe_load((base / f"service-default_{service}.yaml").read_text())
        bgp = yaml.safe_load((base / f"servicebgpstatus-{node}_default_{service}.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return f"\n== No MetalLB status for Service default/{service} in {base}"
    ips = ", ".join(i["ip"] for i in svc["status"]["loadBalancer"].get("ingress", []))
    pool = svc["metadata"].get("annotations", {}).get("metallb.io/ip-allocated-from-pool", "?")
    return (
        f"\n== Service default/{service} (type LoadBalancer) got its IP from IPAddressPool {pool}: {ips}"
        f"\n   {node} announces it to BGPPeers {', '.join(bgp['status']['peers'])} (ServiceBGPStatus;"
        f" files in {base})"
    )
