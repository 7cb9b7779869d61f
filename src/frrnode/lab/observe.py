"""What the lab says happened: kernel routes, the node's BGP view, and probe trips.

Small readers shared by the situations (scenarios.py) and their tests: each returns plain data
(a `Route`, a `Trip`, router names), never a verdict.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from frrnode.frr.vtysh import Vtysh
from frrnode.lab.manage import _ip
from frrnode.lab.topology import LabRouter, LabTopology
from frrnode.lab.traffic import Capture, Reply, probe

T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 60.0, interval: float = 0.1) -> T:
    """Poll `check` until it returns something truthy; TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last: {value!r})")
        time.sleep(interval)


# -- kernel routes and probe trips -----------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """A kernel route and its next hops (gateway, device)."""

    dst: str
    nexthops: tuple[tuple[str, str], ...]

    @property
    def gateways(self) -> frozenset[str]:
        return frozenset(gw for gw, _ in self.nexthops)

    def __str__(self) -> str:
        return f"{self.dst} " + " + ".join(f"via {gw} dev {dev}" for gw, dev in self.nexthops)


def kernel_route(netns: str, prefix: str, vrf: str | None = None) -> Route | None:
    """The route for exactly `prefix` in the main table (or in `vrf`'s), None if there is none."""
    out = _ip("-n", netns, "-j", "route", "show", prefix, *(("vrf", vrf) if vrf else ())).stdout
    for r in json.loads(out or "[]"):
        if r.get("dst") == prefix:
            hops = r.get("nexthops") or [r]
            return Route(prefix, tuple(sorted((h.get("gateway", ""), h.get("dev", "")) for h in hops)))
    return None


def wait_route(netns: str, prefix: str, gateways: set[str], vrf: str | None = None) -> Route:
    """Wait until the route for `prefix` goes through exactly `gateways`."""

    def check() -> Route | None:
        route = kernel_route(netns, prefix, vrf)
        return route if route and route.gateways == gateways else None

    where = f" in VRF {vrf}" if vrf else ""
    return wait_for(f"{prefix} via {sorted(gateways)}{where} in {netns}", check)


@dataclass(frozen=True)
class Trip:
    """Datagrams from the node to one destination: who answered, and per node interface how
    many requests left by it and how many replies came back on it."""

    dst: str
    reply: Reply
    out: dict[str, int]
    back: dict[str, int]

    def __str__(self) -> str:
        if self.reply.answered:
            who = ", ".join(f"{n}x{name}" for name, n in self.reply.replies.items())
            return f"{self.dst} answered by {who} (out {devs(self.out)}, back {devs(self.back)})"
        return f"{self.dst} unanswered (out {devs(self.out)}) {self.reply.error or ''}".rstrip()


def devs(counts: dict[str, int]) -> str:
    """`eth0:3+eth1:1`, or `none`."""
    return "+".join(f"{dev}:{n}" for dev, n in counts.items()) or "none"


def trips(
    topo: LabTopology, destinations: Sequence[str], count: int = 3, device: str | None = None
) -> dict[str, Trip]:
    """Probe `destinations` from the node, capturing on all its interfaces."""
    node = topo.node
    devices = [itf.name for itf in node.interfaces]
    with Capture(node.namespace, devices) as cap:
        replies = probe(node.namespace, destinations, count=count, device=device)
    return {
        dst: Trip(dst, reply, cap.packets.by_dev("out", dst=dst), cap.packets.by_dev("in", src=dst))
        for dst, reply in replies.items()
    }


# -- the node's BGP view ----------------------------------------------------------------------
def show(router: LabRouter, command: str) -> Any:
    """A `show ... json` command on a lab router's FRR, parsed."""
    return Vtysh(router.pathspace, timeout=30).json(command)


def learned_from_node(topo: LabTopology, router: LabRouter, prefix: str) -> bool:
    """Does `router`'s BGP table hold a path for `prefix` that the node sent it?"""
    paths: list[dict[str, Any]] = show(router, f"show bgp ipv4 unicast {prefix} json").get("paths", [])
    node_addresses = {itf.ipv4_address for itf in topo.node.interfaces}
    return any(p.get("peer", {}).get("peerId") in node_addresses for p in paths)


def _vrf_cmd(vrf: str | None) -> str:
    return f" vrf {vrf}" if vrf else ""


def offered_to_node(topo: LabTopology, router: str, prefix: str, vrf: str | None = None) -> bool:
    """Did `router` announce `prefix` to the node (before the node's inbound filter)? The agent
    keeps `soft-reconfiguration inbound`, so the node remembers what it refused."""
    peer = topo.router(router).ipv4
    cmd = f"show bgp{_vrf_cmd(vrf)} ipv4 unicast neighbors {peer} received-routes json"
    return prefix in show(topo.node, cmd).get("receivedRoutes", {})


def accepted_from(topo: LabTopology, prefix: str, vrf: str | None = None) -> tuple[str, ...]:
    """The routers whose path for `prefix` the node's BGP table (of `vrf`) holds."""
    data = show(topo.node, f"show bgp{_vrf_cmd(vrf)} ipv4 unicast {prefix} json")
    peers = {p.get("peer", {}).get("peerId") for p in data.get("paths", [])}
    return tuple(sorted(r.name for r in topo.external if r.ipv4 in peers))


def bfd_up(router: LabRouter) -> set[str]:
    """Peers whose BFD session with `router` is up."""
    return {p["peer"] for p in show(router, "show bfd peers json") or [] if p.get("status") == "up"}


def reset_reason(neighbor: dict[str, Any]) -> str:
    """FRR's reason for the last reset, with the notification's when it sent or got one."""
    reason = str(neighbor.get("lastResetDueTo", "?"))
    notification = neighbor.get("lastNotificationReason")
    return f"{reason}: {notification}" if notification else reason


def neighbor(router: LabRouter, peer: str) -> dict[str, Any]:
    info: dict[str, Any] = show(router, f"show bgp neighbors {peer} json").get(peer, {})
    return info
