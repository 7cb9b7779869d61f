"""frrnode.frr.state on vtysh JSON captured from real FRR 8.4.4 (see tests/frr/st_capture.py)."""

from __future__ import annotations

import pytest
from st_fixtures import ReplayVtysh, load

from frrnode.errors import FrrError
from frrnode.frr import state


def _by_peer(sessions: list[state.SessionState]) -> dict[tuple[str, str], state.SessionState]:
    return {(s.vrf, s.peer): s for s in sessions}


def test_read_sessions_every_vrf_and_peer() -> None:
    sessions = state.read_sessions(ReplayVtysh())
    assert [(s.vrf, s.peer) for s in sessions] == [
        ("", "172.29.0.2"),
        ("", "172.29.0.3"),
        ("", "172.29.0.5"),
        ("", "fd00:29::4"),
        ("red", "172.28.0.2"),
    ]
    s = _by_peer(sessions)
    assert s[("", "172.29.0.2")].bgp_state == "Established"
    assert s[("", "172.29.0.3")].bgp_state == "Connect"
    assert s[("red", "172.28.0.2")].vrf_name == "red"
    assert s[("", "fd00:29::4")].vrf_name == "default"


def test_counts_received_accepted_advertised() -> None:
    vt = ReplayVtysh()
    r1 = _by_peer(state.read_sessions(vt))[("", "172.29.0.2")]
    fam = {f.family: f for f in r1.families}
    # r1 sent 3 v4 prefixes plus our own 2 back (AS-path loop): Adj-RIB-In 5, filter passes 2.
    assert fam["ipv4Unicast"] == state.FamilyCounts("ipv4Unicast", received=5, accepted=2, advertised=2)
    assert fam["ipv6Unicast"].accepted == 1
    assert r1.accepted == 3 and r1.advertised == 2
    # Only Established sessions with soft-reconfiguration cost an extra call.
    assert [c for c in vt.calls if "prefix-counts" in c] == [
        "show bgp vrf default ipv4 unicast neighbors 172.29.0.2 prefix-counts json",
        "show bgp vrf default ipv6 unicast neighbors 172.29.0.2 prefix-counts json",
    ]


def test_received_is_none_without_soft_reconfiguration() -> None:
    r3 = _by_peer(state.read_sessions(ReplayVtysh()))[("", "fd00:29::4")]
    assert r3.received is None
    assert r3.accepted == 3


def test_received_zero_when_session_down_with_soft_reconfiguration() -> None:
    r1 = _by_peer(state.parse_sessions(load("neighbors_r1_down.json")))[("", "172.29.0.2")]
    assert r1.bgp_state == "Idle"
    assert r1.received == 0 and r1.accepted == 0


def test_received_none_when_not_read() -> None:
    r1 = _by_peer(state.read_sessions(ReplayVtysh(), received=False))[("", "172.29.0.2")]
    assert r1.received is None


def test_bfd_status_and_na() -> None:
    s = _by_peer(state.read_sessions(ReplayVtysh()))
    assert s[("", "172.29.0.2")].bfd_status == "Up"
    assert s[("", "172.29.0.3")].bfd_status == state.NOT_CONFIGURED
    down = _by_peer(state.parse_sessions(load("neighbors_r1_down.json")))
    assert down[("", "172.29.0.2")].bfd_status == "Down"


def test_last_error() -> None:
    s = _by_peer(state.read_sessions(ReplayVtysh()))
    assert s[("", "172.29.0.5")].last_error == "BGP Notification send: OPEN Message Error/Bad Peer AS"
    # FRR's "No AFI/SAFI activated for peer" is noise on healthy sessions.
    assert s[("", "fd00:29::4")].last_error is None
    # A password mismatch: FRR never sees an OPEN.
    assert s[("", "172.29.0.3")].last_error == "Waiting for peer OPEN"
    down = _by_peer(state.parse_sessions(load("neighbors_r1_down.json")))
    assert down[("", "172.29.0.2")].last_error == "BGP Notification send: Cease/BFD Down"


def test_uptime_and_connections() -> None:
    s = _by_peer(state.read_sessions(ReplayVtysh()))
    r1 = s[("", "172.29.0.2")]
    assert r1.uptime_seconds == 2.0
    assert (
        r1.established_since == load("neighbors.json")["default"]["172.29.0.2"]["bgpTimerUpEstablishedEpoch"]
    )
    assert (r1.connections_established, r1.connections_dropped) == (2, 1)
    assert s[("", "172.29.0.3")].uptime_seconds is None
    assert s[("", "172.29.0.3")].established_since is None


def test_message_counters() -> None:
    r1 = _by_peer(state.read_sessions(ReplayVtysh()))[("", "172.29.0.2")]
    assert r1.messages == state.MessageCounters(
        opens_sent=5,
        opens_received=4,
        notifications_sent=3,
        notifications_received=0,
        updates_sent=3,
        updates_received=5,
        keepalives_sent=3,
        keepalives_received=3,
        route_refresh_sent=0,
        route_refresh_received=0,
        total_sent=14,
        total_received=12,
    )


def test_read_bfd_joins_counters() -> None:
    (peer,) = state.read_bfd(ReplayVtysh())
    assert peer.peer == "172.29.0.2" and peer.vrf == "" and peer.up
    assert peer.counters == state.BfdCounters(
        control_packet_input=7,
        control_packet_output=10,
        echo_packet_input=0,
        echo_packet_output=0,
        session_up=1,
        session_down=1,
        zebra_notifications=2,
    )
    (down,) = state.parse_bfd(load("bfd_peers_r1_down.json"))
    assert down.status == "down" and not down.up and down.counters is None
    assert down.diagnostic == "control detection time expired"


def test_read_routes_received_accepted_advertised() -> None:
    neighbor = load("neighbors.json")["default"]["172.29.0.2"]
    vt = ReplayVtysh(
        {
            "show bgp vrf default neighbors 172.29.0.2 json": {"172.29.0.2": neighbor},
            "show bgp vrf default ipv6 unicast neighbors 172.29.0.2 advertised-routes json": {},
        }
    )
    v4, v6 = state.read_routes(vt, "172.29.0.2")
    assert v4.family == "ipv4Unicast" and v4.vrf == ""
    assert v4.received is not None
    assert [r.prefix for r in v4.received] == [
        "10.101.0.0/24",
        "10.101.1.0/24",
        "10.101.2.0/24",
        "192.0.2.10/32",
        "192.0.2.11/32",
    ]
    assert [r.prefix for r in v4.accepted] == ["10.101.0.0/24", "10.101.1.0/24"]
    assert v4.accepted[0].next_hops == ("172.29.0.2",) and v4.accepted[0].best
    assert [r.prefix for r in v4.advertised] == ["192.0.2.10/32", "192.0.2.11/32"]
    assert v6.received is not None and [r.prefix for r in v6.received] == ["fd00:101::/64", "fd00:102::/64"]
    assert [r.prefix for r in v6.accepted] == ["fd00:101::/64"]


def test_read_routes_without_soft_reconfiguration() -> None:
    assert state.parse_route_table(load("r3_v6_received.json"), "receivedRoutes") is None
    routes = state.parse_route_table(load("r3_v6_accepted.json"), "routes")
    assert routes is not None and len(routes) == 3


def test_read_routes_unknown_neighbor() -> None:
    vt = ReplayVtysh({"show bgp vrf default neighbors 192.0.2.99 json": {}})
    with pytest.raises(LookupError):
        state.read_routes(vt, "192.0.2.99")


def test_snapshot_records_errors_instead_of_raising() -> None:
    vt = ReplayVtysh({"show bgp vrf all neighbors json": FrrError("vtysh failed", "bgpd is not running")})
    snap = state.read_snapshot(vt)
    assert snap.sessions == () and len(snap.bfd) == 1
    assert snap.error is not None and "bgpd is not running" in snap.error


def test_tolerates_missing_keys() -> None:
    sessions = state.parse_sessions({"default": {"vrfId": 0, "10.0.0.1": {"bgpState": "Active"}}})
    assert sessions == [state.SessionState(vrf="", peer="10.0.0.1", bgp_state="Active", bfd_status="N/A")]
    assert state.parse_sessions([]) == [] and state.parse_bfd(None) == []


def test_snapshot_is_batched_into_few_vtysh_processes() -> None:
    vt = ReplayVtysh()
    snap = state.read_snapshot(vt)
    assert snap.error is None and len(snap.sessions) == 5 and len(snap.bfd) == 1
    # One process for neighbors + BFD peers + counters, one for both prefix counts.
    assert vt.processes == 2


def test_batch_failure_falls_back_per_command() -> None:
    vt = ReplayVtysh({"show bfd peers counters json": FrrError("vtysh failed", "bfdd is not running")})
    snap = state.read_snapshot(vt)
    assert len(snap.sessions) == 5  # BGP still read
    assert snap.bfd == () and snap.error is not None and snap.error.startswith("bfd: ")
    out = state.json_many(vt, ["show bfd peers json", "show bfd peers counters json"])
    assert isinstance(out[0], list) and isinstance(out[1], FrrError)


def test_json_stream() -> None:
    assert state._json_stream('{"a": 1}\n[1, 2]\n  {}\n') == [{"a": 1}, [1, 2], {}]
    with pytest.raises(ValueError):
        state._json_stream('{"a": 1}\n% Unknown command: show bogus json\n')


def test_unnumbered_peer_is_keyed_by_interface() -> None:
    counts = load("unnumbered_v4_prefix_counts.json")
    vt = ReplayVtysh(
        {
            "show bgp vrf all neighbors json": load("unnumbered_neighbors.json"),
            "show bgp vrf default ipv4 unicast neighbors eth0 prefix-counts json": counts,
            "show bgp vrf default ipv6 unicast neighbors eth0 prefix-counts json": {
                "ribTableWalkCounters": {"Adj-in": 0}
            },
        }
    )
    (s,) = state.read_sessions(vt)
    assert (s.vrf, s.peer, s.bgp_state) == ("", "eth0", "Established")
    assert s.remote_address is not None and s.remote_address.startswith("fe80::")
    assert s.received == 2 and s.accepted == 2
