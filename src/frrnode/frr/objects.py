"""Plan the FRR objects for a `NodeConfig`: every name, number and line decided in Python.

`plan(node)` turns the intermediate model into frozen FRR objects (prefix-lists, route-map
entries, `router bgp` blocks, BFD profiles, ...). The Jinja2 templates only print them, and the
incremental applier can diff them object by object instead of parsing text.

Names and numbers follow upstream FRR-K8s exactly (spec §5.2-5.3), because users' raw snippets
refer to them: `<id>-in`, `<id>-out`, `<id>-allowed-ipv4|6`, `<id>-inpl-<family>`,
`<id>-denied-inpl-<family>`, `<id>-<pref>-<ip|ipv6>-localpref-prefixes`,
`<id>-<community>-<ip|ipv6>-community-prefixes`. Route-map entry numbers run 1..N per neighbor
across `-out` then `-in`; prefix-list seq numbers run 1..k per name across `ip` and `ipv6`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from frrnode.model import (
    EVPN,
    BFDProfile,
    Neighbor,
    NodeConfig,
    PrefixFamily,
    Router,
    Selector,
)

Action = Literal["permit", "deny"]

FAMILIES: tuple[PrefixFamily, ...] = ("ipv4", "ipv6")
_UNICAST_AFS: dict[str, tuple[PrefixFamily, ...]] = {"ipv4": ("ipv4",), "ipv6": ("ipv6",), "dual": FAMILIES}

DEBUG_LINES: tuple[str, ...] = (
    "debug zebra events",
    "debug zebra nht",
    "debug zebra kernel",
    "debug zebra rib",
    "debug zebra nexthop",
    "debug bgp neighbor-events",
    "debug bgp updates",
    "debug bgp keepalives",
    "debug bgp nht",
    "debug bgp zebra",
    "debug bfd network",
    "debug bfd peer",
    "debug bfd zebra",
)
"""Added when the log level is `debugging`, in upstream's order (spec §5.1)."""

ROUTER_DEFAULT_LINES: tuple[str, ...] = (
    "no bgp ebgp-requires-policy",
    "no bgp network import-check",
    "no bgp default ipv4-unicast",
    "bgp graceful-restart preserve-fw-state",
)

ROUTE_MAP_DELAY_TIMER = 1
"""Agent extra: seconds before bgpd re-evaluates routes after a policy change (FRR default 5).

Never 0: FRR then stops re-evaluating routes after route-map/prefix-list changes at all (lab
README §4). 1 s made policy changes reach the kernel ~1.5 s after the reload and cut bring-up
from ~4.4 s to ~1.7 s (lab README §6)."""

COALESCE_TIME_MS = 100
"""Agent extra: update-group coalesce time (FRR default 1000 ms); cut ~1 s between Established
and routes arriving (lab README §6)."""


@dataclass(frozen=True)
class RenderOptions:
    """How much beyond upstream FRR-K8s to render.

    The default is what the agent runs (extras on). `UPSTREAM` renders exactly what upstream
    would, for compatibility checks and `frrnode config render --upstream`-style output.
    """

    agent_extras: bool = True
    """Add agent-only lines: `neighbor X soft-reconfiguration inbound` in every activated unicast
    AF (pre-policy received counts for status), `bgp route-map delay-timer 1` and
    `coalesce-time 100` (faster convergence). See docs/compatibility.md."""
    hostname: bool = True
    """Render `hostname <node hostname>` like upstream. In FRR 8.4 `hostname` is vtysh-local and
    the daemons keep the system hostname, so frr-reload sees a diff forever unless the rendered
    name equals `uname -n`; appliers may turn this off."""


UPSTREAM = RenderOptions(agent_extras=False)


@dataclass(frozen=True)
class PrefixListEntry:
    seq: int
    action: Action
    prefix: str
    """A CIDR or `any`."""
    le: int | None = None
    ge: int | None = None

    @property
    def spec(self) -> str:
        """What follows `seq N`: `permit 10.0.0.0/8 le 24`. le before ge, as upstream prints it."""
        text = f"{self.action} {self.prefix}"
        if self.le is not None:
            text += f" le {self.le}"
        if self.ge is not None:
            text += f" ge {self.ge}"
        return text


@dataclass(frozen=True)
class PrefixList:
    """One FRR prefix-list. FRR keeps `ip` and `ipv6` lists apart even when they share a name
    (upstream's `-inpl-` and `-denied-inpl-` lists do), so the family is part of the identity."""

    family: PrefixFamily
    name: str
    entries: tuple[PrefixListEntry, ...]
    kind: Literal["prefix-list"] = "prefix-list"

    @property
    def keyword(self) -> str:
        return "ip" if self.family == "ipv4" else "ipv6"

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(f"{self.keyword} prefix-list {self.name} seq {e.seq} {e.spec}" for e in self.entries)


@dataclass(frozen=True)
class RouteMapEntry:
    """One `route-map NAME ACTION SEQ` stanza with its (indented) body lines."""

    name: str
    action: Action
    seq: int
    match: str
    """E.g. `ip address prefix-list 1.2.3.4-allowed-ipv4`."""
    sets: tuple[str, ...] = ()
    on_match_next: bool = False
    kind: Literal["route-map"] = "route-map"

    @property
    def header(self) -> str:
        return f"route-map {self.name} {self.action} {self.seq}"

    @property
    def body(self) -> tuple[str, ...]:
        lines = [f"match {self.match}", *(f"set {s}" for s in self.sets)]
        if self.on_match_next:
            lines.append("on-match next")
        return tuple(lines)


Stanza = PrefixList | RouteMapEntry


@dataclass(frozen=True)
class NeighborPolicy:
    """The prefix-lists and route-map entries that filter one neighbor, in upstream's order."""

    neighbor_id: str
    stanzas: tuple[Stanza, ...]

    @property
    def prefix_lists(self) -> tuple[PrefixList, ...]:
        return tuple(s for s in self.stanzas if isinstance(s, PrefixList))

    @property
    def route_map_entries(self) -> tuple[RouteMapEntry, ...]:
        return tuple(s for s in self.stanzas if isinstance(s, RouteMapEntry))

    @property
    def route_map_out(self) -> str:
        return f"{self.neighbor_id}-out"

    @property
    def route_map_in(self) -> str:
        return f"{self.neighbor_id}-in"


@dataclass(frozen=True)
class VrfBlock:
    """`vrf NAME / vni N / exit-vrf`, for VRF routers with an L3VNI."""

    name: str
    vni: int


@dataclass(frozen=True)
class NeighborSession:
    """A neighbor's session lines (outside any address family), complete `neighbor ...` lines."""

    neighbor_id: str
    peer: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class VniBlock:
    """`vni N` inside `address-family l2vpn evpn`, with its body lines."""

    vni: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class AddressFamilyBlock:
    """One `address-family NAME` block: `head` lines, then VNI sub-blocks, then `tail` lines."""

    name: str
    """`ipv4 unicast`, `ipv6 unicast` or `l2vpn evpn`."""
    head: tuple[str, ...] = ()
    vnis: tuple[VniBlock, ...] = ()
    tail: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.head or self.vnis or self.tail)


@dataclass(frozen=True)
class RouterBlock:
    asn: int
    vrf: str
    settings: tuple[str, ...]
    """Router-level lines: the fixed upstream defaults, router-id, agent extras."""
    neighbors: tuple[NeighborSession, ...]
    address_families: tuple[AddressFamilyBlock, ...]

    @property
    def header(self) -> str:
        return f"router bgp {self.asn}" + (f" vrf {self.vrf}" if self.vrf else "")


@dataclass(frozen=True)
class BfdProfileBlock:
    name: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FRRConfig:
    """Everything in one rendered FRR config file, in file order (spec §5.1)."""

    log_lines: tuple[str, ...]
    """`log ...` and `debug ...` lines."""
    global_lines: tuple[str, ...]
    """`hostname`, nht, agent extras."""
    policies: tuple[NeighborPolicy, ...] = ()
    vrfs: tuple[VrfBlock, ...] = ()
    routers: tuple[RouterBlock, ...] = ()
    bfd_profiles: tuple[BfdProfileBlock, ...] = ()
    raw: tuple[str, ...] = ()
    """Raw snippets in order, each without trailing newlines (appended verbatim otherwise)."""
    options: RenderOptions = field(default_factory=RenderOptions)


def _pl_family_kw(family: PrefixFamily) -> str:
    return "ip" if family == "ipv4" else "ipv6"


def _property_stanzas(n: Neighbor, rm_seq: _Counter) -> list[Stanza]:
    """localPref and community lists with their `-out` entries, sorted by list name (upstream)."""
    items: list[tuple[str, PrefixFamily, tuple[str, ...], str]] = []
    for lp in n.advertise.local_prefs:
        name = f"{n.id}-{lp.value}-{_pl_family_kw(lp.family)}-localpref-prefixes"
        items.append((name, lp.family, lp.prefixes, f"local-preference {lp.value}"))
    for c in n.advertise.communities:
        name = f"{n.id}-{c.community.name}-{_pl_family_kw(c.family)}-community-prefixes"
        set_line = (
            f"large-community {c.community.value} additive"
            if c.community.large
            else f"community {c.community.value} additive"
        )
        items.append((name, c.family, c.prefixes, set_line))
    out: list[Stanza] = []
    for name, family, prefixes, set_line in sorted(items, key=lambda i: i[0]):
        entries = tuple(PrefixListEntry(i, "permit", p) for i, p in enumerate(prefixes, 1))
        out.append(PrefixList(family, name, entries))
        out.append(
            RouteMapEntry(
                name=f"{n.id}-out",
                action="permit",
                seq=rm_seq.next(),
                match=f"{_pl_family_kw(family)} address prefix-list {name}",
                sets=(set_line,),
                on_match_next=True,
            )
        )
    return out


class _Counter:
    """Upstream's template counter: 1, 2, 3... per name."""

    def __init__(self) -> None:
        self._n = 0

    def next(self) -> int:
        self._n += 1
        return self._n


def _allowed_list(family: PrefixFamily, name: str, prefixes: tuple[str, ...]) -> PrefixList:
    if not prefixes:
        return PrefixList(family, name, (PrefixListEntry(1, "deny", "any"),))
    return PrefixList(family, name, tuple(PrefixListEntry(i, "permit", p) for i, p in enumerate(prefixes, 1)))


def _selector_entry(seq: int, s: Selector) -> PrefixListEntry:
    return PrefixListEntry(seq, "permit", s.prefix, le=s.le or None, ge=s.ge or None)


def _always_block_family(cidr: str) -> PrefixFamily:
    return "ipv4" if ipaddress.ip_network(cidr, strict=False).version == 4 else "ipv6"


def plan_neighbor_policy(n: Neighbor, always_block: tuple[str, ...]) -> NeighborPolicy:
    """Prefix-lists and route-maps for one neighbor (spec §5.3)."""
    rm_seq = _Counter()
    stanzas: list[Stanza] = _property_stanzas(n, rm_seq)
    out_name, in_name = f"{n.id}-out", f"{n.id}-in"

    # Allowed lists: both families always, `deny any` when empty (upstream quirk 11).
    v4_name, v6_name = f"{n.id}-allowed-ipv4", f"{n.id}-allowed-ipv6"
    stanzas.append(_allowed_list("ipv4", v4_name, n.advertise.prefixes_v4))
    stanzas.append(_allowed_list("ipv6", v6_name, n.advertise.prefixes_v6))
    nh4 = (f"ip next-hop {n.advertise.next_hop_v4}",) if n.advertise.next_hop_v4 else ()
    nh6 = (f"ipv6 next-hop global {n.advertise.next_hop_v6}",) if n.advertise.next_hop_v6 else ()
    stanzas.append(RouteMapEntry(out_name, "permit", rm_seq.next(), f"ip address prefix-list {v4_name}", nh4))
    stanzas.append(
        RouteMapEntry(out_name, "permit", rm_seq.next(), f"ipv6 address prefix-list {v6_name}", nh6)
    )

    # Inbound allow list: one name and one seq counter for the ip and ipv6 lists.
    inpl = f"{n.id}-inpl-{n.family}"
    seq = _Counter()
    r = n.receive
    v4_entries = [] if r.all else [_selector_entry(seq.next(), s) for s in r.selectors_v4]
    v6_entries = [] if r.all else [_selector_entry(seq.next(), s) for s in r.selectors_v6]
    if r.all:
        v4_entries.append(PrefixListEntry(seq.next(), "permit", "any"))
        v6_entries.append(PrefixListEntry(seq.next(), "permit", "any"))
    else:
        if not r.selectors_v4:
            v4_entries.append(PrefixListEntry(seq.next(), "deny", "any"))
        if not r.selectors_v6:
            v6_entries.append(PrefixListEntry(seq.next(), "deny", "any"))
    stanzas.append(PrefixList("ipv4", inpl, tuple(v4_entries)))
    stanzas.append(PrefixList("ipv6", inpl, tuple(v6_entries)))

    if always_block:
        denied = f"{n.id}-denied-inpl-{n.family}"
        seq = _Counter()
        by_family: dict[PrefixFamily, list[PrefixListEntry]] = {"ipv4": [], "ipv6": []}
        for cidr in always_block:
            fam = _always_block_family(cidr)
            le = 32 if fam == "ipv4" else 128
            by_family[fam].append(PrefixListEntry(seq.next(), "permit", cidr, le=le))
        # Upstream emits the entries in always-block order (IPv4 first by construction);
        # a family without entries gets no list, the route-map then matches nothing there.
        for fam in FAMILIES:
            if by_family[fam]:
                stanzas.append(PrefixList(fam, denied, tuple(by_family[fam])))
        stanzas.append(RouteMapEntry(in_name, "deny", rm_seq.next(), f"ip address prefix-list {denied}"))
        stanzas.append(RouteMapEntry(in_name, "deny", rm_seq.next(), f"ipv6 address prefix-list {denied}"))

    stanzas.append(RouteMapEntry(in_name, "permit", rm_seq.next(), f"ip address prefix-list {inpl}"))
    stanzas.append(RouteMapEntry(in_name, "permit", rm_seq.next(), f"ipv6 address prefix-list {inpl}"))
    return NeighborPolicy(n.id, tuple(stanzas))


def _is_ebgp(n: Neighbor, router_asn: int) -> bool:
    if n.remote_as == "external":
        return True
    if n.remote_as == "internal":
        return False
    return int(n.remote_as) != router_asn


def plan_session(n: Neighbor) -> NeighborSession:
    """Session lines in upstream's order (spec §5.5)."""
    p = f"neighbor {n.peer}"
    lines = [f"{p} interface remote-as {n.remote_as}" if n.interface else f"{p} remote-as {n.remote_as}"]
    if n.ebgp_multihop:
        lines.append(f"{p} ebgp-multihop")
    if n.local_asn is not None:
        lines.append(f"{p} local-as {n.local_asn} no-prepend replace-as")
    if n.port is not None:
        lines.append(f"{p} port {n.port}")
    # Upstream prints timers only as a pair (quirk 6): a lone keepalive or hold time is dropped.
    if n.keepalive_time is not None and n.hold_time is not None:
        lines.append(f"{p} timers {n.keepalive_time} {n.hold_time}")
    if n.connect_time is not None:
        lines.append(f"{p} timers connect {n.connect_time}")
    if n.password:
        lines.append(f"{p} password {n.password}")
    if n.source_address:
        lines.append(f"{p} update-source {n.source_address}")
    if n.graceful_restart:
        lines.append(f"{p} graceful-restart")
    if n.bfd_profile:
        lines.append(f"{p} bfd")
        lines.append(f"{p} bfd profile {n.bfd_profile}")
    if n.disable_connected_check:
        lines.append(f"{p} disable-connected-check")
    return NeighborSession(n.id, n.peer, tuple(lines))


def _unicast_families(n: Neighbor) -> tuple[PrefixFamily, ...]:
    if not n.unicast:
        return ()
    return _UNICAST_AFS[n.family]


def _evpn_block(r: Router, evpn: EVPN) -> AddressFamilyBlock:
    head = [f"neighbor {n.peer} activate" for n in r.neighbors if n.evpn]
    if evpn.advertise_vnis == "All":
        head.append("advertise-all-vni")
    if evpn.advertise_svi:
        head.append("advertise-svi-ip")
    vnis = []
    for l2 in evpn.l2vnis:
        if not (l2.rd or l2.import_rts or l2.export_rts):
            continue  # upstream renders nothing for a bare L2VNI
        body = [f"rd {l2.rd}"] if l2.rd else []
        body += [f"route-target import {rt}" for rt in l2.import_rts]
        body += [f"route-target export {rt}" for rt in l2.export_rts]
        vnis.append(VniBlock(l2.vni, tuple(body)))
    tail: list[str] = []
    if evpn.l3vni is not None:
        l3 = evpn.l3vni
        if "unicast" in l3.advertise_prefixes:
            tail += ["advertise ipv4 unicast", "advertise ipv6 unicast"]
        if l3.rd:
            tail.append(f"rd {l3.rd}")
        tail += [f"route-target import {rt}" for rt in l3.import_rts]
        tail += [f"route-target export {rt}" for rt in l3.export_rts]
    return AddressFamilyBlock("l2vpn evpn", tuple(head), tuple(vnis), tuple(tail))


def plan_router(r: Router, options: RenderOptions) -> RouterBlock:
    """One `router bgp` block (spec §5.4-5.8) with one block per address family.

    Upstream repeats `address-family ipv4 unicast` (imports, then per neighbor, then networks);
    FRR merges repeated blocks, so one block per family with the same lines in the same order
    loads to the same running config.
    """
    settings = list(ROUTER_DEFAULT_LINES)
    if r.router_id:
        settings.append(f"bgp router-id {r.router_id}")
    if options.agent_extras:
        settings.append(f"coalesce-time {COALESCE_TIME_MS}")
    sessions = tuple(plan_session(n) for n in r.neighbors)

    af_lines: dict[PrefixFamily, list[str]] = {"ipv4": [], "ipv6": []}
    for fam in FAMILIES:
        af_lines[fam] += [f"import vrf {v}" for v in r.imports]
    for n in r.neighbors:
        for fam in _unicast_families(n):
            af_lines[fam] += [
                f"neighbor {n.peer} activate",
                f"neighbor {n.peer} route-map {n.id}-in in",
                f"neighbor {n.peer} route-map {n.id}-out out",
            ]
            if options.agent_extras:
                af_lines[fam].append(f"neighbor {n.peer} soft-reconfiguration inbound")
    af_lines["ipv4"] += [f"network {p}" for p in r.prefixes_v4]
    af_lines["ipv6"] += [f"network {p}" for p in r.prefixes_v6]

    afs = [AddressFamilyBlock(f"{fam} unicast", tuple(lines)) for fam, lines in af_lines.items() if lines]
    if r.evpn is not None:
        afs.append(_evpn_block(r, r.evpn))
    return RouterBlock(r.asn, r.vrf, tuple(settings), sessions, tuple(afs))


def plan_bfd_profile(p: BFDProfile) -> BfdProfileBlock:
    """Only set fields, in upstream's order (spec §5.9)."""
    lines = []
    if p.receive_interval is not None:
        lines.append(f"receive-interval {p.receive_interval}")
    if p.transmit_interval is not None:
        lines.append(f"transmit-interval {p.transmit_interval}")
    if p.detect_multiplier is not None:
        lines.append(f"detect-multiplier {p.detect_multiplier}")
    if p.echo_mode:
        lines.append("echo-mode")
    if p.echo_interval is not None:
        lines.append(f"echo transmit-interval {p.echo_interval}")
        lines.append(f"echo receive-interval {p.echo_interval}")
    if p.passive_mode:
        lines.append("passive-mode")
    if p.minimum_ttl is not None:
        lines.append(f"minimum-ttl {p.minimum_ttl}")
    return BfdProfileBlock(p.name, tuple(lines))


def plan(node: NodeConfig, options: RenderOptions | None = None) -> FRRConfig:
    """All FRR objects for `node`, in file order. Pure and deterministic."""
    options = options or RenderOptions()
    log_lines = [f"log stdout {node.log_level}", "log timestamp precision 3"]
    if node.log_level == "debugging":
        log_lines += DEBUG_LINES
    global_lines = [f"hostname {node.hostname}"] if options.hostname else []
    global_lines += ["ip nht resolve-via-default", "ipv6 nht resolve-via-default"]
    if options.agent_extras:
        global_lines.append(f"bgp route-map delay-timer {ROUTE_MAP_DELAY_TIMER}")
    policies = tuple(plan_neighbor_policy(n, node.always_block) for r in node.routers for n in r.neighbors)
    vrfs = tuple(
        VrfBlock(r.vrf, r.evpn.l3vni.vni)
        for r in node.routers
        if r.vrf and r.evpn is not None and r.evpn.l3vni is not None
    )
    raw = tuple(s.text.rstrip("\r\n") for s in node.raw if s.text.strip())
    return FRRConfig(
        log_lines=tuple(log_lines),
        global_lines=tuple(global_lines),
        policies=policies,
        vrfs=vrfs,
        routers=tuple(plan_router(r, options) for r in node.routers),
        bfd_profiles=tuple(plan_bfd_profile(p) for p in node.bfd_profiles),
        raw=raw,
        options=options,
    )
