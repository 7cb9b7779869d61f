"""End to end: several FRRConfigurations for one node are merged, conflicts are refused without
touching FRR, bursts of edits are coalesced and no-op edits never call FRR (issue #3).

The real agent drives the lab node's FRR; r1 (AS 64513, 172.30.0.2) announces 10.100.0.0/24 and
10.100.1.0/24 and accepts everything the node sends.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_harness import (
    RunningAgent,
    agent_session,
    bgp_table,
    frrconfig,
    kernel_routes,
    lab_session,
    neighbor_info,
    wait_until,
)

from frrnode.lab.topology import LabRouter, LabTopology

pytestmark = pytest.mark.lab

R1 = "172.30.0.2"
ADV_REF = "FRRConfiguration/frr-k8s-system/advertise"
RECV_REF = "FRRConfiguration/frr-k8s-system/receive"
BAD_REF = "FRRConfiguration/frr-k8s-system/conflicting"


def advertise(prefixes: list[str], asn: int = 64513, comment: str = "") -> str:
    """Owner 1 (e.g. MetalLB): announce `prefixes` to r1."""
    items = "\n".join(f"      - {p}" for p in prefixes)
    return frrconfig(
        "advertise",
        f"""{comment}  bgp:
    routers:
    - asn: 64512
      prefixes:
{items}
      neighbors:
      - address: {R1}
        asn: {asn}
        toAdvertise:
          allowed:
            prefixes:
{items.replace("      - ", "            - ")}
""",
    )


RECEIVE = frrconfig(
    "receive",
    f"""  bgp:
    routers:
    - asn: 64512
      neighbors:
      - address: {R1}
        asn: 64513
        toReceive:
          allowed:
            prefixes:
            - prefix: 10.100.0.0/24
""",
)

CONFLICT_ASN = frrconfig(
    "conflicting",
    f"""  bgp:
    routers:
    - asn: 64512
      neighbors:
      - address: {R1}
        asn: 64599
""",
)

CONFLICT_HOLD = frrconfig(
    "conflicting",
    f"""  bgp:
    routers:
    - asn: 64512
      neighbors:
      - address: {R1}
        asn: 64513
        holdTime: 30s
        keepaliveTime: 10s
""",
)


def running_config(router: LabRouter) -> str:
    return subprocess.run(
        ["vtysh", "-N", router.pathspace, "-c", "show running-config"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def topo() -> Iterator[LabTopology]:
    yield from lab_session("mg")


@pytest.fixture
def agent(topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(topo, tmp_path)


@pytest.fixture
def slow_agent(topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    """An agent with a wide coalescing window, so a burst of edits certainly falls into one."""
    yield from agent_session(topo, tmp_path, debounce=0.5)


def apply_both_owners(topo: LabTopology, agent: RunningAgent) -> None:
    agent.write("advertise.yaml", advertise(["192.0.2.10/32"]))
    agent.apply("receive.yaml", RECEIVE)
    wait_until(lambda: "192.0.2.10/32" in bgp_table(topo.router("r1")), what="192.0.2.10/32 on r1")
    wait_until(lambda: "10.100.0.0/24" in kernel_routes(topo.node), what="10.100.0.0/24 in the node kernel")


def test_two_owners_for_one_neighbor_merge(topo: LabTopology, agent: RunningAgent) -> None:
    """Acceptance: objects from different owners for the same neighbor combine; both take effect."""
    apply_both_owners(topo, agent)
    state = agent.state
    assert set(state.applied_generations) == {ADV_REF, RECV_REF}
    text = state.applied_config or ""
    # One neighbor, one session, carrying both objects' policies.
    assert text.count(f"neighbor {R1} remote-as 64513") == 1
    assert f"route-map {R1}-in" in text and f"route-map {R1}-out" in text
    # The filter still holds: r1's other prefix is not learned, nothing else is announced to r1.
    assert "10.100.1.0/24" not in kernel_routes(topo.node)
    assert set(bgp_table(topo.router("r1"))) == {"10.100.0.0/24", "10.100.1.0/24", "192.0.2.10/32"}


@pytest.mark.parametrize("bad", [CONFLICT_ASN, CONFLICT_HOLD], ids=["asn", "holdTime"])
def test_conflicting_object_is_refused_and_frr_untouched(
    topo: LabTopology, agent: RunningAgent, bad: str
) -> None:
    """Acceptance: a conflict names both objects; FRR keeps the last good config and the session."""
    apply_both_owners(topo, agent)
    node = topo.node
    wait_until(lambda: neighbor_info(node, R1).get("bgpState") == "Established", what="the session")
    config_before = running_config(node)
    session_before = neighbor_info(node, R1)
    applies_before = agent.state.applies

    state = agent.reject("conflicting.yaml", bad)
    assert state.last_conversion is not None
    message = state.last_conversion.message
    assert BAD_REF in message, message
    assert ADV_REF in message or RECV_REF in message, message
    assert state.stale
    assert state.applies == applies_before

    assert running_config(node) == config_before
    assert "10.100.0.0/24" in kernel_routes(node)
    assert "192.0.2.10/32" in bgp_table(topo.router("r1"))
    # Uptime keeps growing (FRR reports it in whole seconds) and the session was never re-made.
    up_before = session_before["bgpTimerUpMsec"]
    session_after = wait_until(
        lambda: (info := neighbor_info(node, R1))["bgpTimerUpMsec"] > up_before and info,
        what="the session uptime to grow",
    )
    assert session_after["bgpState"] == "Established"
    assert session_after["connectionsEstablished"] == session_before["connectionsEstablished"]
    assert session_after["connectionsDropped"] == session_before["connectionsDropped"]

    # Removing the offending object clears the error (and, the config being the same, changes nothing).
    since = agent.state.reconciles
    agent.remove("conflicting.yaml")
    state = agent.wait_applied(since=since)
    assert state.last_conversion is not None and state.last_conversion.ok
    assert not state.stale
    assert state.applies == applies_before
    assert running_config(node) == config_before


def test_burst_of_edits_gives_one_apply_of_the_final_version(
    topo: LabTopology, slow_agent: RunningAgent
) -> None:
    """Acceptance: a burst of changes is coalesced into one reload, which applies the last version."""
    r1 = topo.router("r1")
    slow_agent.apply("advertise.yaml", advertise(["192.0.2.10/32"]))
    wait_until(lambda: "192.0.2.10/32" in bgp_table(r1), what="192.0.2.10/32 on r1")
    applies_before = slow_agent.state.applies

    versions = [f"192.0.2.{20 + i}/32" for i in range(5)]
    for prefix in versions:
        slow_agent.write("advertise.yaml", advertise([prefix]))
    final = versions[-1]
    wait_until(
        lambda: f"network {final}" in (slow_agent.state.applied_config or ""),
        what="the final version applied",
    )
    # Reaching the final version with a single apply means no intermediate version was applied.
    state = slow_agent.state
    assert state.applies == applies_before + 1, f"{state.applies - applies_before} applies for one burst"
    running = running_config(topo.node)
    assert f"network {final}" in running
    assert not any(f"network {p}" in running for p in ["192.0.2.10/32", *versions[:-1]])
    wait_until(lambda: final in bgp_table(r1), what=f"{final} on r1")
    wait_until(lambda: "192.0.2.10/32" not in bgp_table(r1), what="the old prefix withdrawn from r1")
    assert set(bgp_table(r1)).isdisjoint(versions[:-1])


def test_edit_without_effect_does_not_call_frr(topo: LabTopology, agent: RunningAgent) -> None:
    """Acceptance: an edit that leaves the desired config unchanged reconciles without calling FRR."""
    r1 = topo.router("r1")
    agent.apply("advertise.yaml", advertise(["192.0.2.10/32", "192.0.2.11/32"]))
    wait_until(lambda: {"192.0.2.10/32", "192.0.2.11/32"} <= set(bgp_table(r1)), what="both prefixes on r1")
    applies_before = agent.state.applies
    config_before = agent.state.applied_config

    edits = [
        advertise(["192.0.2.11/32", "192.0.2.10/32"]),  # lists reordered
        advertise(["192.0.2.11/32", "192.0.2.10/32"], comment="  # owned by team storage\n"),  # comment
    ]
    for text in edits:
        since = agent.state.reconciles
        state = agent.apply("advertise.yaml", text)
        assert state.reconciles > since
        assert state.last_conversion is not None and state.last_conversion.ok
        assert state.applies == applies_before
        assert state.applied_config == config_before
    assert {"192.0.2.10/32", "192.0.2.11/32"} <= set(bgp_table(r1))
