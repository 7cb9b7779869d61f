"""The speaker's decisions for one node (spec §2.2-2.8): which sessions, and who announces what.

`announce` takes one node's parsed configuration and the Services with their assigned IPs, and
returns the `SessionState` both backends render plus, per Service, why this node announces it
or not (`ShouldAnnounce`'s reasons) and to which peers (what ServiceBGPStatus reports).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from frrnode.metallb import api
from frrnode.metallb.config import Advertisement as ConfigAdvertisement
from frrnode.metallb.config import Config, IPAddress, Peer, localpref_compatible
from frrnode.metallb.resources import MetalLBResources, Settings
from frrnode.metallb.sessions import Advertisement, SessionParams, SessionState

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


@dataclass(frozen=True)
class Announcement:
    """One Service on this node: announced to `peers` (BGPPeer names), or withdrawn for `reason`."""

    namespace: str
    service: str
    ips: tuple[str, ...]
    reason: str = ""
    """Empty when announced; else MetalLB's reason (`notOwner`, `noLocalEndpoints`, ...)."""
    peers: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    @property
    def announced(self) -> bool:
        return not self.reason and bool(self.peers)


def session_params(peer: Peer) -> SessionParams:
    return SessionParams(
        peer_address=peer.address,
        peer_port=peer.port,
        peer_interface=peer.interface,
        source_address=peer.source_address,
        my_asn=peer.my_asn,
        router_id=str(ipaddress.ip_address(peer.router_id)) if peer.router_id else "",
        peer_asn=peer.peer_asn,
        dynamic_asn=peer.dynamic_asn,
        hold_time=peer.hold_time,
        keepalive_time=peer.keepalive_time,
        connect_time=peer.connect_time,
        password=peer.password,
        password_ref=peer.secret or ("", ""),
        bfd_profile=peer.bfd_profile,
        graceful_restart=peer.graceful_restart,
        ebgp_multihop=peer.ebgp_multihop,
        vrf=peer.vrf,
        session_name=peer.name,
        dual_stack=peer.dual_stack,
        disable_mp=peer.disable_mp,
        local_asn=peer.local_asn,
    )


def handles(service: api.Service, settings: Settings) -> bool:
    """A LoadBalancer Service of our class (`--lb-class`; without it, only class-less ones)."""
    if service.spec.type != "LoadBalancer":
        return False
    return service.spec.load_balancer_class == settings.lb_class


def _node_unavailable(res: MetalLBResources, node: str) -> bool:
    obj = res.nodes.get(node)
    conditions = obj.status.get("conditions", []) if obj is not None else []
    return any(
        isinstance(c, dict) and c.get("type") == "NetworkUnavailable" and c.get("status") == "True"
        for c in conditions
    )


def endpoints_reason(service: api.Service, slices: Sequence[api.EndpointSlice], node: str) -> str:
    """`noLocalEndpoints` / `noEndpoints` or empty: ETP Local needs a serving endpoint on `node`."""
    local = service.spec.external_traffic_policy == "Local"
    for eps in slices:
        for ep in eps.endpoints:
            if ep.addresses and ep.can_serve and (not local or ep.node_name == node):
                return ""
    return "noLocalEndpoints" if local else "noEndpoints"


def _slices_by_service(res: MetalLBResources) -> dict[tuple[str, str], list[api.EndpointSlice]]:
    out: dict[tuple[str, str], list[api.EndpointSlice]] = {}
    for eps in res.endpoint_slices:
        out.setdefault((eps.metadata.namespace, eps.service_name), []).append(eps)
    return out


def _parse_ips(ips: Sequence[str]) -> list[IPAddress] | None:
    try:
        return [ipaddress.ip_address(ip) for ip in ips]
    except ValueError:
        return None


def _decide(
    service: api.Service,
    ips: Sequence[str],
    config: Config,
    res: MetalLBResources,
    node: str,
    settings: Settings,
    slices: Sequence[api.EndpointSlice],
) -> tuple[str, list[ConfigAdvertisement]]:
    """(reason, advertisements): `ShouldAnnounce` (bgp_controller.go:155-201), first failure wins."""
    if not ips:
        return "noIPAllocated", []
    parsed = _parse_ips(ips)
    if parsed is None:
        return "invalidIP", []
    pool = config.pool_for(parsed)
    if pool is None:
        return "ipNotAllowed", []
    pool_ads = config.advertisements_for(pool.name)
    mine = [a for a in pool_ads if a.selects_node(node)]
    if not mine:
        return "notOwner", []
    labels = service.metadata.labels
    matching = [a for a in mine if a.matches_service(labels)]
    if not matching:
        return "noMatchingAdvertisement", []
    for i, a in enumerate(matching):
        if any(not localpref_compatible(a, b, pool) for b in matching[:i]):
            return "conflictingAdvertisements", []
    if _node_unavailable(res, node):
        return "nodeNetworkUnavailable", []
    node_obj = res.nodes.get(node)
    if not settings.ignore_exclude_lb and node_obj is not None and EXCLUDE_LABEL in node_obj.labels:
        return "nodeLabeledExcludeBalancers", []
    reason = endpoints_reason(service, slices, node)
    return reason, ([] if reason else matching)


def _masked(ip: IPAddress, ad: ConfigAdvertisement) -> str:
    length = ad.aggregation_length if ip.version == 4 else ad.aggregation_length_v6
    return str(ipaddress.ip_network(f"{ip}/{length}", strict=False))


def announce(
    config: Config,
    res: MetalLBResources,
    node: str,
    settings: Settings,
    assigned: Mapping[tuple[str, str], Sequence[str]],
) -> tuple[SessionState, list[Announcement]]:
    """The node's sessions and advertisements, and the decision for every LoadBalancer Service.

    `assigned` maps (namespace, name) to the Service's ingress IPs (the allocator's result)."""
    state = SessionState()
    peers = sorted(config.peers, key=lambda p: p.name)
    params = {p.name: session_params(p) for p in peers}
    for p in params.values():
        state.new_session(p)
    state.sync_bfd_profiles(dict(config.bfd_profiles))
    state.extras = config.extras
    slices = _slices_by_service(res)
    per_peer: dict[str, list[Advertisement]] = {name: [] for name in params}
    decisions: list[Announcement] = []
    for service in res.services:
        if not handles(service, settings):
            continue
        key = (service.metadata.namespace, service.metadata.name)
        ips = tuple(assigned.get(key, ()))
        reason, ads = _decide(service, ips, config, res, node, settings, slices.get(key, []))
        if reason:
            decisions.append(Announcement(key[0], key[1], ips, reason))
            continue
        to: set[str] = set()
        prefixes: set[str] = set()
        for ip in _parse_ips(ips) or []:
            for ad in ads:
                adv = Advertisement(_masked(ip, ad), ad.local_pref, ad.communities, ad.peers)
                prefixes.add(adv.prefix)
                for name, p in params.items():
                    if (not ad.peers or name in ad.peers) and adv.fits(p.family):
                        per_peer[name].append(adv)
                        to.add(name)
        decisions.append(Announcement(key[0], key[1], ips, "", tuple(sorted(to)), tuple(sorted(prefixes))))
    for name, p in params.items():
        state.set(p, tuple(per_peer[name]))
    return state, decisions
