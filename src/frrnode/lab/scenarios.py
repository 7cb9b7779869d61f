"""The four situations users come for, on a lab, proven with real packets.

Each function sets up what it needs (hosts behind the routers, announcements), makes the node
learn through `apply(file_name, manifest)` (the e2e tests: the in-process agent; the demo: a
file in the agent's manifest directory), sends bounded UDP traffic inside the lab and returns
what it observed: kernel routes, who answered, and which link carried each packet. The e2e
tests assert on these observations; the demo prints them as a table (scenario_table.py).

The node's default gateway is r2 on the first segment (`prepare_node`), as on a real node:
without learned routes, traffic for other networks follows it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from frrnode.frr.instance import FrrInstance
from frrnode.lab import manage
from frrnode.lab import scenario_manifests as manifests
from frrnode.lab.hosts import present as hosts_present
from frrnode.lab.observe import (
    Route,
    Trip,
    accepted_from,
    bfd_up,
    devs,
    kernel_route,
    learned_from_node,
    neighbor,
    offered_to_node,
    reset_reason,
    trips,
    wait_for,
    wait_route,
)
from frrnode.lab.topology import LabHost, LabRouter, LabTopology
from frrnode.lab.traffic import Capture, EchoServer, Reply, probe

Apply = Callable[[str, str], object]
"""`apply(file_name, manifest)`: make the node's agent see this FRRConfiguration."""

NODE_GATEWAY = "r2"
SERVICES = "10.60.0.0/24"
"""Announced by r1 and r2 alike in the active-active situation (hosts behind both)."""
SERVICE_FLOWS = 16
"""Destinations probed across the ECMP route: all on one path by chance has odds 2/2**16."""
CLIENTS = "10.250.0.0/24"
"""rv's network: the second segment's hosts (and, in the segregation situation, r1's too)."""
REMOTE = "10.100.0.0/24"
"""r1's network: reached through the first segment."""
FAILOVER_TIMEOUT = 30.0


# -- set-up -------------------------------------------------------------------------------------
def prepare_node(topo: LabTopology) -> None:
    """A node as on a real network: a default gateway (r2, first segment), and reverse-path
    filtering loose (2), the common distribution default, so that a request arriving on eth1
    from a network the node routes elsewhere is still accepted (see `asymmetric_return`)."""
    node = topo.node
    manage._ip("-n", node.namespace, "route", "replace", "default", "via", topo.router(NODE_GATEWAY).ipv4)
    set_rp_filter(topo, 2)


def set_rp_filter(topo: LabTopology, mode: int) -> None:
    """The node's reverse-path filter: 0 off, 1 strict, 2 loose (`all` decides: per-interface
    values are zeroed, the kernel uses the maximum of both)."""
    ns = topo.node.namespace
    for itf in topo.node.interfaces:
        manage._write_sysctl(ns, f"net/ipv4/conf/{itf.name}/rp_filter", "0")
    manage._write_sysctl(ns, "net/ipv4/conf/all/rp_filter", str(mode))


def fix_multipath_hash(topo: LabTopology, seed: int = 4242) -> None:
    """Make the node's ECMP choice per flow (source and destination address, the default policy)
    reproducible on this kernel: a fixed hash seed where the kernel has the setting (6.11+);
    older kernels hash with a per-boot key, and SERVICE_FLOWS destinations make a one-sided
    split very unlikely (2 in 65,536)."""
    path = "/proc/sys/net/ipv4/fib_multipath_hash_seed"
    ns = topo.node.namespace
    probe_seed = subprocess.run(["ip", "netns", "exec", ns, "test", "-e", path], check=False, timeout=10)
    if probe_seed.returncode == 0:
        manage._write_sysctl(ns, path.removeprefix("/proc/sys/"), str(seed))


@contextlib.contextmanager
def serving(topo: LabTopology, *hosts: LabHost) -> Iterator[tuple[LabHost, ...]]:
    """The hosts exist and each runs an echo server answering with its name (`hr1`, ...);
    everything is removed after the block, also when it fails."""
    with hosts_present(topo, *hosts) as added, contextlib.ExitStack() as stack:
        for host in added:
            stack.enter_context(EchoServer(host.namespace, host.name))
        yield added


@contextlib.contextmanager
def router_asn(topo: LabTopology, name: str, asn: int) -> Iterator[LabRouter]:
    """Router `name` runs as AS `asn` inside the block (its FRR restarted with that number), and
    with its own number again after it."""
    original = topo.router(name)
    renumbered = dataclasses.replace(original, asn=asn)
    inst = FrrInstance(original.pathspace, original.namespace)
    inst.stop()
    try:
        inst.start(manage.router_config(topo, renumbered))
        yield renumbered
    finally:
        inst.stop()
        inst.start(manage.router_config(topo, original))


# -- 1. dynamic routing -----------------------------------------------------------------------
@dataclass(frozen=True)
class DynamicRouting:
    before: dict[str, Trip]
    """Probes before the node learned anything (they follow the default gateway)."""
    routes: dict[str, Route]
    after: dict[str, Trip]


def dynamic_routing(topo: LabTopology, apply: Apply, before: bool = True) -> DynamicRouting:
    """r1 (first segment) announces REMOTE, rv (second segment) CLIENTS; the node reaches a host
    in each through the interface of that segment."""
    prepare_node(topo)
    r1, rv = topo.router("r1"), topo.router("rv")
    hosts = (LabHost.behind(topo, "r1", [REMOTE]), LabHost.behind(topo, "rv", [CLIENTS]))
    targets = [h.addresses()[0] for h in hosts]
    with serving(topo, *hosts):
        first = trips(topo, targets) if before else {}
        apply("dynamic-routing.yaml", manifests.DYNAMIC_ROUTING)
        routes = {
            REMOTE: wait_route(topo.node.namespace, REMOTE, {r1.ipv4}),
            CLIENTS: wait_route(topo.node.namespace, CLIENTS, {rv.ipv4}),
        }
        return DynamicRouting(first, routes, trips(topo, targets))


# -- 2. traffic segregation -------------------------------------------------------------------
@dataclass(frozen=True)
class Segregation:
    branch: str
    """Which branch ran: "vrf" (eth1 in VRF red) or "default-table" (the kernel has no VRFs)."""
    main_route: Route | None
    vrf_route: Route | None
    from_main: Trip
    """A probe to the CIDR from the default table."""
    from_vrf: Trip | None
    """The same probe from VRF red (VRF branch only)."""
    leaked_to: tuple[str, ...]
    """First-segment routers that learned the CIDR from the node (none, if segregated)."""
    offered_by: tuple[str, ...]
    """Routers that announced the CIDR to the node (r1 and rv: the filter had a choice)."""
    accepted: dict[str, tuple[str, ...]]
    """Table ("default", or the VRF's name) -> routers whose path the node's BGP holds."""


def segregation(topo: LabTopology, apply: Apply) -> Segregation:
    """rv (second segment) and r1 (first) both announce CLIENTS, each with its own host there.
    With VRFs, rv's copy lives in VRF red only and r1's in the default table; without, the node
    accepts CLIENTS from rv only. Either way nothing crosses to the other side."""
    prepare_node(topo)
    r1, rv = topo.router("r1"), topo.router("rv")
    hosts = (LabHost.behind(topo, "rv", [CLIENTS]), LabHost.behind(topo, "r1", [CLIENTS]))
    target = hosts[0].addresses()[0]
    node = topo.node.namespace
    with serving(topo, *hosts):
        if topo.vrf:
            apply("segregation.yaml", manifests.SEGREGATION_VRF)
            vrf_route: Route | None = wait_route(node, CLIENTS, {rv.ipv4}, vrf=topo.vrf)
            main_route = wait_route(node, CLIENTS, {r1.ipv4})
            from_vrf: Trip | None = trips(topo, [target], device=topo.vrf)[target]
        else:
            apply("segregation.yaml", manifests.SEGREGATION_DEFAULT_TABLE)
            main_route, vrf_route, from_vrf = wait_route(node, CLIENTS, {rv.ipv4}), None, None
        from_main = trips(topo, [target])[target]
        segment_a = [r for r in topo.external if r.interfaces[0].segment == "a"]
        leaked = tuple(r.name for r in segment_a if learned_from_node(topo, r, CLIENTS))
        sessions = (("r1", None), ("rv", topo.vrf))

        def offers() -> tuple[str, ...] | None:  # both must offer it, or the filter chose nothing
            names = tuple(name for name, vrf in sessions if offered_to_node(topo, name, CLIENTS, vrf))
            return names if len(names) == len(sessions) else None

        offered = wait_for(f"r1 and rv to announce {CLIENTS} to the node", offers)
        accepted = {"default": accepted_from(topo, CLIENTS)}
        if topo.vrf:
            accepted[topo.vrf] = accepted_from(topo, CLIENTS, topo.vrf)
        branch = "vrf" if topo.vrf else "default-table"
        return Segregation(branch, main_route, vrf_route, from_main, from_vrf, leaked, offered, accepted)


# -- 3. active-active gateways ----------------------------------------------------------------
@dataclass(frozen=True)
class ActiveActive:
    same_as: bool
    route: Route
    """SERVICES with both routers up (two next hops)."""
    flows: dict[str, Reply]
    """Destination -> who answered (hr1 behind r1, hr2 behind r2)."""
    link_packets: dict[str, int]
    """Router -> requests it received on its first-segment link."""
    failover_seconds: float
    """r1's link down -> the node's route has r2 only."""
    reset_reason: str
    """Why the node dropped the session to r1 (FRR's `lastResetDueTo`)."""
    fallback: Route
    flows_after: dict[str, Reply]
    recovered: Route
    recovery_seconds: float
    """r1's link up again -> the route has both next hops again."""

    def spread(self, flows: dict[str, Reply] | None = None) -> dict[str, int]:
        """Server -> destinations it answered."""
        out: dict[str, int] = {}
        for reply in (self.flows if flows is None else flows).values():
            for name in reply.replies:
                out[name] = out.get(name, 0) + 1
        return dict(sorted(out.items()))


def active_active(topo: LabTopology, apply: Apply, same_as: bool) -> ActiveActive:
    """r1 and r2 announce SERVICES, each with a host holding the same addresses. Same AS: the
    hold timer (3 s) detects a failure; different ASes: BFD (3 x 100 ms) and multipath-relax."""
    prepare_node(topo)
    fix_multipath_hash(topo)
    r1 = topo.router("r1")
    with contextlib.ExitStack() as stack:
        r2 = stack.enter_context(router_asn(topo, "r2", r1.asn)) if same_as else topo.router("r2")
        hosts = tuple(LabHost.behind(topo, r, [SERVICES], count=SERVICE_FLOWS) for r in ("r1", "r2"))
        stack.enter_context(serving(topo, *hosts))
        manifest = manifests.ACTIVE_ACTIVE_SAME_AS if same_as else manifests.ACTIVE_ACTIVE_MULTI_AS
        apply("active-active.yaml", manifest)
        node = topo.node
        route = wait_route(node.namespace, SERVICES, {r1.ipv4, r2.ipv4})
        if not same_as:
            wait_for("BFD up with r1 and r2", lambda: bfd_up(node) >= {r1.ipv4, r2.ipv4})
        destinations = hosts[0].addresses()
        with Capture(r1.namespace, ["eth0"]) as c1, Capture(r2.namespace, ["eth0"]) as c2:
            flows = probe(node.namespace, destinations)
        link_packets = {"r1": c1.packets.count(direction="in"), "r2": c2.packets.count(direction="in")}

        def only_r2() -> Route | None:
            route = kernel_route(node.namespace, SERVICES)
            return route if route and route.gateways == {r2.ipv4} else None

        start = time.monotonic()
        manage.set_link(topo, "r1", up=False)
        stack.callback(manage.set_link, topo, "r1", True)
        fallback = wait_for("the route to fall back to r2", only_r2, FAILOVER_TIMEOUT, interval=0.02)
        failover = time.monotonic() - start
        reason = reset_reason(neighbor(node, r1.ipv4))
        flows_after = probe(node.namespace, destinations)

        start = time.monotonic()
        manage.set_link(topo, "r1", up=True)
        recovered = wait_route(node.namespace, SERVICES, {r1.ipv4, r2.ipv4})
        recovery = time.monotonic() - start
        return ActiveActive(
            same_as, route, flows, link_packets, failover, reason, fallback, flows_after, recovered, recovery
        )


# -- 4. asymmetric return path ----------------------------------------------------------------
@dataclass(frozen=True)
class Exchange:
    """A client's requests to a node address: on which node interface they arrived, by which
    one the replies left, and what the client got back."""

    requests_in: dict[str, int]
    replies_out: dict[str, int]
    reply: Reply

    def __str__(self) -> str:
        got = f"{self.reply.answered}/{self.reply.sent} answered"
        return f"requests in {devs(self.requests_in)}, replies out {devs(self.replies_out)}, {got}"


@dataclass(frozen=True)
class AsymmetricReturn:
    server: str
    client: str
    without_route: Exchange
    """rp_filter loose, nothing learned: the reply follows the default gateway."""
    strict_without_route: Exchange
    """rp_filter strict, nothing learned: the request itself is dropped."""
    route: Route
    with_route: Exchange


def asymmetric_return(topo: LabTopology, apply: Apply, count: int = 5) -> AsymmetricReturn:
    """A client behind rv sends requests to the node's second-segment address; the node answers
    by the interface its route to the client says: the default gateway's before it learns
    CLIENTS from rv, the one the requests came in on after."""
    prepare_node(topo)
    node, rv = topo.node, topo.router("rv")
    server = node.interface("b").ipv4_address
    host = LabHost.behind(topo, "rv", [CLIENTS])
    client = host.addresses()[0]
    devices = [itf.name for itf in node.interfaces]

    def exchange() -> Exchange:
        with Capture(node.namespace, devices) as cap:
            reply = probe(host.namespace, [server], count=count)[server]
        return Exchange(
            cap.packets.by_dev("in", src=client, dst=server),
            cap.packets.by_dev("out", src=server, dst=client),
            reply,
        )

    with hosts_present(topo, host), EchoServer(node.namespace, "node", address=server):
        without = exchange()
        set_rp_filter(topo, 1)
        try:
            strict = exchange()
        finally:
            set_rp_filter(topo, 2)
        apply("return-path.yaml", manifests.RETURN_PATH)
        route = wait_route(node.namespace, CLIENTS, {rv.ipv4})
        return AsymmetricReturn(server, client, without, strict, route, exchange())
