"""The intermediate model: one node's desired BGP configuration, merged and normalized.

The pipeline (`frrnode.pipeline`) produces a `NodeConfig` from API objects; the FRR layer
(`frrnode.frr`) turns it into FRR objects and text. Everything here is frozen, fully
defaulted and sorted, so two equal inputs give equal `NodeConfig` values whatever the order
the objects were listed in, and so rendering and diffing never have to sort or decide.

Sorting rules follow upstream FRR-K8s (see docs/compatibility.md): routers by VRF, neighbors
by ID string, prefixes per family by string, receive selectors by `<prefix><le><ge>`,
BFD profiles by name, raw snippets by (priority, name, namespace).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Family = Literal["ipv4", "ipv6", "dual"]
"""A neighbor's address family: from its address, or `dual` for interface/dual-stack peers."""

PrefixFamily = Literal["ipv4", "ipv6"]

FRRLogLevel = Literal["debugging", "informational", "warnings", "errors", "emergencies"]


@dataclass(frozen=True, order=True)
class ObjectRef:
    """Which API object something came from: used in errors and status."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, order=True)
class Selector:
    """One inbound prefix selector. `le`/`ge` are 0 when unset (as in the API)."""

    prefix: str
    le: int = 0
    ge: int = 0

    @property
    def sort_key(self) -> str:
        # Upstream sorts by the concatenated string; kept for identical seq numbers.
        return f"{self.prefix}{self.le}{self.ge}"


@dataclass(frozen=True)
class LocalPref:
    """Prefixes of one family advertised to a neighbor with a local preference."""

    value: int
    family: PrefixFamily
    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class Community:
    """A normalized BGP community: `A:B` (standard) or `A:B:C` (large)."""

    value: str
    large: bool

    @property
    def name(self) -> str:
        """How upstream spells it inside prefix-list names."""
        return f"large:{self.value}" if self.large else self.value


@dataclass(frozen=True)
class CommunityPrefixes:
    """Prefixes of one family advertised to a neighbor with a community attached."""

    community: Community
    family: PrefixFamily
    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class Advertise:
    """What a neighbor may be sent (already resolved: `mode: all` is expanded here)."""

    prefixes_v4: tuple[str, ...] = ()
    prefixes_v6: tuple[str, ...] = ()
    next_hop_v4: str | None = None
    next_hop_v6: str | None = None
    local_prefs: tuple[LocalPref, ...] = ()
    communities: tuple[CommunityPrefixes, ...] = ()


@dataclass(frozen=True)
class Receive:
    """What a neighbor may send us. `all` wins over selectors (which are then empty)."""

    all: bool = False
    selectors_v4: tuple[Selector, ...] = ()
    selectors_v6: tuple[Selector, ...] = ()


@dataclass(frozen=True)
class Neighbor:
    """One BGP peer of one router, after merging every object that declares it."""

    id: str
    """Merge key and FRR object-name stem: address or interface, plus `-<vrf>` in a VRF."""
    peer: str
    """What follows `neighbor` in FRR: the address or the interface name."""
    family: Family
    remote_as: str
    """A number, or `internal` / `external`."""
    display_name: str
    """`<asn>@<address|interface>`, as used in upstream messages."""
    address: str | None = None
    interface: str | None = None
    port: int | None = None
    source_address: str | None = None
    password: str | None = None
    hold_time: int | None = None
    keepalive_time: int | None = None
    connect_time: int | None = None
    ebgp_multihop: bool = False
    bfd_profile: str | None = None
    graceful_restart: bool = False
    local_asn: int | None = None
    disable_connected_check: bool = False
    address_families: tuple[str, ...] = ("unicast",)
    """Sorted subset of `evpn`, `unicast`."""
    advertise: Advertise = field(default_factory=Advertise)
    receive: Receive = field(default_factory=Receive)

    @property
    def unicast(self) -> bool:
        return "unicast" in self.address_families or not self.address_families

    @property
    def evpn(self) -> bool:
        return "evpn" in self.address_families


@dataclass(frozen=True)
class L2VNI:
    vni: int
    rd: str = ""
    import_rts: tuple[str, ...] = ()
    export_rts: tuple[str, ...] = ()


@dataclass(frozen=True)
class L3VNI:
    vni: int
    rd: str = ""
    import_rts: tuple[str, ...] = ()
    export_rts: tuple[str, ...] = ()
    advertise_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EVPN:
    advertise_vnis: str | None = None
    """`All`, `Disabled` or unset."""
    advertise_svi: bool = False
    l2vnis: tuple[L2VNI, ...] = ()
    l3vni: L3VNI | None = None


@dataclass(frozen=True)
class Router:
    """One `router bgp` instance; at most one per VRF (`""` is the default VRF)."""

    asn: int
    vrf: str = ""
    router_id: str | None = None
    prefixes_v4: tuple[str, ...] = ()
    prefixes_v6: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    neighbors: tuple[Neighbor, ...] = ()
    evpn: EVPN | None = None


@dataclass(frozen=True)
class BFDProfile:
    """A BFD profile; only fields that are set are rendered (FRR omits defaults)."""

    name: str
    receive_interval: int | None = None
    transmit_interval: int | None = None
    detect_multiplier: int | None = None
    echo_interval: int | None = None
    echo_mode: bool | None = None
    passive_mode: bool | None = None
    minimum_ttl: int | None = None


@dataclass(frozen=True)
class RawSnippet:
    priority: int
    text: str
    source: ObjectRef


@dataclass(frozen=True)
class NodeConfig:
    """Everything one node's FRR must run. Rendering is a pure function of this value."""

    hostname: str
    log_level: FRRLogLevel = "informational"
    always_block: tuple[str, ...] = ()
    """Normalized CIDRs denied from every neighbor (IPv4 first, then IPv6, each sorted)."""
    routers: tuple[Router, ...] = ()
    bfd_profiles: tuple[BFDProfile, ...] = ()
    raw: tuple[RawSnippet, ...] = ()
    sources: tuple[ObjectRef, ...] = ()
    """The FRRConfigurations that contributed, sorted (for status, not for rendering)."""
