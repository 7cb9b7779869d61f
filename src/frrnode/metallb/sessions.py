"""The speaker's BGP sessions and what each announces: the input of both FRR backends.

This is MetalLB's session-manager layer (spec §3.1, §4.3): `SessionState` holds the sessions
(keyed as upstream, a second `new_session` with the same key replaces the first), the
advertisements set on each, the BFD profiles and the `bgpextras` text. `frrk8s.py` turns it
into the FRRConfiguration of frr-k8s mode, `native.py` into native mode's frr.conf. Values are
kept as the speaker passes them (strings for addresses and prefixes), so the corpus's recorded
session-manager calls replay exactly.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from frrnode.metallb.community import BGPCommunity

Family = Literal["ipv4", "ipv6", "dual"]


@dataclass(frozen=True)
class SessionParams:
    """`bgp.SessionParameters`: one BGP session of this node. Empty strings are Go's nil IPs."""

    peer_address: str = ""
    peer_port: int = 179
    peer_interface: str = ""
    source_address: str = ""
    my_asn: int = 0
    router_id: str = ""
    peer_asn: int = 0
    dynamic_asn: str = ""
    hold_time: int | None = None
    keepalive_time: int | None = None
    connect_time: int | None = None
    password: str = ""
    password_ref: tuple[str, str] = ("", "")
    bfd_profile: str = ""
    graceful_restart: bool = False
    ebgp_multihop: bool = False
    vrf: str = ""
    session_name: str = ""
    """The BGPPeer's name: advertisements with a `peers` list are matched against it."""
    dual_stack: bool = False
    disable_mp: bool = False
    local_asn: int = 0

    @property
    def asn_text(self) -> str:
        return str(self.peer_asn) if self.peer_asn else self.dynamic_asn

    @property
    def key(self) -> str:
        """`<peerASN or dynamicASN>@<address or interface>-<myASN>@<source or <nil>>[/<vrf>]`."""
        base = (
            f"{self.asn_text}@{self.peer_address or self.peer_interface}-{self.my_asn}"
            f"@{self.source_address or '<nil>'}"
        )
        return f"{base}/{self.vrf}" if self.vrf else base

    @property
    def router_key(self) -> str:
        """Routers are one per (myASN, routerID, VRF), sorted by this string."""
        return f"{self.my_asn}@{self.router_id or '<nil>'}@{self.vrf}"

    @property
    def family(self) -> Family:
        if self.peer_interface or self.dual_stack:
            return "dual"
        return "ipv6" if ":" in self.peer_address else "ipv4"

    @property
    def peer(self) -> str:
        """How FRR names the neighbor: its address, or the interface for unnumbered peering."""
        return self.peer_interface or self.peer_address

    @property
    def neighbor_id(self) -> str:
        """Prefix of the neighbor's route-map and prefix-list names (native mode)."""
        return f"{self.peer}-{self.vrf}" if self.vrf else self.peer


@dataclass(frozen=True)
class Advertisement:
    """One prefix announced on a session, with its attributes (`bgp.Advertisement`)."""

    prefix: str
    local_pref: int = 0
    communities: tuple[BGPCommunity, ...] = ()
    peers: tuple[str, ...] = ()
    """BGPPeer names this may go to; empty = every peer (the speaker filters before `set`)."""

    @property
    def version(self) -> int:
        return ipaddress.ip_network(self.prefix, strict=False).version

    def fits(self, family: Family) -> bool:
        return family == "dual" or (self.version == 4) == (family == "ipv4")


@dataclass(frozen=True)
class BFDProfile:
    name: str
    receive_interval: int | None = None
    transmit_interval: int | None = None
    detect_multiplier: int | None = None
    echo_interval: int | None = None
    echo_mode: bool = False
    passive_mode: bool = False
    minimum_ttl: int | None = None


@dataclass
class SessionState:
    """What the session manager holds; every change rebuilds the whole output from it."""

    sessions: dict[str, SessionParams] = field(default_factory=dict)
    advertised: dict[str, tuple[Advertisement, ...]] = field(default_factory=dict)
    bfd_profiles: dict[str, BFDProfile] = field(default_factory=dict)
    extras: str = ""

    def new_session(self, params: SessionParams) -> None:
        self.sessions[params.key] = params
        self.advertised[params.key] = ()

    def set(self, params: SessionParams, advertisements: tuple[Advertisement, ...]) -> None:
        """Replace what the session announces (`session.Set`); the session must exist."""
        if params.key not in self.sessions:
            raise KeyError(f"session {params.key} not established before advertisement")
        self.advertised[params.key] = advertisements

    def close(self, params: SessionParams) -> None:
        self.sessions.pop(params.key, None)
        self.advertised.pop(params.key, None)

    def sync_bfd_profiles(self, profiles: dict[str, BFDProfile]) -> None:
        self.bfd_profiles = dict(profiles)

    @property
    def empty(self) -> bool:
        return not self.sessions and not self.bfd_profiles

    def sorted_bfd(self) -> list[BFDProfile]:
        return [self.bfd_profiles[name] for name in sorted(self.bfd_profiles)]

    def routers(self) -> list[tuple[SessionParams, list[SessionParams]]]:
        """(first session, sessions sorted by key) per router, routers sorted by key."""
        groups: dict[str, list[SessionParams]] = {}
        for params in self.sessions.values():
            groups.setdefault(params.router_key, []).append(params)
        out = []
        for key in sorted(groups):
            members = sorted(groups[key], key=lambda p: p.key)
            out.append((members[0], members))
        return out

    def prefixes(self, params: SessionParams) -> list[Advertisement]:
        """What the session announces in its own address family (both for dual neighbors)."""
        return [a for a in self.advertised.get(params.key, ()) if a.fits(params.family)]
