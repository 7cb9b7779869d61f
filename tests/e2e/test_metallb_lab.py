"""MetalLB on frrnode end to end (spec §7): real FRR routers, two nodes, the embedded agent.

Lab: node-a (the lab's node, 172.30.0.1) and node-b (built here, 172.30.0.102), both AS 64512;
r1 is eBGP (AS 64513), r2 is restarted as an iBGP router (AS 64512) so that LOCAL_PREF is
carried. Each node runs its own agent on the same MetalLB manifests (one directory each, as
on two hosts), with MetalLB's stage on.
- a Service IP reaches both routers with its communities, localPref (iBGP) and both next hops;
- externalTrafficPolicy Local: only the node with a ready endpoint is a next hop;
- a pool or advertisement change is reflected with no session reset;
- a deleted Service is withdrawn from both routers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from agent_harness import RunningAgent, agent_session, lab_session
from lab_helpers import bgp_peers, router_vtysh, wait_for
from metallb_lab import extra_node, manifests, mlb_helpers, restart_router, router_text

from frrnode.lab.topology import NODE_ASN, LabRouter, LabTopology
from frrnode.metallb.resources import Settings

pytestmark = pytest.mark.lab

h = mlb_helpers
NODES = {"node-a": "172.30.0.1", "node-b": "172.30.0.102"}
SETTINGS = Settings(frrk8s_namespace="frr-k8s-system")


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[LabTopology, LabRouter]]:
    for topo in lab_session("ml"):
        with extra_node(topo) as node_b:
            r1, r2 = topo.router("r1"), topo.router("r2")
            restart_router(r1, router_text(topo, r1, (node_b,)))
            restart_router(r2, router_text(topo, r2, (node_b,), asn=NODE_ASN))
            yield topo, node_b


@pytest.fixture(scope="module")
def agents(
    lab: tuple[LabTopology, LabRouter], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[RunningAgent]]:
    topo, node_b = lab
    a_gen = agent_session(topo, tmp_path_factory.mktemp("node-a"), node_name="node-a", metallb=SETTINGS)
    b_gen = agent_session(
        topo, tmp_path_factory.mktemp("node-b"), node_name="node-b", frr=node_b, metallb=SETTINGS
    )
    a, b = next(a_gen), next(b_gen)
    try:
        yield [a, b]
    finally:
        for gen in (a_gen, b_gen):
            for _ in gen:
                pass


PEERS = [
    h.peer("r1", "172.30.0.2", asn=64513, my_asn=NODE_ASN),
    h.peer("r2", "172.30.0.3", asn=NODE_ASN, my_asn=NODE_ASN),
]


def base(ad: dict[str, Any] | None = None, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    ad = ad or h.adv("a", localPref=150, communities=["65000:100", "large:64512:1:2"])
    return [
        h.pool("p", "192.0.2.0/24", avoidBuggyIPs=True),
        *PEERS,
        ad,
        *extra,
    ]


def apply(agents: list[RunningAgent], docs: list[dict[str, Any]]) -> None:
    for agent in agents:
        agent.apply("metallb.yaml", manifests(*docs))


def paths(router: LabRouter, prefix: str) -> list[dict[str, Any]]:
    data = router_vtysh(router).json(f"show bgp ipv4 unicast {prefix} json")
    found: list[dict[str, Any]] = data.get("paths", [])
    return found


def next_hops(router: LabRouter, prefix: str) -> set[str]:
    return {hop["ip"] for p in paths(router, prefix) for hop in p.get("nexthops", [])}


def wait_next_hops(topo: LabTopology, prefix: str, want: set[str], what: str) -> None:
    for name in ("r1", "r2"):
        r = topo.router(name)
        wait_for(lambda r=r: next_hops(r, prefix) == want, timeout=30, what=f"{what} at {name}")  # type: ignore[misc]


def established_counts(topo: LabTopology) -> dict[tuple[str, str], int]:
    """connectionsEstablished of every router session toward the nodes."""
    out = {}
    for name in ("r1", "r2"):
        for peer, info in bgp_peers(topo.router(name)).items():
            if peer in NODES.values():
                out[(name, peer)] = info.get("connectionsEstablished", 0)
    return out


def wait_sessions(topo: LabTopology) -> None:
    def up() -> bool:
        return all(
            bgp_peers(topo.router(r)).get(ip, {}).get("state") == "Established"
            for r in ("r1", "r2")
            for ip in NODES.values()
        )

    wait_for(up, timeout=60, what="both routers Established with both nodes")


def test_service_ip_reaches_both_routers_with_its_attributes(lab: Any, agents: list[RunningAgent]) -> None:
    topo, _ = lab
    svc = h.service("web", annotations={"metallb.io/loadBalancerIPs": "192.0.2.10"})
    apply(agents, base(None, svc, h.endpoints("web", "node-a")))
    wait_sessions(topo)
    wait_next_hops(topo, "192.0.2.10/32", set(NODES.values()), "192.0.2.10/32 from both nodes")
    for name in ("r1", "r2"):
        for p in paths(topo.router(name), "192.0.2.10/32"):
            assert p["community"]["string"] == "65000:100", p
            assert p["largeCommunity"]["string"] == "64512:1:2", p
            if name == "r2":  # iBGP: LOCAL_PREF is carried (eBGP never carries it)
                assert p["locPrf"] == 150, p
            else:
                assert p["aspath"]["string"] == str(NODE_ASN), p
    status = agents[0].status_dir / "metallb" / "servicebgpstatus-node-a_default_web.yaml"
    assert "- r1\n  - r2\n" in status.read_text()


def test_etp_local_announced_only_from_nodes_with_endpoints(lab: Any, agents: list[RunningAgent]) -> None:
    topo, _ = lab
    svc = h.service("local", etp="Local", annotations={"metallb.io/loadBalancerIPs": "192.0.2.20"})
    apply(agents, base(None, svc, h.endpoints("local", "node-b")))
    wait_next_hops(topo, "192.0.2.20/32", {NODES["node-b"]}, "192.0.2.20/32 only from node-b")
    apply(agents, base(None, svc, h.endpoints("local", "node-a")))
    wait_next_hops(topo, "192.0.2.20/32", {NODES["node-a"]}, "192.0.2.20/32 only from node-a")
    apply(agents, base(None, svc, h.endpoints("local", "node-a", ready=False)))
    wait_next_hops(topo, "192.0.2.20/32", set(), "192.0.2.20/32 withdrawn without ready endpoints")


def _attrs(topo: LabTopology, prefix: str) -> Callable[[], set[tuple[str, Any]]]:
    def read() -> set[tuple[str, Any]]:
        return {(p["community"]["string"], p.get("locPrf")) for p in paths(topo.router("r2"), prefix)}

    return read


def test_pool_and_advertisement_changes_without_session_reset(lab: Any, agents: list[RunningAgent]) -> None:
    topo, _ = lab
    svc = h.service("web", annotations={"metallb.io/loadBalancerIPs": "192.0.2.10"})
    auto = h.service("auto")
    extra = [svc, h.endpoints("web", "node-a"), auto, h.endpoints("auto", "node-b")]
    docs = base(None, *extra)
    apply(agents, docs)
    wait_sessions(topo)
    wait_next_hops(topo, "192.0.2.1/32", set(NODES.values()), "the auto-assigned 192.0.2.1/32")
    before = established_counts(topo)
    # Advertisement change: another community and localPref.
    apply(agents, base(h.adv("a", localPref=250, communities=["65000:300"]), *extra))
    wait_for(
        lambda: _attrs(topo, "192.0.2.10/32")() == {("65000:300", 250)},
        timeout=30,
        what="new attributes at r2",
    )
    # Pool change: the pool moves, so do the Services' IPs (the held ones are no longer allowed).
    moved = [
        h.pool("p", "198.51.100.0/24", avoidBuggyIPs=True) if d.get("kind") == "IPAddressPool" else d
        for d in docs
        if d is not svc
    ] + [h.service("web")]
    apply(agents, moved)
    wait_next_hops(topo, "192.0.2.1/32", set(), "the old IP withdrawn")
    wait_next_hops(topo, "198.51.100.1/32", set(NODES.values()), "an IP of the new pool")
    assert established_counts(topo) == before  # no session was reset


def test_deleted_service_is_withdrawn(lab: Any, agents: list[RunningAgent]) -> None:
    topo, _ = lab
    svc = h.service("gone", annotations={"metallb.io/loadBalancerIPs": "192.0.2.30"})
    apply(agents, base(None, svc, h.endpoints("gone", "node-a")))
    wait_next_hops(topo, "192.0.2.30/32", set(NODES.values()), "192.0.2.30/32 announced")
    apply(agents, base(None))
    wait_next_hops(topo, "192.0.2.30/32", set(), "192.0.2.30/32 withdrawn")
    assert not list((agents[0].status_dir / "metallb").glob("service-default_gone.yaml"))
