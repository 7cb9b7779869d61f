"""MetalLB's configuration parser (`config.For`, spec §1): objects -> a typed, validated `Config`.

Every rule of the parser and of the FRR-mode validator is checked here and every problem is
reported (not only the first), naming the object and the field path like `frrnode validate`.
A problem that may go away without an edit (a Secret or a community alias that does not exist
yet) is `transient`, as MetalLB classifies it.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from frrnode.api.core import BASIC_AUTH
from frrnode.api.v1beta1 import LabelSelector
from frrnode.errors import ConfigError, ConflictError
from frrnode.metallb import api
from frrnode.metallb.community import BGPCommunity, CommunityFormatError, parse_community
from frrnode.metallb.resources import MetalLBResources, Settings, ref
from frrnode.metallb.sessions import BFDProfile
from frrnode.metallb.timers import parse_timers
from frrnode.model import ObjectRef
from frrnode.pipeline.select import matches, selector_errors
from frrnode.pipeline.values import interface_name_problem, parse_ip, password_problem

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_COMMUNITIES = 63


@dataclass(frozen=True)
class AddressRange:
    """One `spec.addresses` entry: a CIDR or an inclusive range, and the CIDRs it summarises to."""

    text: str
    first: IPAddress
    last: IPAddress
    cidrs: tuple[IPNetwork, ...]

    @property
    def version(self) -> int:
        return self.first.version


@dataclass(frozen=True)
class Allocation:
    """`serviceAllocation`, with namespace selectors resolved against current Namespace labels."""

    priority: int
    namespaces: frozenset[str]
    namespace_selectors: tuple[LabelSelector, ...]
    service_selectors: tuple[LabelSelector, ...]


@dataclass(frozen=True)
class Pool:
    name: str
    ref: ObjectRef
    labels: Mapping[str, str]
    ranges: tuple[AddressRange, ...]
    auto_assign: bool
    avoid_buggy_ips: bool
    allocation: Allocation | None

    def contains(self, ip: IPAddress) -> bool:
        return any(r.version == ip.version and r.first <= ip <= r.last for r in self.ranges)  # type: ignore[operator]

    @property
    def versions(self) -> frozenset[int]:
        return frozenset(r.version for r in self.ranges)


@dataclass(frozen=True)
class Peer:
    """A BGPPeer after parsing: timers resolved (ns), addresses canonical, password resolved."""

    name: str
    ref: ObjectRef
    my_asn: int
    peer_asn: int
    dynamic_asn: str
    local_asn: int
    address: str
    interface: str
    source_address: str
    port: int
    hold_time: int | None
    keepalive_time: int | None
    connect_time: int | None
    router_id: str
    node_selectors: tuple[LabelSelector, ...]
    password: str
    secret: tuple[str, str] | None
    """The passwordSecret reference (name, namespace) when frr-k8s resolves it (pass-through)."""
    bfd_profile: str
    ebgp_multihop: bool
    graceful_restart: bool
    vrf: str
    disable_mp: bool
    dual_stack: bool

    @property
    def identifier(self) -> str:
        """Address or interface plus `-<vrf>`: two peers on one node must differ in it."""
        base = self.address or self.interface
        return f"{base}-{self.vrf}" if self.vrf else base


@dataclass(frozen=True)
class Advertisement:
    name: str
    ref: ObjectRef
    aggregation_length: int
    aggregation_length_v6: int
    local_pref: int
    communities: tuple[BGPCommunity, ...]
    """Sorted with MetalLB's ordering (legacy as if large), as `SetBalancer` does."""
    pools: tuple[str, ...]
    node_selectors: tuple[LabelSelector, ...]
    nodes: frozenset[str]
    peers: tuple[str, ...]
    service_selectors: tuple[LabelSelector, ...]

    def selects_node(self, node: str) -> bool:
        return node in self.nodes

    def matches_service(self, labels: Mapping[str, str]) -> bool:
        return not self.service_selectors or any(matches(s, labels) for s in self.service_selectors)


BFD = BFDProfile
"""A parsed BFDProfile: what the session manager holds, field for field."""


@dataclass(frozen=True)
class Config:
    """One parsed MetalLB configuration (all of it, or one node's view of it)."""

    pools: Mapping[str, Pool]
    peers: tuple[Peer, ...]
    advertisements: tuple[Advertisement, ...]
    bfd_profiles: Mapping[str, BFD]
    extras: str

    def advertisements_for(self, pool: str) -> tuple[Advertisement, ...]:
        return tuple(a for a in self.advertisements if pool in a.pools)

    def pool_for(self, ips: Sequence[IPAddress]) -> Pool | None:
        """The pool whose ranges contain all `ips` (speaker `poolFor`)."""
        for pool in self.pools.values():
            if ips and all(pool.contains(ip) for ip in ips):
                return pool
        return None


class _Errors:
    def __init__(self) -> None:
        self.items: list[ConfigError] = []

    def add(self, obj: ObjectRef, path: str, message: str, transient: bool = False) -> None:
        self.items.append(ConfigError(message, obj=obj, path=path, transient=transient))

    def conflict(self, obj: ObjectRef, path: str, other: ObjectRef, other_path: str, message: str) -> None:
        self.items.append(ConflictError(message, obj=obj, path=path, other=other, other_path=other_path))

    def selectors(self, obj: ObjectRef, path: str, selectors: Sequence[LabelSelector]) -> None:
        seen: list[LabelSelector] = []
        for index, selector in enumerate(selectors):
            for problem in selector_errors(selector, obj, f"{path}[{index}]"):
                problem.message = problem.message.replace("invalid nodeSelector", "invalid label selector")
                self.items.append(problem)
            if selector in seen:
                self.add(obj, f"{path}[{index}]", "duplicate selector")
            seen.append(selector)


def node_labels(res: MetalLBResources, node: str) -> dict[str, str]:
    labels = {"kubernetes.io/hostname": node}
    if node in res.nodes:
        labels.update(res.nodes[node].labels)
    return labels


def selects(selectors: Sequence[LabelSelector], labels: Mapping[str, str]) -> bool:
    """Empty = everything; otherwise any selector (OR)."""
    return not selectors or any(matches(s, labels) for s in selectors)


# ---------------------------------------------------------------- pools


_RANGE = re.compile(r"^\s*([0-9A-Fa-f.:]+)\s*-\s*([0-9A-Fa-f.:]+)\s*$")


def parse_address_entry(text: str) -> AddressRange:
    """A CIDR (host bits allowed, as `net.ParseCIDR`) or `start-end` (spaces around the dash)."""
    match = _RANGE.match(text)
    if match is None:
        if "/" not in text:
            raise ValueError(f"invalid CIDR {text!r} (expected a CIDR or a range start-end)")
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"invalid CIDR {text!r}") from None
        return AddressRange(text, network.network_address, network.broadcast_address, (network,))
    try:
        first, last = parse_ip(match.group(1)), parse_ip(match.group(2))
    except ValueError:
        raise ValueError(f"invalid IP range {text!r}") from None
    if first.version != last.version:
        raise ValueError(f"invalid IP range {text!r}: start and end are of different IP families")
    if int(first) > int(last):
        raise ValueError(f"invalid IP range {text!r}: start is after end")
    cidrs: tuple[IPNetwork, ...] = tuple(ipaddress.summarize_address_range(first, last))
    return AddressRange(text, first, last, cidrs)


def _parse_pools(res: MetalLBResources, errs: _Errors) -> dict[str, Pool]:
    pools: dict[str, Pool] = {}
    seen: list[tuple[IPNetwork, ObjectRef, str]] = []
    for obj in res.pools:
        r = ref(obj)
        ok = True
        ranges = []
        for index, text in enumerate(obj.spec.addresses):
            path = f"spec.addresses[{index}]"
            try:
                entry = parse_address_entry(text)
            except ValueError as exc:
                errs.add(r, path, str(exc))
                ok = False
                continue
            for cidr in entry.cidrs:
                for other, other_ref, other_path in seen:
                    if cidr.version == other.version and cidr.overlaps(other):
                        errs.conflict(r, path, other_ref, other_path, f"CIDR {cidr} overlaps with {other}")
                        ok = False
                seen.append((cidr, r, path))
            ranges.append(entry)
        allocation = None
        sa = obj.spec.service_allocation
        if sa is not None:
            base = "spec.serviceAllocation"
            for index, namespace in enumerate(sa.namespaces):
                if namespace in sa.namespaces[:index]:
                    errs.add(r, f"{base}.namespaces[{index}]", f"duplicate namespace {namespace!r}")
                    ok = False
            before = len(errs.items)
            errs.selectors(r, f"{base}.namespaceSelectors", sa.namespace_selectors)
            errs.selectors(r, f"{base}.serviceSelectors", sa.service_selectors)
            ok = ok and len(errs.items) == before
            resolved = set(sa.namespaces)
            for selector in sa.namespace_selectors:
                resolved |= {ns for ns, labels in res.namespaces.items() if matches(selector, labels)}
            allocation = Allocation(
                sa.priority,
                frozenset(resolved),
                tuple(sa.namespace_selectors),
                tuple(sa.service_selectors),
            )
        if ok:
            pools[obj.name] = Pool(
                obj.name,
                r,
                obj.metadata.labels,
                tuple(ranges),
                obj.spec.auto_assign,
                obj.spec.avoid_buggy_ips,
                allocation,
            )
    return pools


# ---------------------------------------------------------------- BFD profiles, communities


def _parse_bfd(res: MetalLBResources) -> dict[str, BFD]:
    return {
        p.name: BFD(
            p.name,
            p.spec.receive_interval,
            p.spec.transmit_interval,
            p.spec.detect_multiplier,
            p.spec.echo_interval,
            p.spec.echo_mode,
            p.spec.passive_mode,
            p.spec.minimum_ttl,
        )
        for p in res.bfd_profiles
    }


def _parse_aliases(res: MetalLBResources, errs: _Errors) -> dict[str, BGPCommunity]:
    aliases: dict[str, BGPCommunity] = {}
    where: dict[str, tuple[ObjectRef, str]] = {}
    for obj in res.communities:
        r = ref(obj)
        for index, alias in enumerate(obj.spec.communities):
            path = f"spec.communities[{index}]"
            try:
                value = parse_community(alias.value)
            except ValueError as exc:
                errs.add(r, f"{path}.value", str(exc))
                continue
            if alias.name in where:
                other, other_path = where[alias.name]
                errs.conflict(
                    r, f"{path}.name", other, other_path, f"duplicate community alias {alias.name!r}"
                )
                continue
            aliases[alias.name] = value
            where[alias.name] = (r, f"{path}.name")
    return aliases


# ---------------------------------------------------------------- peers


def _password(
    obj: api.BGPPeer, res: MetalLBResources, settings: Settings, errs: _Errors
) -> tuple[str, tuple[str, str] | None]:
    spec, r = obj.spec, ref(obj)
    secret_ref = spec.password_secret
    if not secret_ref.name:
        return spec.password, None
    if spec.password:
        errs.add(r, "spec.passwordSecret", "password and passwordSecret are mutually exclusive")
        return "", None
    if settings.mode == "frr-k8s" and settings.passthrough:
        return "", (secret_ref.name, secret_ref.namespace)
    path = "spec.passwordSecret.name"
    secret = res.secrets.get(secret_ref.name)
    if secret is None:
        errs.add(r, path, f"Secret {secret_ref.name!r} not found in {settings.namespace}", transient=True)
        return "", None
    if secret.type != BASIC_AUTH:
        errs.add(r, path, f"Secret {secret_ref.name!r} must be of type {BASIC_AUTH}, not {secret.type}")
        return "", None
    value = secret.get("password")
    if value is None:
        errs.add(r, path, f"Secret {secret_ref.name!r} has no key 'password'")
        return "", None
    return value.decode(errors="replace"), None


def _parse_peer(
    obj: api.BGPPeer,
    res: MetalLBResources,
    settings: Settings,
    bfd: Mapping[str, BFD],
    errs: _Errors,
) -> Peer | None:
    spec, r = obj.spec, ref(obj)
    before = len(errs.items)
    if spec.my_asn == 0:
        errs.add(r, "spec.myASN", "myASN must not be 0")
    if bool(spec.peer_asn) == bool(spec.dynamic_asn):
        errs.add(r, "spec.peerASN", "exactly one of peerASN and dynamicASN must be set")
    if bool(spec.peer_address) == bool(spec.interface):
        errs.add(r, "spec.peerAddress", "exactly one of peerAddress and interface must be set")
    address = ""
    if spec.peer_address:
        try:
            address = str(parse_ip(spec.peer_address))
        except ValueError:
            errs.add(r, "spec.peerAddress", f"invalid peer IP {spec.peer_address!r}")
    if spec.interface:
        problem = interface_name_problem(spec.interface)
        if problem:
            errs.add(r, "spec.interface", f"invalid interface name {spec.interface!r}: {problem}")
    for field, value in (("routerID", spec.router_id), ("sourceAddress", spec.source_address)):
        if value:
            try:
                parse_ip(value)
            except ValueError:
                errs.add(r, f"spec.{field}", f"invalid {field} {value!r}")
    if spec.router_id and ":" in spec.router_id:
        errs.add(r, "spec.routerID", f"invalid routerID {spec.router_id!r}: must be an IPv4 address")
    hold = keepalive = None
    try:
        hold, keepalive = parse_timers(spec.hold_time, spec.keepalive_time)
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        errs.add(r, f"spec.{field}", message)
    if spec.peer_asn and spec.peer_asn == spec.my_asn and spec.ebgp_multihop:
        errs.add(r, "spec.ebgpMultiHop", "ebgpMultiHop is only for eBGP peers (peerASN equals myASN)")
    errs.selectors(r, "spec.nodeSelectors", spec.node_selectors)
    if spec.bfd_profile and spec.bfd_profile not in bfd:
        errs.add(r, "spec.bfdProfile", f"BFDProfile {spec.bfd_profile!r} not found", transient=True)
    password, secret = _password(obj, res, settings, errs)
    problem = password_problem(password) if password else None
    if problem:
        errs.add(r, "spec.password", f"invalid password: {problem}")
    if spec.vrf:
        problem = interface_name_problem(spec.vrf)
        if problem:
            errs.add(r, "spec.vrf", f"invalid VRF name {spec.vrf!r}: {problem}")
    if len(errs.items) != before:
        return None
    return Peer(
        name=obj.name,
        ref=r,
        my_asn=spec.my_asn,
        peer_asn=spec.peer_asn,
        dynamic_asn=spec.dynamic_asn or "",
        local_asn=spec.local_asn or 0,
        address=address,
        interface=spec.interface,
        source_address=str(parse_ip(spec.source_address)) if spec.source_address else "",
        port=spec.peer_port,
        hold_time=hold,
        keepalive_time=keepalive,
        connect_time=spec.connect_time,
        router_id=spec.router_id,
        node_selectors=tuple(spec.node_selectors),
        password=password,
        secret=secret,
        bfd_profile=spec.bfd_profile,
        ebgp_multihop=spec.ebgp_multihop,
        graceful_restart=spec.enable_graceful_restart,
        vrf=spec.vrf,
        disable_mp=spec.disable_mp,
        dual_stack=spec.dual_stack_address_family,
    )


def _peer_nodes(peer: Peer, nodes: Mapping[str, Mapping[str, str]]) -> set[str]:
    return {n for n, labels in nodes.items() if selects(peer.node_selectors, labels)}


def _check_peer_pairs(peers: Sequence[Peer], nodes: Mapping[str, Mapping[str, str]], errs: _Errors) -> None:
    """FRR-mode peer compatibility (validation.go:161-194) for peers sharing a node."""
    for a, b in itertools.combinations(peers, 2):
        if nodes and not _peer_nodes(a, nodes) & _peer_nodes(b, nodes):
            continue
        if a.router_id != b.router_id:
            errs.conflict(
                b.ref,
                "spec.routerID",
                a.ref,
                "spec.routerID",
                f"peers selecting the same node must have the same routerID "
                f"({b.router_id or 'unset'} != {a.router_id or 'unset'})",
            )
        if a.identifier == b.identifier:
            field = "spec.peerAddress" if a.address else "spec.interface"
            errs.conflict(
                b.ref, field, a.ref, field, "duplicate BGPPeers selecting the same node are not supported"
            )
        if a.vrf == b.vrf and a.my_asn != b.my_asn:
            errs.conflict(
                b.ref,
                "spec.myASN",
                a.ref,
                "spec.myASN",
                f"peers in the same VRF selecting the same node must have the same myASN "
                f"({b.my_asn} != {a.my_asn})",
            )


# ---------------------------------------------------------------- advertisements


def _parse_advertisement(
    obj: api.BGPAdvertisement,
    pools: Mapping[str, Pool],
    all_pools: set[str],
    aliases: Mapping[str, BGPCommunity],
    nodes: Mapping[str, Mapping[str, str]],
    errs: _Errors,
) -> Advertisement | None:
    spec, r = obj.spec, ref(obj)
    before = len(errs.items)
    if spec.aggregation_length > 32:
        errs.add(r, "spec.aggregationLength", f"invalid aggregation length {spec.aggregation_length}: max 32")
    if spec.aggregation_length_v6 > 128:
        errs.add(
            r, "spec.aggregationLengthV6", f"invalid aggregation length {spec.aggregation_length_v6}: max 128"
        )
    communities: list[BGPCommunity] = []
    for index, text in enumerate(spec.communities):
        path = f"spec.communities[{index}]"
        if text in spec.communities[:index]:
            errs.add(r, path, f"duplicate community {text!r}")
            continue
        if text in aliases:
            communities.append(aliases[text])
            continue
        try:
            communities.append(parse_community(text))
        except CommunityFormatError as exc:
            errs.add(r, path, f"{exc}; no Community alias {text!r} exists", transient=True)
        except ValueError as exc:
            errs.add(r, path, str(exc))
    if len(communities) > MAX_COMMUNITIES:
        errs.add(r, "spec.communities", f"at most {MAX_COMMUNITIES} communities, got {len(communities)}")
    for index, name in enumerate(spec.ip_address_pools):
        path = f"spec.ipAddressPools[{index}]"
        if name in spec.ip_address_pools[:index]:
            errs.add(r, path, f"duplicate IPAddressPool {name!r}")
        elif name not in all_pools:
            errs.add(r, path, f"IPAddressPool {name!r} not found")
    for index, name in enumerate(spec.peers):
        if name in spec.peers[:index]:
            errs.add(r, f"spec.peers[{index}]", f"duplicate peer {name!r}")
    for field, selectors in (
        ("ipAddressPoolSelectors", spec.ip_address_pool_selectors),
        ("nodeSelectors", spec.node_selectors),
        ("serviceSelectors", spec.service_selectors),
    ):
        errs.selectors(r, f"spec.{field}", selectors)
    if len(errs.items) != before:
        return None
    if spec.ip_address_pools or spec.ip_address_pool_selectors:
        chosen = [p for p in pools if p in spec.ip_address_pools] + [
            p
            for p, pool in pools.items()
            if p not in spec.ip_address_pools and selects_any(spec.ip_address_pool_selectors, pool.labels)
        ]
    else:
        chosen = list(pools)
    return Advertisement(
        name=obj.name,
        ref=r,
        aggregation_length=spec.aggregation_length,
        aggregation_length_v6=spec.aggregation_length_v6,
        local_pref=spec.local_pref,
        communities=tuple(sorted(communities, key=lambda c: c.sort_key)),
        pools=tuple(sorted(chosen)),
        node_selectors=tuple(spec.node_selectors),
        nodes=frozenset(n for n, labels in nodes.items() if selects(spec.node_selectors, labels)),
        peers=tuple(spec.peers),
        service_selectors=tuple(spec.service_selectors),
    )


def selects_any(selectors: Sequence[LabelSelector], labels: Mapping[str, str]) -> bool:
    return any(matches(s, labels) for s in selectors)


def _check_aggregation(ad: Advertisement, pools: Mapping[str, Pool], errs: _Errors) -> None:
    """The aggregation length must not be shorter than any CIDR of the pools (config.go:974-991)."""
    for name in ad.pools:
        for entry in pools[name].ranges:
            length = ad.aggregation_length if entry.version == 4 else ad.aggregation_length_v6
            field = "spec.aggregationLength" if entry.version == 4 else "spec.aggregationLengthV6"
            lowest = min(c.prefixlen for c in entry.cidrs)
            if length < lowest:
                errs.add(
                    ad.ref,
                    field,
                    f"invalid aggregation length {length}: prefix {lowest} in IPAddressPool {name} is more "
                    f"specific than the aggregation length for addresses {entry.text}",
                )


def different_aggregation(a: Advertisement, b: Advertisement, versions: frozenset[int]) -> bool:
    """Per family present in the pool, the aggregation lengths differ (config.go:1047-1076)."""
    v4 = a.aggregation_length != b.aggregation_length
    v6 = a.aggregation_length_v6 != b.aggregation_length_v6
    if versions == {4}:
        return v4
    if versions == {6}:
        return v6
    return v4 and v6


def localpref_compatible(a: Advertisement, b: Advertisement, pool: Pool) -> bool:
    """Two advertisements of one pool may carry different localPrefs only if they can never
    describe the same BGP update: different aggregation, disjoint peers or disjoint nodes."""
    if a.local_pref == b.local_pref or different_aggregation(a, b, pool.versions):
        return True
    if a.peers and b.peers and not set(a.peers) & set(b.peers):
        return True
    return not nodes_overlap(a, b)


def nodes_overlap(a: Advertisement, b: Advertisement) -> bool:
    """Whether two advertisements can apply on one node; no selector means every node, even
    those not known yet."""
    if not a.node_selectors and not b.node_selectors:
        return True
    if not a.node_selectors:
        return bool(b.nodes)
    if not b.node_selectors:
        return bool(a.nodes)
    return bool(a.nodes & b.nodes)


def _check_localpref(ads: Sequence[Advertisement], pools: Mapping[str, Pool], errs: _Errors) -> None:
    for name, pool in pools.items():
        plain = [a for a in ads if name in a.pools and not a.service_selectors]
        for a, b in itertools.combinations(plain, 2):
            if not localpref_compatible(a, b, pool):
                errs.conflict(
                    b.ref,
                    "spec.localPref",
                    a.ref,
                    "spec.localPref",
                    f"invalid local preference {b.local_pref}: local preference {a.local_pref} was already "
                    f"set for the same type of BGP update (IPAddressPool {name})",
                )


def _check_bfd_echo_ipv6(
    ads: Sequence[Advertisement],
    peers: Sequence[Peer],
    pools: Mapping[str, Pool],
    bfd: Mapping[str, BFD],
    errs: _Errors,
) -> None:
    """Echo mode does not work over IPv6: no IPv6 pool may be announced to an echo peer."""
    for ad in ads:
        v6_pools = [p for p in ad.pools if 6 in pools[p].versions]
        if not v6_pools:
            continue
        for peer in peers:
            if (
                (not ad.peers or peer.name in ad.peers)
                and peer.bfd_profile in bfd
                and bfd[peer.bfd_profile].echo_mode
            ):
                errs.add(
                    peer.ref,
                    "spec.bfdProfile",
                    f"BFD profile {peer.bfd_profile!r} has echo mode, which does not work with the IPv6 "
                    f"addresses of IPAddressPool {v6_pools[0]} advertised by {ad.ref}",
                )


# ---------------------------------------------------------------- entry point


def parse(
    res: MetalLBResources, settings: Settings, node: str | None = None
) -> tuple[Config | None, list[ConfigError]]:
    """The whole configuration (`node` None: what the controller and the webhooks see) or one
    node's view of it (its speaker drops the peers and advertisements whose node selectors do
    not match it before parsing, spec §2.2). Returns (config, []) or (None, every problem)."""
    errs = _Errors()
    nodes = {name: node_labels(res, name) for name in res.nodes}
    if node is not None:
        nodes.setdefault(node, node_labels(res, node))
    pools = _parse_pools(res, errs)
    all_pools = {p.name for p in res.pools}
    bfd = _parse_bfd(res)
    aliases = _parse_aliases(res, errs)
    peer_objs = res.peers
    ad_objs = res.advertisements
    if node is not None:
        labels = nodes[node]
        peer_objs = [p for p in peer_objs if selects(p.spec.node_selectors, labels)]
        ad_objs = [a for a in ad_objs if selects(a.spec.node_selectors, labels)]
    peers = [p for obj in peer_objs if (p := _parse_peer(obj, res, settings, bfd, errs)) is not None]
    _check_peer_pairs(peers, {} if node is not None else nodes, errs)
    ads = [a for obj in ad_objs if (a := _parse_advertisement(obj, pools, all_pools, aliases, nodes, errs))]
    for ad in ads:
        _check_aggregation(ad, pools, errs)
    _check_localpref(ads, pools, errs)
    _check_bfd_echo_ipv6(ads, peers, pools, bfd, errs)
    extras = res.extras_text
    if extras and settings.mode == "frr-k8s" and res.extras is not None:
        errs.add(
            ref(res.extras),
            "data.extras",
            "bgpextras is not supported in frr-k8s mode (MetalLB rejects its whole configuration); "
            "turn it into an FRRConfiguration with `frrnode migrate bgpextras`",
        )
    if errs.items:
        return None, errs.items
    return Config(pools, tuple(peers), tuple(ads), bfd, extras), []


def foreign_errors(res: MetalLBResources, settings: Settings) -> list[ConfigError]:
    """MetalLB objects outside its namespace: the webhook refuses them (spec §1.1)."""
    return [
        ConfigError(
            f"MetalLB objects must be in namespace {settings.namespace!r}; this one is ignored",
            obj=ref(obj),
            path="metadata.namespace",
        )
        for obj in res.foreign
    ]
