"""Native ("frr") mode (spec §3): the frr.conf MetalLB renders itself, byte for byte.

The text reproduces upstream's templates exactly, including their blank lines and the lines of
two or four spaces they leave behind (the goldens are compared byte for byte), and ends with
the `bgpextras` text verbatim (§3.12). Every neighbor's inbound route-map is the single entry
`route-map <id>-in deny 20`: native mode accepts nothing unless bgpextras redefines it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from frrnode.api.v1beta1 import NS_PER_SECOND
from frrnode.frr.objects import DEBUG_LINES, ROUTER_DEFAULT_LINES
from frrnode.metallb.sessions import Advertisement, BFDProfile, SessionParams, SessionState
from frrnode.pipeline.values import interface_name_problem, password_problem

LOG_LEVELS = {
    "all": "debugging",
    "debug": "debugging",
    "info": "informational",
    "warn": "warnings",
    "error": "error",
    "none": "emergencies",
}


def frr_log_level(speaker_level: str) -> str:
    """The speaker's `--log-level` as FRR's (frr.go:510-527); unknown levels are informational."""
    return LOG_LEVELS.get(speaker_level, "informational")


@dataclass
class _PrefixList:
    name: str
    family: str  # "ip" or "ipv6"
    set_statement: str
    prefixes: set[str] = field(default_factory=set)


@dataclass
class _Neighbor:
    params: SessionParams
    advertised: list[Advertisement] = field(default_factory=list)


def _family_word(adv: Advertisement) -> str:
    return "ip" if adv.version == 4 else "ipv6"


def _filters(n: _Neighbor, counter: Counter[str]) -> str:
    """The neighbor's route-maps and prefix-lists (`prefixfilters.tmpl`)."""
    nid = n.params.neighbor_id

    def seq(name: str) -> int:
        counter[name] += 1
        return counter[name]

    localpref: dict[str, _PrefixList] = {}
    community: dict[str, _PrefixList] = {}
    v4: set[str] = set()
    v6: set[str] = set()
    for adv in n.advertised:
        fam = _family_word(adv)
        (v4 if fam == "ip" else v6).add(adv.prefix)
        if adv.local_pref:
            name = f"{nid}-{adv.local_pref}-{fam}-localpref-prefixes"
            plist = localpref.setdefault(
                name, _PrefixList(name, fam, f"set local-preference {adv.local_pref}")
            )
            plist.prefixes.add(adv.prefix)
        for c in adv.communities:
            name = f"{nid}-{c.frrk8s}-{fam}-community-prefixes"
            word = "large-community" if c.large else "community"
            plist = community.setdefault(name, _PrefixList(name, fam, f"set {word} {c} additive"))
            plist.prefixes.add(adv.prefix)
    out = f"route-map {nid}-in deny 20"
    for lists in (localpref, community):
        for name in sorted(lists):
            plist = lists[name]
            for prefix in sorted(plist.prefixes):
                out += f"\n{plist.family} prefix-list {name} seq {seq(name)} permit {prefix}"
            out += (
                f"\n\nroute-map {nid}-out permit {seq(nid)}\n"
                f"  match {plist.family} address prefix-list {name}\n"
                f"  {plist.set_statement}\n"
                "  on-match next\n"
            )
    v4_name, v6_name = f"{nid}-allowed-ipv4", f"{nid}-allowed-ipv6"
    out += "\n\n"
    if not v4:
        out += f"\nip prefix-list {v4_name} seq {seq(v4_name)} deny any"
    for prefix in sorted(v4):
        out += f"\nip prefix-list {v4_name} seq {seq(v4_name)} permit {prefix}"
    out += "\n\n"
    if not v6:
        out += f"\nipv6 prefix-list {v6_name} seq {seq(v6_name)} deny any"
    for prefix in sorted(v6):
        out += f"\nipv6 prefix-list {v6_name} seq {seq(v6_name)} permit {prefix}"
    out += (
        f"\n\nroute-map {nid}-out permit {seq(nid)}\n  match ip address prefix-list {v4_name}\n"
        f"\nroute-map {nid}-out permit {seq(nid)}\n  match ipv6 address prefix-list {v6_name}"
    )
    return out


def _disable_connected_check(p: SessionParams) -> bool:
    """Only single-hop eBGP IPv6 neighbors (config.go:200-232); unnumbered ones are dual."""
    if p.family != "ipv6" or p.ebgp_multihop:
        return False
    return p.dynamic_asn == "external" or (p.peer_asn != 0 and p.peer_asn != p.my_asn)


def _session(p: SessionParams) -> str:
    """The neighbor's session lines (`neighborsession.tmpl`), with its empty two-space lines."""
    peer = p.peer
    asn = p.asn_text
    if p.peer_interface:
        out = f"\n  neighbor {peer} interface remote-as {asn}"
    else:
        out = f"\n  neighbor {peer} remote-as {asn}"
    if p.ebgp_multihop:
        out += f"\n  neighbor {peer} ebgp-multihop"
    if p.local_asn:
        out += f"\n  neighbor {peer} local-as {p.local_asn} no-prepend replace-as"
    out += "\n  " + (f"neighbor {peer} port {p.peer_port}" if p.peer_port else "")
    if p.keepalive_time is not None and p.hold_time is not None:
        out += (
            f"\n  neighbor {peer} timers {p.keepalive_time // NS_PER_SECOND} {p.hold_time // NS_PER_SECOND}"
        )
    if p.connect_time:
        out += f"\n  neighbor {peer} timers connect {p.connect_time // NS_PER_SECOND}"
    out += "\n  " + (f"neighbor {peer} password {p.password}" if p.password else "")
    out += "\n  " + (f"neighbor {peer} update-source {p.source_address}" if p.source_address else "")
    if p.graceful_restart:
        out += f"\n  neighbor {peer} graceful-restart"
    if p.bfd_profile:
        out += f"\n  neighbor {peer} bfd\n  neighbor {peer} bfd profile {p.bfd_profile}"
    if _disable_connected_check(p):
        out += f"\n  neighbor {p.peer_address} disable-connected-check"
    return out


def _activate(p: SessionParams) -> str:
    out = "\n"
    families = ("ipv4", "ipv6") if p.family == "dual" else (p.family,)
    for fam in families:
        out += (
            f"\n  address-family {fam} unicast\n"
            f"    neighbor {p.peer} activate\n"
            f"    neighbor {p.peer} route-map {p.neighbor_id}-in in\n"
            f"    neighbor {p.peer} route-map {p.neighbor_id}-out out\n"
            "  exit-address-family"
        )
    return out


def _bfd(profile: BFDProfile) -> str:
    out = f"\n  profile {profile.name}\n    "
    fields = (
        (profile.receive_interval, f"receive-interval {profile.receive_interval}"),
        (profile.transmit_interval, f"transmit-interval {profile.transmit_interval}"),
        (profile.detect_multiplier, f"detect-multiplier {profile.detect_multiplier}"),
        (profile.echo_mode, "echo-mode"),
        (
            profile.echo_interval,
            f"echo receive-interval {profile.echo_interval}\n    "
            f"echo transmit-interval {profile.echo_interval}",
        ),
        (profile.passive_mode, "passive-mode"),
        (profile.minimum_ttl, f"minimum-ttl {profile.minimum_ttl}"),
    )
    for present, line in fields:
        if present:
            out += f"{line}\n    "
    return out


def _grouped(state: SessionState) -> list[tuple[SessionParams, list[_Neighbor], list[str], list[str]]]:
    """Routers with their neighbors (one per `<asn>@<peer>@<vrf>`) and `network` prefixes."""
    out = []
    for first, members in state.routers():
        neighbors: dict[str, _Neighbor] = {}
        for params in members:
            key = f"{params.asn_text}@{params.peer}@{params.vrf}"
            neighbor = neighbors.setdefault(key, _Neighbor(params))
            neighbor.advertised += state.prefixes(params)
        ordered = [neighbors[k] for k in sorted(neighbors)]
        v4 = sorted({a.prefix for n in ordered for a in n.advertised if a.version == 4})
        v6 = sorted({a.prefix for n in ordered for a in n.advertised if a.version == 6})
        out.append((first, ordered, v4, v6))
    return out


def render(state: SessionState, hostname: str, log_level: str = "informational") -> str:
    """The whole frr.conf (`frr.tmpl`). `log_level` is FRR's (see `frr_log_level`)."""
    counter: Counter[str] = Counter()
    text = f"log stdout {log_level}\nlog timestamp precision 3"
    if log_level == "debugging":
        text += "".join(f"\n{line}" for line in DEBUG_LINES)
    text += f"\nhostname {hostname}\nip nht resolve-via-default\nipv6 nht resolve-via-default"
    routers = _grouped(state)
    for _, neighbors, _, _ in routers:
        for n in neighbors:
            text += "\n" + _filters(n, counter)
    text += "\n\n"
    for first, neighbors, v4, v6 in routers:
        text += f"router bgp {first.my_asn}" + (f" vrf {first.vrf}" if first.vrf else "")
        text += "".join(f"\n  {line}" for line in ROUTER_DEFAULT_LINES) + "\n"
        if first.router_id:
            text += f"\n  bgp router-id {first.router_id}"
        for n in neighbors:
            text += _session(n.params)
        for n in neighbors:
            text += _activate(n.params)
        for fam, prefixes in (("ipv4", v4), ("ipv6", v6)):
            if prefixes:
                text += f"\n  address-family {fam} unicast"
                text += "".join(f"\n    network {p}" for p in prefixes)
                text += "\n  exit-address-family\n"
        text += "\n"
    if state.bfd_profiles:
        text += "\nbfd" + "".join(_bfd(p) for p in state.sorted_bfd())
    if state.extras:
        text += "\n" + state.extras
    return text + "\n"


def unsafe_values(state: SessionState) -> list[str]:
    """Strings that would break the file (a password with a newline, a bad interface name):
    native mode writes them verbatim, so they are refused before rendering."""
    problems = []
    for params in state.sessions.values():
        if params.password and (problem := password_problem(params.password)):
            problems.append(f"session {params.session_name}: password {problem}")
        if params.peer_interface and (problem := interface_name_problem(params.peer_interface)):
            problems.append(f"session {params.session_name}: interface {problem}")
    return problems
