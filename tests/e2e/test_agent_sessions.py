"""End to end: session features configured through the agent work against real routers (issue #3):
BFD, TCP-MD5 passwords from Secrets, what is advertised (subset vs all, communities, next hop,
local preference over iBGP) and neighbors in a VRF (or, without kernel VRF support, on a second
segment of a multi-homed node).

Lab: node AS 64512 (172.30.0.1 on segment A, 172.31.0.1 on segment B); r1 AS 64513 (.2),
r2 AS 64514 (.3), rv AS 64520 (172.31.0.2, announces 10.250.0.0/24). The routers run BFD
profile `lab` toward the node and accept everything.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agent_harness import (
    RunningAgent,
    agent_session,
    bgp_table,
    established,
    frrconfig,
    kernel_routes,
    lab_session,
    neighbor_info,
    vtysh_config,
    vtysh_json,
    wait_until,
)

from frrnode.lab import manage
from frrnode.lab.topology import LabRouter, LabTopology

pytestmark = pytest.mark.lab

R1, R2, RV = "172.30.0.2", "172.30.0.3", "172.31.0.2"
NODE = "172.30.0.1"


def secret(name: str, password: str, type_: str = "kubernetes.io/basic-auth") -> str:
    return (
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        f"  name: {name}\n"
        "  namespace: frr-k8s-system\n"
        f"type: {type_}\n"
        "stringData:\n"
        f"  password: {password}\n"
    )


def bfd_peers(router: LabRouter) -> dict[str, dict[str, Any]]:
    """peer address -> `show bfd peers json` entry."""
    peers = vtysh_json(router, "show bfd peers json") or []
    return {p["peer"]: p for p in peers}


def route_paths(router: LabRouter, prefix: str) -> list[dict[str, Any]]:
    """The router's BGP paths for one prefix (`[]` when it has none)."""
    paths: list[dict[str, Any]] = vtysh_json(router, f"show bgp ipv4 unicast {prefix} json").get("paths", [])
    return paths


def kernel_route(router: LabRouter, prefix: str, *selector: str) -> list[dict[str, Any]]:
    """`ip -j route show <prefix> [vrf X | table T]` in the router's namespace."""
    out = subprocess.run(
        ["ip", "-n", router.namespace, "-j", "route", "show", prefix, *selector],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    routes: list[dict[str, Any]] = json.loads(out or "[]")
    return routes


def load_config(router: LabRouter, text: str, tmp_path: Path) -> None:
    """Load configuration lines into a running router (vtysh -f), failing on any rejected line."""
    path = tmp_path / f"{router.name}.conf"
    path.write_text(text)
    subprocess.run(
        ["vtysh", "-N", router.pathspace, "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )


def bgp_block(config: str) -> str:
    """The `router bgp` block of a router configuration (up to its closing `exit`)."""
    lines = config.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("router bgp "))
    end = next(i for i in range(start, len(lines)) if lines[i] == "exit")
    return "\n".join(lines[start : end + 1]) + "\n"


@pytest.fixture(scope="module")
def topo() -> Iterator[LabTopology]:
    yield from lab_session("ss")


@pytest.fixture
def agent(topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(topo, tmp_path)


# -- BFD ----------------------------------------------------------------------------------------
def test_bfd_profile_brings_the_peer_up(topo: LabTopology, agent: RunningAgent) -> None:
    """Acceptance: a neighbor's bfdProfile (defined in the same object) gives an up BFD session."""
    agent.apply(
        "bfd.yaml",
        frrconfig(
            "bfd",
            f"""  bgp:
    bfdProfiles:
    - name: fast
      receiveInterval: 150
      transmitInterval: 150
      detectMultiplier: 4
    routers:
    - asn: 64512
      neighbors:
      - address: {R1}
        asn: 64513
        bfdProfile: fast
""",
        ),
    )
    node, r1 = topo.node, topo.router("r1")
    wait_until(lambda: bfd_peers(node).get(R1, {}).get("status") == "up", what="the node's BFD peer r1 up")
    peer = bfd_peers(node)[R1]
    # The node's own profile decides its timers (r1's profile says 100 ms).
    assert peer["receive-interval"] == 150
    assert peer["transmit-interval"] == 150
    assert peer["detect-multiplier"] == 4
    wait_until(lambda: bfd_peers(r1).get(NODE, {}).get("status") == "up", what="r1's BFD peer up")
    # BGP registered with BFD for this neighbor; r2 (no bfdProfile) has no BFD session.
    wait_until(lambda: established(node, R1), what="the BGP session with r1")
    assert "peerBfdInfo" in neighbor_info(node, R1)
    assert R2 not in bfd_peers(node)


# -- passwords ----------------------------------------------------------------------------------
def password_config() -> str:
    """r1 without a password (the positive control), r2 with the password from a Secret."""
    return frrconfig(
        "auth",
        f"""  bgp:
    routers:
    - asn: 64512
      neighbors:
      - address: {R1}
        asn: 64513
      - address: {R2}
        asn: 64514
        passwordSecret:
          name: r2-auth
""",
    )


def test_password_from_secret_authenticates(topo: LabTopology, agent: RunningAgent) -> None:
    """Acceptance: passwordSecret (basic-auth Secret, key `password`) sets the session's TCP-MD5
    password: the wrong one keeps the session down, the right one brings it up."""
    node, r2 = topo.node, topo.router("r2")
    vtysh_config(r2, "router bgp 64514", f"neighbor {NODE} password right-pw-1")
    try:
        agent.write("secret.yaml", secret("r2-auth", "wrong-pw-2"))
        agent.apply("auth.yaml", password_config())
        assert "password wrong-pw-2" in (agent.state.applied_config or "")
        # Positive control: the unauthenticated session comes up within the same wait...
        wait_until(lambda: established(node, R1), what="the session with r1 (no password)")
        # ...and r2, retrying every second, is refused the whole time by TCP-MD5.
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            assert neighbor_info(node, R2).get("bgpState") != "Established", "wrong password accepted"
            time.sleep(0.2)
        assert neighbor_info(node, R2).get("connectionsEstablished", 0) == 0

        started = time.monotonic()
        agent.apply("secret.yaml", secret("r2-auth", "right-pw-1"))
        wait_until(lambda: established(node, R2), what="the session with r2 (right password)")
        print(f"r2 established {time.monotonic() - started:.1f}s after the Secret was fixed")
        # The password never shows up in the agent's messages.
        state = agent.state
        assert state.last_conversion is not None
        assert "right-pw-1" not in state.last_conversion.message
    finally:
        vtysh_config(r2, "router bgp 64514", f"no neighbor {NODE} password")


def test_secret_of_the_wrong_type_is_refused(topo: LabTopology, agent: RunningAgent) -> None:
    """A Secret that is not basic-auth is refused with a message naming it; FRR is not called."""
    agent.apply("secret.yaml", secret("r2-auth", "right-pw-1", type_="Opaque"))
    applies = agent.state.applies
    state = agent.reject("auth.yaml", password_config())
    assert state.last_conversion is not None
    message = state.last_conversion.message
    # The object and the neighbor are named. (The reason itself is not readable: upstream's
    # redaction cuts everything after the word "password", and the field path is
    # `...neighbors[1].passwordSecret`.)
    assert "FRRConfiguration/frr-k8s-system/auth spec.bgp.routers[0].neighbors[1]" in message, message
    assert "right-pw-1" not in message
    assert state.applies == applies


# -- what is advertised -------------------------------------------------------------------------
ADVERTISE = frrconfig(
    "advertise",
    f"""  bgp:
    routers:
    - asn: 64512
      prefixes: [192.0.2.10/32, 192.0.2.20/32]
      neighbors:
      - address: {R1}
        asn: 64513
        toAdvertise:
          allowed:
            prefixes: [192.0.2.10/32]
          withCommunity:
          - prefixes: [192.0.2.10/32]
            community: "65000:100"
          - prefixes: [192.0.2.10/32]
            community: "large:65000:1:2"
          nextHop:
            ipv4: {R2}
      - address: {R2}
        asn: 64514
        toAdvertise:
          allowed:
            mode: all
""",
)


def test_advertise_subset_all_communities_and_next_hop(topo: LabTopology, agent: RunningAgent) -> None:
    """Acceptance: allowed prefixes vs mode all; standard and large communities and the next hop
    arrive on the receiving router."""
    r1, r2 = topo.router("r1"), topo.router("r2")
    agent.apply("advertise.yaml", ADVERTISE)
    wait_until(lambda: {"192.0.2.10/32", "192.0.2.20/32"} <= set(bgp_table(r2)), what="both prefixes on r2")
    wait_until(lambda: "192.0.2.10/32" in bgp_table(r1), what="192.0.2.10/32 on r1")
    assert "192.0.2.20/32" not in bgp_table(r1)

    (path,) = route_paths(r1, "192.0.2.10/32")
    assert path["community"]["string"] == "65000:100"
    assert path["largeCommunity"]["string"] == "65000:1:2"
    assert [nh["ip"] for nh in path["nexthops"]] == [R2]
    # r1's kernel forwards the prefix to the given next hop, not to the node.
    wait_until(
        lambda: [r.get("gateway") for r in kernel_route(r1, "192.0.2.10/32")] == [R2],
        what="r1's kernel route via the next hop",
    )
    # r2 got neither the communities nor the next hop: those were r1's settings.
    (path2,) = route_paths(r2, "192.0.2.10/32")
    assert "community" not in path2 and "largeCommunity" not in path2
    assert [nh["ip"] for nh in path2["nexthops"]] == [NODE]


def test_local_pref_reaches_an_ibgp_peer(topo: LabTopology, agent: RunningAgent, tmp_path: Path) -> None:
    """Acceptance: withLocalPref sets the local preference the (iBGP) peer sees."""
    r2 = topo.router("r2")
    original = bgp_block(manage.router_config(topo, r2))
    ibgp = original.replace("router bgp 64514", "router bgp 64512")
    assert f"neighbor {NODE} remote-as 64512" in ibgp
    vtysh_config(r2, "no router bgp 64514")
    try:
        load_config(r2, ibgp, tmp_path)
        agent.apply(
            "localpref.yaml",
            frrconfig(
                "localpref",
                f"""  bgp:
    routers:
    - asn: 64512
      prefixes: [192.0.2.10/32, 192.0.2.20/32]
      neighbors:
      - address: {R2}
        asn: 64512
        toAdvertise:
          allowed:
            mode: all
          withLocalPref:
          - prefixes: [192.0.2.10/32]
            localPref: 250
""",
            ),
        )
        wait_until(lambda: established(r2, NODE), what="the iBGP session on r2")
        wait_until(
            lambda: {"192.0.2.10/32", "192.0.2.20/32"} <= set(bgp_table(r2)), what="both prefixes on r2"
        )
        (path,) = route_paths(r2, "192.0.2.10/32")
        assert path["locPrf"] == 250
        (other,) = route_paths(r2, "192.0.2.20/32")
        assert other["locPrf"] == 100  # the default: only the listed prefix is changed
        assert neighbor_info(r2, NODE)["nbrInternalLink"] is True
    finally:
        vtysh_config(r2, "no router bgp 64512")
        load_config(r2, original, tmp_path)


# -- VRF ----------------------------------------------------------------------------------------
def node_eth1_master(topo: LabTopology) -> str | None:
    out = subprocess.run(
        ["ip", "-n", topo.node.namespace, "-j", "-d", "link", "show", "eth1"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    master: str | None = json.loads(out)[0].get("master")
    return master


def test_vrf_neighbor_routes_land_in_the_vrf_table(topo: LabTopology, agent: RunningAgent) -> None:
    """Acceptance: a router in `vrf: red` peers with rv over the VRF's interface and installs what it
    learns in the VRF's kernel table only. Without kernel VRF support the lab says so, and the same
    segment serves the multi-homed case: one router, neighbors on two segments, both learned."""
    node, rv = topo.node, topo.router("rv")
    if topo.vrf is None:
        assert manage.topology(topo.prefix) == topo  # the lab itself reports no VRF
        assert node_eth1_master(topo) is None
        agent.apply(
            "multihomed.yaml",
            frrconfig(
                "multihomed",
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
      - address: {RV}
        asn: 64520
        toReceive:
          allowed:
            mode: all
""",
            ),
        )
        wait_until(lambda: {"10.100.0.0/24", "10.250.0.0/24"} <= kernel_routes(node), what="both routes")
        assert [r.get("gateway") for r in kernel_route(node, "10.250.0.0/24")] == [RV]
        assert [r.get("gateway") for r in kernel_route(node, "10.100.0.0/24")] == [R1]
        assert established(node, RV)
        assert established(rv, "172.31.0.1")
        return

    assert node_eth1_master(topo) == topo.vrf == "red"
    agent.apply(
        "vrf.yaml",
        frrconfig(
            "vrf",
            f"""  bgp:
    routers:
    - asn: 64512
      vrf: red
      neighbors:
      - address: {RV}
        asn: 64520
        toReceive:
          allowed:
            mode: all
""",
        ),
    )
    wait_until(lambda: established(node, RV, vrf="red"), what="the session with rv in VRF red")
    wait_until(
        lambda: [r["dst"] for r in kernel_route(node, "10.250.0.0/24", "vrf", "red")] == ["10.250.0.0/24"],
        what="10.250.0.0/24 in VRF red's kernel table",
    )
    assert [r.get("gateway") for r in kernel_route(node, "10.250.0.0/24", "vrf", "red")] == [RV]
    assert "10.250.0.0/24" not in kernel_routes(node)  # main table
    assert kernel_route(node, "10.250.0.0/24") == []
    assert "10.250.0.0/24" not in bgp_table(node)  # default VRF's BGP table
    assert established(rv, "172.31.0.1")
