"""The sessions to report when FRR cannot tell: bgpd dead, restarted and not yet repaired, or
unreachable.

A dead bgpd answers nothing (vtysh prints nothing and exits 0), so FRR's own list of sessions
is empty. Reporting that as "no sessions" deleted every BGPSessionState and dropped the
`frrk8s_bgp_session_up` series, so an alert on `== 0` never fired (issue 9, defect 1). Instead,
every session the node had or should have is kept and reported down, with the reason in
`lastError`; the counters keep their last values.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable

from frrnode.frr.state import NOT_CONFIGURED, BfdPeerState, SessionState, Snapshot
from frrnode.model import NodeConfig

DOWN_STATE = "Idle"
"""The BGP FSM state of a session that is not running (upstream's values only: clients match
on them)."""


def _peer_key(peer: str) -> str:
    """A neighbor as FRR prints it: IPv6 compressed, interfaces verbatim."""
    try:
        return str(ipaddress.ip_address(peer))
    except ValueError:
        return peer


def desired_sessions(config: NodeConfig | None) -> list[SessionState]:
    """One down session per neighbor of the desired config (what FRR should have)."""
    if config is None:
        return []
    out = []
    for router in config.routers:
        for n in router.neighbors:
            out.append(
                SessionState(
                    vrf=router.vrf,
                    peer=_peer_key(n.peer),
                    bgp_state=DOWN_STATE,
                    bfd_status="Down" if n.bfd_profile else NOT_CONFIGURED,
                    remote_as=int(n.remote_as) if n.remote_as.isdigit() else None,
                    local_as=router.asn,
                )
            )
    return out


def as_down(session: SessionState, reason: str) -> SessionState:
    """`session` as it is while FRR cannot run it: not Established, no prefixes."""
    return dataclasses.replace(
        session,
        bgp_state=DOWN_STATE,
        bfd_status="Down" if session.bfd_status != NOT_CONFIGURED else NOT_CONFIGURED,
        families=tuple(
            dataclasses.replace(f, received=0 if f.received is not None else None, accepted=0, advertised=0)
            for f in session.families
        ),
        uptime_seconds=None,
        established_since=None,
        last_error=reason,
    )


def with_missing_down(
    current: Snapshot,
    known: Iterable[SessionState],
    reason: str,
    known_bfd: Iterable[BfdPeerState] = (),
    bfd_reason: str | None = None,
) -> Snapshot:
    """`current` plus every `known` session it lacks, reported down with `reason`; and, when
    `bfd_reason` is set (bfdd down), every `known_bfd` peer it lacks, reported down."""
    have = {(s.vrf, s.peer) for s in current.sessions}
    sessions = list(current.sessions)
    for s in known:
        if (s.vrf, s.peer) not in have:
            have.add((s.vrf, s.peer))
            sessions.append(as_down(s, reason))
    bfd = list(current.bfd)
    if bfd_reason is not None:
        seen = {(b.vrf, b.peer, b.local, b.interface) for b in bfd}
        for b in known_bfd:
            if (b.vrf, b.peer, b.local, b.interface) not in seen:
                bfd.append(dataclasses.replace(b, status="down", uptime_seconds=None))
    return Snapshot(
        tuple(sorted(sessions, key=lambda s: (s.vrf, s.peer))),
        tuple(bfd),
        current.taken_at,
        current.error,
    )
