"""The demo's table of the four situations: what the node learned, where a packet went.

Every cell is computed from an observation of `scenarios` (kernel routes, captured packets,
who answered); gateways are shown by router name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from frrnode.lab.observe import Route, Trip
from frrnode.lab.scenarios import ActiveActive, AsymmetricReturn, DynamicRouting, Segregation
from frrnode.lab.topology import LabTopology

HEADER = ("situation", "what the node learned", "where a packet went")


@dataclass(frozen=True)
class Row:
    situation: str
    learned: tuple[str, ...]
    went: tuple[str, ...]


def _router(topo: LabTopology, address: str) -> str:
    for r in topo.routers:
        if any(itf.ipv4_address == address for itf in r.interfaces):
            return r.name
    return address


def route(topo: LabTopology, r: Route | None) -> str:
    if r is None:
        return "nothing"
    return f"{r.dst} via " + " + ".join(f"{_router(topo, gw)} {dev}" for gw, dev in r.nexthops)


def _devs(counts: dict[str, int]) -> str:
    return "+".join(counts) or "nowhere"


def trip(t: Trip) -> str:
    who = ", ".join(t.reply.replies) if t.reply.answered else "nobody"
    return f"{t.dst}: out {_devs(t.out)}, answered by {who}"


def dynamic_routing(topo: LabTopology, obs: DynamicRouting) -> Row:
    return Row(
        "1 dynamic routing",
        tuple(route(topo, r) for r in obs.routes.values()),
        tuple(trip(t) for t in obs.after.values()),
    )


def segregation(topo: LabTopology, obs: Segregation) -> Row:
    told = ", ".join(obs.leaked_to) or "no first-segment router"
    if obs.branch == "vrf" and obs.from_vrf is not None:
        return Row(
            "2 segregation (VRF red)",
            (f"VRF red: {route(topo, obs.vrf_route)}", f"default: {route(topo, obs.main_route)}"),
            (f"from VRF red: {trip(obs.from_vrf)}", f"from default: {trip(obs.from_main)}", f"{told} told"),
        )
    return Row(
        "2 segregation (default table)",
        (route(topo, obs.main_route), "(r1's copy refused)"),
        (trip(obs.from_main), f"{told} told"),
    )


def active_active(topo: LabTopology, obs: ActiveActive) -> Row:
    spread = ", ".join(f"{n} via {_router(topo, gw)}" for gw, n in _gateways(topo, obs).items())
    how = "same AS, hold 3 s" if obs.same_as else "2 ASes, BFD"
    return Row(
        f"3 active-active ({how})",
        (f"{route(topo, obs.route)} (ECMP)",),
        (
            f"{len(obs.flows)} flows: {spread}",
            f"r1 down: {route(topo, obs.fallback)} after {obs.failover_seconds:.2f} s",
        ),
    )


def _gateways(topo: LabTopology, obs: ActiveActive) -> dict[str, int]:
    """Gateway address -> flows whose replies came from the host behind it (`h<router>`)."""
    out: dict[str, int] = {}
    for host, n in obs.spread().items():
        gateway = topo.router(host[1:]).ipv4
        out[gateway] = out.get(gateway, 0) + n
    return out


def asymmetric_return(topo: LabTopology, obs: AsymmetricReturn) -> Row:
    def reply(ex_out: dict[str, int], answered: int, sent: int) -> str:
        return f"reply out {_devs(ex_out)}, {answered}/{sent} answered"

    w, wo = obs.with_route, obs.without_route
    return Row(
        "4 asymmetric return",
        (route(topo, obs.route), "(before: nothing)"),
        (
            f"{obs.client} -> {obs.server}: in {_devs(w.requests_in)}, "
            + reply(w.replies_out, w.reply.answered, w.reply.sent),
            "before the route: " + reply(wo.replies_out, wo.reply.answered, wo.reply.sent),
        ),
    )


def render(rows: Sequence[Row]) -> str:
    """A plain-text table; cells may span several lines."""
    lines = [(HEADER[0], HEADER[1], HEADER[2])]
    for row in rows:
        height = max(len(row.learned), len(row.went))
        for i in range(height):
            lines.append(
                (
                    row.situation if i == 0 else "",
                    row.learned[i] if i < len(row.learned) else "",
                    row.went[i] if i < len(row.went) else "",
                )
            )
    widths = [max(len(line[c]) for line in lines) for c in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in lines)
