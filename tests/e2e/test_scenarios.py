"""The four situations users come for, proven on the data plane (issue 11).

Real FRR routers, the real agent, real packets: hosts behind the routers answer UDP probes
(`frrnode.lab.traffic`), and captures on the node's (or the routers') interfaces show which
link carried each request and reply. Each test builds its own hosts and shows the case without
the learned route too, so it fails when the route is absent or goes the wrong way.

Lab: node AS 64512, eth0 172.30.0.1 (first segment: r1 AS 64513 .2, r2 AS 64514 .3, the
node's default gateway r2), eth1 172.31.0.1 (second segment: rv AS 64520 .2). The lab for
situations 1, 3, 4 keeps eth1 in the default table; situation 2 runs on a lab with eth1 in VRF
`red` where the kernel has VRFs (else on the same lab, in its default-table branch).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_harness import RunningAgent, agent_session, lab_session

from frrnode.lab import manage, scenarios
from frrnode.lab.scenario_manifests import R1, R2, RV
from frrnode.lab.topology import LabTopology

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def topo() -> Iterator[LabTopology]:
    yield from lab_session("sc", vrf=False)


@pytest.fixture(scope="module")
def vrf_supported(topo: LabTopology) -> bool:
    return manage.vrf_supported(topo.bridge_namespace)


@pytest.fixture(scope="module")
def segregation_topo(topo: LabTopology, vrf_supported: bool) -> Iterator[LabTopology]:
    """eth1 in VRF red where the kernel can; otherwise the lab above (it is the same lab)."""
    if vrf_supported:
        yield from lab_session("sv")
    else:
        yield topo


@pytest.fixture
def agent(topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(topo, tmp_path)


@pytest.fixture
def segregation_agent(segregation_topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(segregation_topo, tmp_path)


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    """Shown in the test run's output even when the test passes."""
    with capsys.disabled():
        print(f"\n  [{text}]", end="")


def test_dynamic_routing_reaches_each_network_through_its_segment(
    topo: LabTopology, agent: RunningAgent
) -> None:
    result = scenarios.dynamic_routing(topo, agent.apply)
    remote, clients = "10.100.0.10", "10.250.0.10"  # hr1 behind r1, hrv behind rv
    # Before: both follow the default gateway r2 (eth0), which has no route: nobody answers.
    for dst in (remote, clients):
        trip = result.before[dst]
        assert trip.reply.answered == 0, trip
        assert set(trip.out) == {"eth0"}, trip
    assert str(result.routes[scenarios.REMOTE]) == f"10.100.0.0/24 via {R1} dev eth0"
    assert str(result.routes[scenarios.CLIENTS]) == f"10.250.0.0/24 via {RV} dev eth1"
    # After: each through its own segment's interface, answered by the host there.
    expected = {remote: ("hr1", "eth0"), clients: ("hrv", "eth1")}
    for dst, (host, dev) in expected.items():
        trip = result.after[dst]
        assert trip.reply.replies == {host: 3}, trip
        assert trip.out == {dev: 3} and trip.back == {dev: 3}, trip


def test_segregation_keeps_the_cidr_on_its_interface(
    segregation_topo: LabTopology,
    segregation_agent: RunningAgent,
    vrf_supported: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """rv (eth1) and r1 (eth0) both announce 10.250.0.0/24, each with its own host .10."""
    result = scenarios.segregation(segregation_topo, segregation_agent.apply)
    report(capsys, f"segregation: {result.branch} branch ran (kernel VRF support: {vrf_supported})")
    assert result.branch == ("vrf" if vrf_supported else "default-table")
    assert (segregation_topo.vrf is not None) == vrf_supported
    clients = "10.250.0.10"
    assert result.offered_by == ("r1", "rv")  # both announce it: the node had to choose
    if result.branch == "vrf":
        # Each table has its own copy, through its own interface; neither leaks into the other.
        assert str(result.vrf_route) == f"10.250.0.0/24 via {RV} dev eth1"
        assert str(result.main_route) == f"10.250.0.0/24 via {R1} dev eth0"
        assert result.accepted == {"default": ("r1",), "red": ("rv",)}
        assert result.from_vrf is not None
        assert result.from_vrf.reply.replies == {"hrv": 3}, result.from_vrf
        assert result.from_vrf.out == {"eth1": 3}, result.from_vrf
        assert result.from_main.reply.replies == {"hr1": 3}, result.from_main
        assert result.from_main.out == {"eth0": 3}, result.from_main
    else:
        # One table: the CIDR is accepted from rv only, and used only through eth1.
        assert result.vrf_route is None and result.from_vrf is None
        assert result.accepted == {"default": ("rv",)}  # r1's copy refused by its (empty) filter
        assert str(result.main_route) == f"10.250.0.0/24 via {RV} dev eth1"
        assert result.from_main.dst == clients
        assert result.from_main.reply.replies == {"hrv": 3}, result.from_main
        assert result.from_main.out == {"eth1": 3} and result.from_main.back == {"eth1": 3}
    # And the node hands it to nobody on the first segment.
    assert result.leaked_to == ()


def check_active_active(result: scenarios.ActiveActive, capsys: pytest.CaptureFixture[str]) -> None:
    what = "same AS, hold 3s" if result.same_as else "different ASes, BFD 3x100ms"
    report(
        capsys,
        f"active-active ({what}): failover {result.failover_seconds:.2f}s by '{result.reset_reason}', "
        f"recovery {result.recovery_seconds:.2f}s, spread {result.spread()}",
    )
    assert str(result.route) == f"10.60.0.0/24 via {R1} dev eth0 + via {R2} dev eth0"
    flows = result.flows
    assert len(flows) == scenarios.SERVICE_FLOWS
    # Every flow sticks to one gateway (all its replies from one host), and both are used.
    for dst, reply in flows.items():
        assert len(reply.replies) == 1 and reply.answered == 3, (dst, reply)
    spread = result.spread()
    assert set(spread) == {"hr1", "hr2"}, spread
    # The requests crossed both links, as many on each as the hosts behind them answered.
    assert result.link_packets == {"r1": 3 * spread["hr1"], "r2": 3 * spread["hr2"]}
    # r1 gone: one next hop left, every flow now answered behind r2; r1 back: both again.
    assert str(result.fallback) == f"10.60.0.0/24 via {R2} dev eth0"
    assert all(reply.replies == {"hr2": 3} for reply in result.flows_after.values()), result.flows_after
    assert result.recovered.gateways == {R1, R2}


def test_active_active_same_as_falls_back_within_the_hold_time(
    topo: LabTopology, agent: RunningAgent, capsys: pytest.CaptureFixture[str]
) -> None:
    result = scenarios.active_active(topo, agent.apply, same_as=True)
    check_active_active(result, capsys)
    assert "Hold Timer" in result.reset_reason
    # Not before the keepalives stop counting (hold 3 s, keepalive 1 s), not long after.
    assert 1.5 <= result.failover_seconds <= 10.0


def test_active_active_different_as_with_bfd_falls_back_in_under_a_second_or_so(
    topo: LabTopology, agent: RunningAgent, capsys: pytest.CaptureFixture[str]
) -> None:
    result = scenarios.active_active(topo, agent.apply, same_as=False)
    check_active_active(result, capsys)
    assert "BFD" in result.reset_reason
    # The hold time is FRR's default (180 s): only BFD explains a fallback this fast.
    assert result.failover_seconds <= 5.0


def test_asymmetric_return_path_replies_by_the_interface_the_request_came_in_on(
    topo: LabTopology, agent: RunningAgent
) -> None:
    result = scenarios.asymmetric_return(topo, agent.apply)
    assert (result.client, result.server) == ("10.250.0.10", "172.31.0.1")
    # Without the route (rp_filter loose): in by eth1, out by eth0 to the default gateway, lost.
    without = result.without_route
    assert without.requests_in == {"eth1": 5}, without
    assert without.replies_out == {"eth0": 5}, without
    assert without.reply.answered == 0, without
    # rp_filter strict: the request itself is dropped (no reply on any link).
    strict = result.strict_without_route
    assert strict.requests_in == {"eth1": 5} and strict.replies_out == {}, strict
    assert strict.reply.answered == 0
    # With the route learned from rv: the reply leaves by eth1 and reaches the client.
    assert str(result.route) == f"10.250.0.0/24 via {RV} dev eth1"
    with_route = result.with_route
    assert with_route.requests_in == {"eth1": 5}, with_route
    assert with_route.replies_out == {"eth1": 5}, with_route
    assert with_route.reply.replies == {"node": 5}, with_route
