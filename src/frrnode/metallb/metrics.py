"""The `metallb_*` series users' dashboards read (spec §6.4), from FRR's state and the stage's.

FRR-mode names and labels: BGP series per MetalLB peer with `peer="<ip>:<port>"` (`[ip]:port`
for IPv6, as Go's `net.JoinHostPort`) and `vrf`; BFD series with `peer="<ip>"`; the speaker's
`metallb_speaker_announced`, the config gauges and the allocator's pool gauges. Only MetalLB's
own peers are reported here: the node's other sessions are in the `frrk8s_*` families. Returned
as plain tuples `(name, type, help, samples)` so the agent's exposition writes them as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from frrnode.metallb.allocator import buggy
from frrnode.metallb.config import Peer, Pool
from frrnode.metallb.stage import StageState

Labels = tuple[tuple[str, str], ...]
FamilyTuple = tuple[str, str, str, tuple[tuple[Labels, float], ...]]

DEFAULT_AGENT_METRICS = "http://127.0.0.1:7473/metrics"
"""Where the Kubernetes-mode speaker reads its node's `frrk8s_*` series (the agent's /metrics)."""

# frr-k8s series that FRR-mode MetalLB also exports, under its own prefix (collector/bgp.go, bfd.go).
_NOT_IN_METALLB = ("frrk8s_bgp_received_prefixes_total",)


class FamilyLike(Protocol):
    """The agent's metric family (`agent.metrics.Family`), read only."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def help(self) -> str: ...
    @property
    def samples(self) -> tuple[tuple[Labels, float], ...]: ...


def peer_label(peer: Peer) -> str:
    host = peer.address or peer.interface
    return f"[{host}]:{peer.port}" if ":" in host else f"{host}:{peer.port}"


def _pool_size(pool: Pool) -> int:
    total = 0
    for entry in pool.ranges:
        for cidr in entry.cidrs:
            total += cidr.num_addresses
            if pool.avoid_buggy_ips and cidr.version == 4:
                total -= sum(1 for ip in (cidr.network_address, cidr.broadcast_address) if buggy(ip))
                if cidr.prefixlen < 24:
                    total -= 2 * ((1 << (24 - cidr.prefixlen)) - 1)
    return total


def families(frr: Iterable[FamilyLike], state: StageState) -> Iterator[FamilyTuple]:
    """`frr` are the agent's `frrk8s_*` families of one FRR snapshot: MetalLB's peers' series
    are renamed `metallb_*`, with `peer` as `ip:port` for BGP (as the FRR-mode exporter)."""
    peers = {(p.vrf or "default", p.address or p.interface): p for p in state.peers}
    for family in frr:
        if not family.name.startswith(("frrk8s_bgp_", "frrk8s_bfd_")) or family.name in _NOT_IN_METALLB:
            continue
        bgp = family.name.startswith("frrk8s_bgp_")
        samples = []
        for labels, value in family.samples:
            found = dict(labels)
            peer = peers.get((found.get("vrf", "default"), found.get("peer", "")))
            if peer is not None:
                label = peer_label(peer) if bgp else found["peer"]
                samples.append(((("peer", label), ("vrf", found.get("vrf", "default"))), value))
        if samples:
            yield "metallb_" + family.name.removeprefix("frrk8s_"), family.type, family.help, tuple(samples)
    announced = tuple(
        (
            (
                ("ip", ip),
                ("node", state.node),
                ("protocol", "bgp"),
                ("service", f"{a.namespace}/{a.service}"),
            ),
            1.0,
        )
        for a in state.announcements
        if a.announced
        for ip in a.ips
    )
    if announced:
        help_ = "Services being announced from this node (desired state, not routing convergence)."
        yield "metallb_speaker_announced", "gauge", help_, announced
    yield (
        "metallb_k8s_client_config_loaded_bool",
        "gauge",
        "1 if the MetalLB configuration was successfully loaded at least once.",
        (((), 1.0 if state.loaded else 0.0),),
    )
    yield (
        "metallb_k8s_client_config_stale_bool",
        "gauge",
        "1 if running on a stale configuration, because the latest config failed to load.",
        (((), 0.0 if state.valid else 1.0),),
    )
    yield (
        "metallb_k8s_client_updates_total",
        "counter",
        "Number of k8s object updates that have been processed.",
        (((), float(state.updates)),),
    )
    yield (
        "metallb_k8s_client_update_errors_total",
        "counter",
        "Number of k8s object updates that failed for some reason.",
        (((), float(state.update_errors)),),
    )
    in_use: dict[str, set[str]] = {name: set() for name in state.pools}
    for alloc in state.allocations.values():
        if alloc.pool in in_use:
            in_use[alloc.pool].update(alloc.ips)
    pools = sorted(state.pools.items())
    if pools:
        yield (
            "metallb_allocator_addresses_total",
            "gauge",
            "Number of usable IP addresses, per pool",
            tuple(((("pool", n),), float(_pool_size(p))) for n, p in pools),
        )
        yield (
            "metallb_allocator_addresses_in_use_total",
            "gauge",
            "Number of IP addresses in use, per pool",
            tuple(((("pool", n),), float(len(in_use[n]))) for n, _ in pools),
        )
