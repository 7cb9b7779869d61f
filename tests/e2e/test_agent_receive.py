"""End to end: the agent on a lab node learns only what its FRRConfigurations allow (issue #3).

Real FRR routers r1 (AS 64513: 10.100.0.0/24, 10.100.1.0/24, fd00:100::/64, fd00:101::/64) and
r2 (AS 64514: 10.200.0.0/24, 10.201.0.0/24, ...) peer with the node (AS 64512); the assertions
read the node's kernel routing table and the routers' BGP tables.
"""

from __future__ import annotations

import shutil
import time
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
    vtysh_config,
    wait_until,
)

from frrnode.lab.topology import LabTopology

pytestmark = pytest.mark.lab

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def receive_from_r1(prefixes: str, extra: str = "") -> str:
    return frrconfig(
        "receive",
        f"""
bgp:
  routers:
  - asn: 64512
    neighbors:
    - address: 172.30.0.2
      asn: 64513
{extra}      toReceive:
        allowed:
          prefixes:
{prefixes}""",
    )


@pytest.fixture(scope="module")
def topo() -> Iterator[LabTopology]:
    yield from lab_session("rc")


@pytest.fixture
def agent(topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(topo, tmp_path)


@pytest.fixture
def blocking_agent(topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(topo, tmp_path, always_block=("10.201.0.0/16", "fd00:201::/48"))


def test_demo_scenario_filters_receive_and_advertises(topo: LabTopology, agent: RunningAgent) -> None:
    """The examples/: learn 10.100.0.0/24 (only) from r1, all from r2, announce 192.0.2.10/32 to both."""
    for name in ("metallb-advertise.yaml", "receive-routes.yaml"):
        shutil.copy(EXAMPLES / name, agent.config_dir / name)
    node = topo.node
    wait_until(
        lambda: {"10.100.0.0/24", "10.200.0.0/24", "10.201.0.0/24"} <= kernel_routes(node),
        what="allowed routes in the node's kernel",
    )
    for router in (topo.router("r1"), topo.router("r2")):
        wait_until(lambda r=router: "192.0.2.10/32" in bgp_table(r), what=f"192.0.2.10/32 on {router.name}")
    # r1 also announces 10.100.1.0/24 and IPv6 prefixes: the filter keeps them out.
    assert "10.100.1.0/24" not in kernel_routes(node)
    assert "10.100.1.0/24" not in bgp_table(node)
    assert kernel_routes(node, family=6) == set()


def test_receive_selector_ge_le(topo: LabTopology, agent: RunningAgent) -> None:
    r1 = topo.router("r1")
    extra = ("10.100.2.0/25", "10.100.2.128/25", "10.100.3.1/32", "10.100.4.0/24")
    vtysh_config(r1, "router bgp 64513", "address-family ipv4 unicast", *(f"network {p}" for p in extra))
    try:
        agent.apply(
            "receive.yaml",
            receive_from_r1("          - prefix: 10.100.2.0/23\n            ge: 25\n            le: 25\n"),
        )
        node = topo.node
        wait_until(
            lambda: {"10.100.2.0/25", "10.100.2.128/25"} <= kernel_routes(node), what="the /25s in the kernel"
        )
        learned = set(bgp_table(node))
        # /32 is longer than le, the /24s are outside the range or shorter than ge.
        assert learned.isdisjoint({"10.100.3.1/32", "10.100.4.0/24", "10.100.0.0/24", "10.100.1.0/24"})
    finally:
        vtysh_config(
            r1, "router bgp 64513", "address-family ipv4 unicast", *(f"no network {p}" for p in extra)
        )


def test_receive_ipv6_from_ipv6_neighbor(topo: LabTopology, agent: RunningAgent) -> None:
    agent.apply(
        "receive6.yaml",
        frrconfig(
            "receive6",
            """
bgp:
  routers:
  - asn: 64512
    neighbors:
    - address: fd00:30::2
      asn: 64513
      toReceive:
        allowed:
          prefixes:
          - prefix: fd00:100::/64
""",
        ),
    )
    node = topo.node
    wait_until(lambda: "fd00:100::/64" in kernel_routes(node, family=6), what="fd00:100::/64 in the kernel")
    assert "fd00:101::/64" not in kernel_routes(node, family=6)
    assert kernel_routes(node, family=4) == set()


def test_receive_all_except_always_block(topo: LabTopology, blocking_agent: RunningAgent) -> None:
    blocking_agent.apply(
        "all.yaml",
        frrconfig(
            "all-from-r2",
            """
bgp:
  routers:
  - asn: 64512
    neighbors:
    - address: 172.30.0.3
      asn: 64514
      dualStackAddressFamily: true
      toReceive:
        allowed:
          mode: all
""",
        ),
    )
    node = topo.node
    wait_until(lambda: "10.200.0.0/24" in kernel_routes(node), what="10.200.0.0/24 in the kernel")
    wait_until(lambda: "fd00:200::/64" in kernel_routes(node, 6), what="fd00:200::/64 in the kernel")
    assert "10.201.0.0/24" not in kernel_routes(node)
    assert "fd00:201::/64" not in kernel_routes(node, 6)
    assert "10.201.0.0/24" not in bgp_table(node)


def test_changing_to_receive_refreshes_without_session_reset(topo: LabTopology, agent: RunningAgent) -> None:
    node = topo.node
    agent.apply("receive.yaml", receive_from_r1("          - prefix: 10.100.0.0/24\n"))
    wait_until(lambda: "10.100.0.0/24" in kernel_routes(node), what="10.100.0.0/24 in the kernel")
    before = neighbor_info(node, "172.30.0.2")
    before_at = time.monotonic()
    assert before["bgpState"] == "Established"

    agent.apply("receive.yaml", receive_from_r1("          - prefix: 10.100.1.0/24\n"))
    wait_until(lambda: "10.100.1.0/24" in kernel_routes(node), timeout=10, what="the newly allowed prefix")
    wait_until(
        lambda: "10.100.0.0/24" not in kernel_routes(node), timeout=10, what="the removed prefix to leave"
    )

    after = neighbor_info(node, "172.30.0.2")
    assert after["bgpState"] == "Established"
    assert after["connectionsEstablished"] == before["connectionsEstablished"]
    assert after["connectionsDropped"] == before["connectionsDropped"]
    # Uptime grew by the time that passed (FRR counts whole seconds; a reset restarts it at zero).
    elapsed_ms = (time.monotonic() - before_at) * 1000
    assert after["bgpTimerUpMsec"] >= before["bgpTimerUpMsec"] + elapsed_ms - 1500


def test_removing_every_config_withdraws_advertisements(topo: LabTopology, agent: RunningAgent) -> None:
    shutil.copy(EXAMPLES / "metallb-advertise.yaml", agent.config_dir / "metallb-advertise.yaml")
    r1 = topo.router("r1")
    wait_until(lambda: "192.0.2.10/32" in bgp_table(r1), what="192.0.2.10/32 on r1")
    since = agent.state.reconciles
    (agent.config_dir / "metallb-advertise.yaml").unlink()
    agent.wait_applied(since=since)
    wait_until(lambda: "192.0.2.10/32" not in bgp_table(r1), timeout=10, what="the withdrawal on r1")
    assert "router bgp" not in (agent.state.applied_config or "")


def test_config_for_another_node_has_no_effect(topo: LabTopology, agent: RunningAgent) -> None:
    other = (EXAMPLES / "metallb-advertise.yaml").read_text().replace("hostname: node-a", "hostname: node-b")
    assert "node-b" in other
    state = agent.apply("other-node.yaml", other)
    assert "router bgp" not in (state.applied_config or "")
    assert "192.0.2.10/32" not in bgp_table(topo.router("r1"))


def test_raw_config_lands_last_in_priority_order(topo: LabTopology, agent: RunningAgent) -> None:
    """The MetalLB-era workaround still works: a raw snippet extends the generated `<peer>-in`."""
    node = topo.node
    agent.write("receive.yaml", receive_from_r1("          - prefix: 10.100.0.0/24\n"))
    raw_late = frrconfig(
        "raw-late",
        """
raw:
  priority: 20
  rawConfig: |
    route-map 172.30.0.2-in permit 20
      match ip address prefix-list raw-extra
""",
    )
    raw_early = frrconfig(
        "raw-early",
        """
raw:
  priority: 5
  rawConfig: |
    ip prefix-list raw-extra seq 5 permit 10.100.1.0/24
""",
    )
    agent.write("raw-late.yaml", raw_late)
    agent.write("raw-early.yaml", raw_early)
    wait_until(
        lambda: (
            "raw-extra seq 5" in (agent.state.applied_config or "")
            and "172.30.0.2-in permit 20" in (agent.state.applied_config or "")
        ),
        what="both raw snippets applied",
    )
    text = agent.state.applied_config or ""
    early, late, router = (
        text.index("ip prefix-list raw-extra"),
        text.index("route-map 172.30.0.2-in permit 20"),
        text.index("router bgp 64512"),
    )
    assert router < early < late
    wait_until(
        lambda: {"10.100.0.0/24", "10.100.1.0/24"} <= kernel_routes(node),
        what="the prefix the raw snippet allows",
    )


@pytest.fixture
def verifying_agent(topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(topo, tmp_path, resync=1.0, verify_interval=2.0)


def test_drift_is_repaired(topo: LabTopology, verifying_agent: RunningAgent) -> None:
    """Someone removes the BGP instance by hand (or FRR restarts empty): the agent puts it back."""
    node = topo.node
    verifying_agent.apply("receive.yaml", receive_from_r1("          - prefix: 10.100.0.0/24\n"))
    wait_until(lambda: "10.100.0.0/24" in kernel_routes(node), what="10.100.0.0/24 in the kernel")
    vtysh_config(node, "no router bgp 64512")
    wait_until(lambda: "10.100.0.0/24" not in kernel_routes(node), timeout=10, what="the route to go")
    wait_until(lambda: "10.100.0.0/24" in kernel_routes(node), timeout=30, what="the agent to repair FRR")
