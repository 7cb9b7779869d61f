"""The bgpextras story in the lab (spec §3.12, §5.3): the known problem, frrnode's fix, migration.

Lab: the node and r1, r2. r1 is told not to negotiate capabilities with the node (as a router
without route-refresh support): once the node has discarded r1's routes (MetalLB's
`route-map <peer>-in deny 20`), only r1 sending them again can bring them back.
- native mode (MetalLB renders frr.conf, frr-reload.py applies it): bgpextras added after the
  session is up reaches r2's routes after FRR's route-map delay timer (r2 answers a route
  refresh), but r1's never arrive until the session is reset — the known problem.
- the same receive policy through frrnode's API (the FRRConfiguration that `frrnode migrate
  bgpextras` writes) lands on the live sessions: frrnode keeps every received route
  (soft-reconfiguration inbound) and re-evaluates it, no reset, no route refresh needed.
- migration: the node learns exactly the same routes with native + bgpextras (in place before
  the session, the way it works) as with frrnode + the migrated configuration.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from agent_harness import RunningAgent, agent_session, bgp_table, lab_session
from lab_helpers import bgp_peers, kernel_routes, router_vtysh, wait_for
from metallb_lab import manifests, mlb_helpers, restart_router, router_text

from frrnode.frr.instance import FrrInstance
from frrnode.frr.reload import ReloadApplier
from frrnode.frr.vtysh import Vtysh
from frrnode.lab.topology import NODE_ASN, LabTopology
from frrnode.metallb.config import parse
from frrnode.metallb.migrate import migrate
from frrnode.metallb.resources import MetalLBResources, Settings
from frrnode.metallb.stage import load
from frrnode.metallb.validate import render_native

pytestmark = pytest.mark.lab

h = mlb_helpers
R1, R2 = "172.30.0.2", "172.30.0.3"
EXTRAS = """\
ip prefix-list allowed seq 10 permit 10.100.0.0/24
ip prefix-list allowed seq 20 permit 10.200.0.0/24 le 32
route-map 172.30.0.2-in permit 20
  match ip address prefix-list allowed
route-map 172.30.0.3-in permit 20
  match ip address prefix-list allowed
"""
LEARNED = {"10.100.0.0/24", "10.200.0.0/24"}  # 10.100.1.0/24 and 10.201.0.0/24 stay filtered
METALLB = [
    h.node("node-a"),
    h.pool("p", "192.0.2.0/24"),
    h.peer("r1", R1, asn=64513, my_asn=NODE_ASN),
    h.peer("r2", R2, asn=64514, my_asn=NODE_ASN),
    h.adv("a", communities=["65000:7"]),
    h.service("web", annotations={"metallb.io/loadBalancerIPs": "192.0.2.10"}),
    h.endpoints("web", "node-a"),
]
EXTRAS_CM = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "bgpextras", "namespace": "metallb-system"},
    "data": {"extras": EXTRAS},
}


@pytest.fixture(scope="module")
def lab() -> Iterator[LabTopology]:
    for topo in lab_session("mx"):
        r1 = topo.router("r1")
        restart_router(r1, router_text(topo, r1, node_lines=("dont-capability-negotiate",)))
        yield topo


@pytest.fixture()
def fresh(lab: LabTopology) -> LabTopology:
    inst = FrrInstance(lab.node.pathspace, lab.node.namespace)
    inst.stop()
    inst.start("")
    return lab


def native_config(tmp_path: Path, extras: bool) -> str:
    path = tmp_path / "metallb.yaml"
    path.write_text(manifests(*METALLB, *([EXTRAS_CM] if extras else [])))
    text, errors = render_native(load([path]), Settings(mode="native"), "node-a", "node-a")
    assert not errors, [str(e) for e in errors]
    return text


def learned(topo: LabTopology) -> set[str]:
    """What the node learned from the routers (its own Service prefixes left out)."""
    return {p for p in bgp_table(topo.node) if not p.startswith("192.0.2.")}


def node_connections(topo: LabTopology) -> dict[str, int]:
    return {p: i.get("connectionsEstablished", 0) for p, i in bgp_peers(topo.node).items()}


def wait_established(topo: LabTopology) -> None:
    wait_for(
        lambda: (
            {p: i.get("state") for p, i in bgp_peers(topo.node).items()}
            == {R1: "Established", R2: "Established"}
        ),
        timeout=60,
        what="the node's sessions with r1 and r2",
    )


def test_native_bgpextras_after_the_session_needs_a_reset(fresh: LabTopology, tmp_path: Path) -> None:
    topo = fresh
    applier = ReloadApplier(Vtysh(topo.node.pathspace), tmp_path)
    applier.apply(native_config(tmp_path, extras=False))
    wait_established(topo)
    wait_for(lambda: "192.0.2.10/32" in bgp_table(topo.router("r1")), timeout=30, what="the Service at r1")
    assert learned(topo) == set()  # MetalLB's `deny 20`: nothing from the routers
    before = node_connections(topo)

    applier.apply(native_config(tmp_path, extras=True))  # bgpextras added while the sessions are up
    wait_for(
        lambda: learned(topo) == {"10.200.0.0/24"}, timeout=30, what="r2's allowed route (route refresh)"
    )
    time.sleep(8)  # well past the 5 s route-map delay timer that brought r2's route
    assert learned(topo) == {"10.200.0.0/24"}, "r1's route arrived without a reset"
    assert node_connections(topo) == before

    subprocess.run(
        ["vtysh", "-N", topo.node.pathspace, "-c", f"clear bgp {R1}"], check=True, capture_output=True
    )
    wait_for(lambda: learned(topo) == LEARNED, timeout=30, what="r1's route after the reset")
    assert node_connections(topo)[R1] > before[R1]


def migrated(tmp_path: Path) -> str:
    """What `frrnode migrate bgpextras` writes for EXTRAS and METALLB."""
    path = tmp_path / "peers.yaml"
    path.write_text(manifests(*METALLB))
    settings = Settings()
    config, errors = parse(MetalLBResources.from_resources(load([path]), settings), settings)
    assert config is not None, errors
    result = migrate(EXTRAS, config.peers, config.bfd_profiles)
    assert not result.raw and len(result.objects) == 1
    return yaml.safe_dump_all(result.objects, sort_keys=False)


@pytest.fixture()
def agent(fresh: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(fresh, tmp_path / "agent", node_name="node-a", metallb=Settings())


def test_frrnode_receive_policy_lands_on_the_live_sessions(
    fresh: LabTopology, agent: RunningAgent, tmp_path: Path
) -> None:
    topo = fresh
    agent.apply("metallb.yaml", manifests(*METALLB[1:]))
    wait_established(topo)
    wait_for(lambda: "192.0.2.10/32" in bgp_table(topo.router("r1")), timeout=30, what="the Service at r1")
    assert learned(topo) == set()
    before = node_connections(topo)

    agent.apply("receive.yaml", migrated(tmp_path))
    wait_for(lambda: learned(topo) == LEARNED, timeout=30, what="r1's and r2's allowed routes")
    assert node_connections(topo) == before  # no reset


def _routes(topo: LabTopology) -> dict[str, Any]:
    return {
        "bgp": learned(topo),
        # Next hop and device; the nexthop-object id (`nhid N`) is only an allocation order.
        "kernel": {
            d: re.sub(r"nhid \d+ ", "", r.split(" proto")[0])
            for d, r in kernel_routes(topo.node).items()
            if "proto bgp" in r
        },
        "r1": {p for p in bgp_table(topo.router("r1")) if p.startswith("192.0.2.")},
        "r2": {p for p in bgp_table(topo.router("r2")) if p.startswith("192.0.2.")},
    }


def test_migration_learns_exactly_the_same_routes(lab: LabTopology, tmp_path: Path) -> None:
    topo = lab
    node = FrrInstance(topo.node.pathspace, topo.node.namespace)
    node.stop()
    node.start("")
    # Before: native mode with bgpextras in place before the sessions come up.
    ReloadApplier(Vtysh(topo.node.pathspace), tmp_path).apply(native_config(tmp_path, extras=True))
    wait_established(topo)
    wait_for(
        lambda: learned(topo) == LEARNED and _routes(topo)["r1"], timeout=30, what="native mode's routes"
    )
    wait_for(lambda: len(_routes(topo)["kernel"]) == len(LEARNED), timeout=30, what="kernel routes")
    before = _routes(topo)

    # After: frrnode with MetalLB's objects and the migrated configuration.
    node.stop()
    node.start("")
    wait_for(
        lambda: (
            not router_vtysh(topo.router("r1"))
            .json("show bgp ipv4 unicast json")
            .get("routes", {})
            .get("192.0.2.10/32")
        ),
        timeout=60,
        what="r1 to forget the native node",
    )
    for agent in agent_session(topo, tmp_path / "agent", node_name="node-a", metallb=Settings()):
        agent.write("metallb.yaml", manifests(*METALLB[1:]))
        agent.apply("receive.yaml", migrated(tmp_path))
        wait_established(topo)
        try:
            wait_for(lambda: _routes(topo) == before, timeout=30, what="the same routes with frrnode")
        except AssertionError:
            raise AssertionError(f"before (native): {before}\nafter (frrnode): {_routes(topo)}") from None
    assert before["bgp"] == LEARNED and before["r1"] == before["r2"] == {"192.0.2.10/32"}
