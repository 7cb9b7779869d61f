"""lastError of healthy sessions (seen in tests/e2e/test_agent_status.py on real FRR 8.4: an
Established, never-dropped session showed `Waiting for peer OPEN` from a connect collision)."""

from __future__ import annotations

from frrnode.frr.state import WireNeighbor, parse_session


def wire(state: str, dropped: int, reason: str, notification: str | None = None) -> WireNeighbor:
    n: WireNeighbor = {
        "bgpState": state,
        "connectionsEstablished": 1 if state == "Established" else 0,
        "connectionsDropped": dropped,
        "lastResetDueTo": reason,
    }
    if notification:
        n["lastNotificationReason"] = notification
    return n


def test_established_never_dropped_has_no_error() -> None:
    assert parse_session("default", "p", wire("Established", 0, "Waiting for peer OPEN")).last_error is None
    bad_as = wire("Established", 0, "BGP Notification send", "OPEN Message Error/Bad Peer AS")
    assert parse_session("default", "p", bad_as).last_error is None  # an attempt before the fix


def test_failing_or_dropped_sessions_keep_the_reason() -> None:
    # Not established (e.g. a TCP-MD5 mismatch): the reason is all FRR knows.
    assert parse_session("default", "p", wire("Connect", 0, "Waiting for peer OPEN")).last_error == (
        "Waiting for peer OPEN"
    )
    # Re-established after a drop: why it dropped stays visible.
    bfd = wire("Established", 1, "BGP Notification send", "Cease/BFD Down")
    assert parse_session("default", "p", bfd).last_error == "BGP Notification send: Cease/BFD Down"
