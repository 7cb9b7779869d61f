"""The lab topology as data: which namespaces, addresses, ASNs and prefixes a lab has.

Pure description, no side effects: `LabTopology.build(prefix, routers)` always gives the same
topology for the same arguments, so `lab down` / `lab status` can rebuild it from the prefix
alone (after a crash there is no other state to trust).

    segment A (bridge `bra` in <prefix>-br): 172.30.0.0/24, fd00:30::/64
        node .1 (eth0), r1 .2, r2 .3, ... (each router's eth0)
    segment B (bridge `brb` in <prefix>-br): 172.31.0.0/24, fd00:31::/64
        node .1 (eth1, in kernel VRF `red`, table 100, when the kernel has VRF support), rv .2

Optionally, hosts behind the external routers (`LabHost`, added and removed at run time): a
namespace `<prefix>-h<router>` linked to its router only, holding addresses in prefixes the
router announces, so traffic from the node has somewhere real to go.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

DEFAULT_PREFIX = "frrn"
NODE_ASN = 64512
FIRST_ROUTER_ASN = 64513
VRF_ROUTER_ASN = 64520
VRF_NAME = "red"
VRF_TABLE = 100
MAX_ROUTERS = 50
BFD_PROFILE = "lab"
"""BFD profile on the external routers (100 ms both ways): the node's own profile decides the
timers, since each side transmits no faster than the other side's receive interval."""

_PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,9}$")
_ROUTER_RE = re.compile(r"^(node([1-9][0-9]*)?|rv|r[1-9][0-9]*)$")
"""The lab's own routers, and further nodes (`node2`, ...) that tests add beside them."""
_HOST_RE = re.compile(r"^h(rv|r[1-9][0-9]*)$")
HOST_FIRST = 10
"""Hosts take addresses .10, .11, ... of each of their prefixes; the router takes .1."""

Role = Literal["node", "router"]


def check_prefix(prefix: str) -> str:
    """Lab prefixes are short lowercase names: they start every namespace and pathspace name."""
    if not _PREFIX_RE.match(prefix):
        raise ValueError(
            f"invalid lab name {prefix!r}: use 1-10 lowercase letters/digits, starting with a letter"
        )
    if prefix == "lab":
        raise ValueError("lab name 'lab' is reserved (lab-* namespaces belong to shared/lab/lab.sh)")
    return prefix


@dataclass(frozen=True)
class Segment:
    """One L2 segment: a bridge in the lab's bridge namespace."""

    name: str
    bridge: str
    ipv4: str
    ipv6: str


@dataclass(frozen=True)
class Interface:
    """A router's interface on a segment. Addresses carry their prefix length."""

    name: str
    segment: str
    ipv4: str
    ipv6: str
    bridge_port: str
    """The veth peer's name inside the bridge namespace."""
    vrf: str | None = None

    @property
    def ipv4_address(self) -> str:
        return self.ipv4.split("/")[0]

    @property
    def ipv6_address(self) -> str:
        return self.ipv6.split("/")[0]


@dataclass(frozen=True)
class LabRouter:
    """The node or an external router: one network namespace with one FRR instance."""

    name: str
    role: Role
    namespace: str
    pathspace: str
    asn: int
    router_id: str
    interfaces: tuple[Interface, ...]
    prefixes: tuple[str, ...] = ()
    """Prefixes the router announces (the node announces nothing until the agent configures it)."""
    peer_asn: int | None = None
    """For external routers: the ASN they expect the node to have."""

    def interface(self, segment: str) -> Interface:
        for itf in self.interfaces:
            if itf.segment == segment:
                return itf
        raise KeyError(f"{self.name} has no interface on segment {segment}")

    @property
    def ipv4(self) -> str:
        """The address on the router's first segment (A for all but rv)."""
        return self.interfaces[0].ipv4_address

    @property
    def ipv6(self) -> str:
        return self.interfaces[0].ipv6_address

    @property
    def ipv4_prefixes(self) -> tuple[str, ...]:
        return tuple(p for p in self.prefixes if ipaddress.ip_network(p).version == 4)

    @property
    def ipv6_prefixes(self) -> tuple[str, ...]:
        return tuple(p for p in self.prefixes if ipaddress.ip_network(p).version == 6)


@dataclass(frozen=True)
class LabTopology:
    """A whole lab: node, external routers r1..rN, the VRF-side router rv and two segments."""

    prefix: str
    bridge_namespace: str
    segments: tuple[Segment, ...]
    routers: tuple[LabRouter, ...]
    vrf: str | None = VRF_NAME
    """The node's VRF on segment B; None when the kernel has no VRF support (the node's eth1
    then stays in the default VRF, so only the multi-homed part of segment B works)."""
    vrf_table: int = VRF_TABLE

    @classmethod
    def build(cls, prefix: str = DEFAULT_PREFIX, routers: int = 2, vrf: bool = True) -> LabTopology:
        check_prefix(prefix)
        if not 1 <= routers <= MAX_ROUTERS:
            raise ValueError(f"routers must be between 1 and {MAX_ROUTERS}, not {routers}")
        seg_a = Segment("a", "bra", "172.30.0.0/24", "fd00:30::/64")
        seg_b = Segment("b", "brb", "172.31.0.0/24", "fd00:31::/64")
        vrf_name = VRF_NAME if vrf else None
        node = LabRouter(
            name="node",
            role="node",
            namespace=f"{prefix}-node",
            pathspace=f"{prefix}-node",
            asn=NODE_ASN,
            router_id="172.30.0.1",
            interfaces=(
                Interface("eth0", "a", "172.30.0.1/24", "fd00:30::1/64", "a-node"),
                Interface("eth1", "b", "172.31.0.1/24", "fd00:31::1/64", "b-node", vrf_name),
            ),
        )
        items = [node]
        for i in range(1, routers + 1):
            host = i + 1
            items.append(
                LabRouter(
                    name=f"r{i}",
                    role="router",
                    namespace=f"{prefix}-r{i}",
                    pathspace=f"{prefix}-r{i}",
                    asn=FIRST_ROUTER_ASN + i - 1,
                    router_id=f"172.30.0.{host}",
                    interfaces=(
                        Interface("eth0", "a", f"172.30.0.{host}/24", f"fd00:30::{host}/64", f"a-r{i}"),
                    ),
                    prefixes=router_prefixes(i),
                    peer_asn=NODE_ASN,
                )
            )
        items.append(
            LabRouter(
                name="rv",
                role="router",
                namespace=f"{prefix}-rv",
                pathspace=f"{prefix}-rv",
                asn=VRF_ROUTER_ASN,
                router_id="172.31.0.2",
                interfaces=(Interface("eth0", "b", "172.31.0.2/24", "fd00:31::2/64", "b-rv"),),
                prefixes=("10.250.0.0/24", "fd00:250::/64"),
                peer_asn=NODE_ASN,
            )
        )
        return cls(
            prefix=prefix,
            bridge_namespace=f"{prefix}-br",
            segments=(seg_a, seg_b),
            routers=tuple(items),
            vrf=vrf_name,
        )

    # -- lookups ---------------------------------------------------------------------------
    @property
    def node(self) -> LabRouter:
        return self.router("node")

    @property
    def external(self) -> tuple[LabRouter, ...]:
        """The external routers r1..rN and rv (everything but the node)."""
        return tuple(r for r in self.routers if r.role == "router")

    def router(self, name: str) -> LabRouter:
        for r in self.routers:
            if r.name == name:
                return r
        names = ", ".join(r.name for r in self.routers)
        raise KeyError(f"lab {self.prefix} has no router {name!r} (routers: {names})")

    def segment(self, name: str) -> Segment:
        for s in self.segments:
            if s.name == name:
                return s
        raise KeyError(f"no segment {name!r}")

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.bridge_namespace, *(r.namespace for r in self.routers))

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (what `frrnode lab status --json` prints)."""
        out: dict[str, Any] = {
            "prefix": self.prefix,
            "bridge_namespace": self.bridge_namespace,
            "vrf": self.vrf,
            "vrf_table": self.vrf_table if self.vrf else None,
            "segments": [asdict(s) for s in self.segments],
            "routers": {},
        }
        for r in self.routers:
            out["routers"][r.name] = {
                "role": r.role,
                "namespace": r.namespace,
                "pathspace": r.pathspace,
                "asn": r.asn,
                "router_id": r.router_id,
                "peer_asn": r.peer_asn,
                "addresses": {
                    itf.segment: {"interface": itf.name, "ipv4": itf.ipv4, "ipv6": itf.ipv6, "vrf": itf.vrf}
                    for itf in r.interfaces
                },
                "prefixes": list(r.prefixes),
            }
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


def router_prefixes(i: int) -> tuple[str, ...]:
    """Prefixes external router r<i> announces: two IPv4 and two IPv6 /24 resp. /64.

    r1 and r2 use the fixed sets of the lab README (10.100.0/24 + 10.100.1/24, 10.200.0/24 +
    10.201.0/24); 10.(i*100) stops being an address from r3 on, so r3+ use 10.<i>.0/24 + 10.<i>.1/24.
    """
    if i == 1:
        return ("10.100.0.0/24", "10.100.1.0/24", "fd00:100::/64", "fd00:101::/64")
    if i == 2:
        return ("10.200.0.0/24", "10.201.0.0/24", "fd00:200::/64", "fd00:201::/64")
    return (f"10.{i}.0.0/24", f"10.{i}.1.0/24", f"fd00:{i}00::/64", f"fd00:{i}01::/64")


def is_lab_namespace(prefix: str, name: str) -> bool:
    """True if `name` is one of the namespaces (or pathspaces) a lab with `prefix` creates."""
    if not name.startswith(prefix + "-"):
        return False
    rest = name[len(prefix) + 1 :]
    return rest == "br" or bool(_ROUTER_RE.match(rest) or _HOST_RE.match(rest))


@dataclass(frozen=True)
class LabHost:
    """A host behind an external router: its own namespace, linked to that router only.

    It holds `count` addresses (.10, .11, ...) in each of its IPv4 `prefixes`; the router holds
    .1 of each on the link (so the prefixes are connected there) and is the host's default
    gateway. One host per router: the name is `h<router>`.
    """

    name: str
    router: str
    namespace: str
    prefixes: tuple[str, ...]
    count: int = 1

    @classmethod
    def behind(cls, topo: LabTopology, router: str, prefixes: Sequence[str], count: int = 1) -> LabHost:
        r = topo.router(router)
        if r.role != "router":
            raise ValueError(f"hosts sit behind external routers, not behind the {router}")
        if not prefixes:
            raise ValueError("a host needs at least one prefix")
        for p in prefixes:
            net = ipaddress.ip_network(p)
            if net.version != 4:
                raise ValueError(f"host prefixes are IPv4 for now, not {p}")
            if net.num_addresses < HOST_FIRST + count + 1:
                raise ValueError(f"{p} has no room for {count} host addresses from .{HOST_FIRST}")
        return cls(f"h{router}", router, f"{topo.prefix}-h{router}", tuple(prefixes), count)

    def addresses(self, prefix: str | None = None) -> tuple[str, ...]:
        """The host's addresses (without length) in `prefix`, or in its first prefix."""
        net = ipaddress.ip_network(prefix or self.prefixes[0])
        if str(net) not in self.prefixes:
            raise KeyError(f"{self.name} has no addresses in {prefix}")
        return tuple(str(net.network_address + HOST_FIRST + i) for i in range(self.count))

    def interfaces(self, prefix: str) -> tuple[str, tuple[str, ...]]:
        """(router side address/len, host side addresses/len) in `prefix`."""
        net = ipaddress.ip_network(prefix)
        return f"{net.network_address + 1}/{net.prefixlen}", tuple(
            f"{a}/{net.prefixlen}" for a in self.addresses(prefix)
        )

    @property
    def gateway(self) -> str:
        """The router's address on the link: the host's default gateway."""
        return str(ipaddress.ip_network(self.prefixes[0]).network_address + 1)
