"""The lab itself: bring-up, status, exec, real sessions and routes, coexisting labs, crash cleanup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from agent_harness import bgp_table, lab_prefix
from lab_helpers import bgp_peers, established, kernel_routes, ns_processes, wait_for

from frrnode.frr.instance import FrrInstance
from frrnode.frr.reload import ReloadApplier
from frrnode.frr.vtysh import Vtysh
from frrnode.lab import manage
from frrnode.lab.topology import LabRouter, LabTopology

pytestmark = pytest.mark.lab


def frrnode(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The real CLI in a separate process (as a user runs it)."""
    proc = subprocess.run(
        [sys.executable, "-m", "frrnode", *args], capture_output=True, text=True, timeout=120
    )
    if check:
        assert proc.returncode == 0, f"frrnode {' '.join(args)} failed: {proc.stdout}{proc.stderr}"
    return proc


def nothing_left(prefix: str) -> None:
    """Assert that no namespace, FRR directory or FRR daemon of lab `prefix` remains."""
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert not [n for n in namespaces.split() if n.startswith(prefix + "-")]
    for root in ("/etc/frr", "/var/run/frr"):
        assert not [p for p in os.listdir(root) if p.startswith(prefix + "-")]
    assert ns_processes(prefix + "-") == []


def test_status_json(lab: LabTopology) -> None:
    st = json.loads(frrnode("lab", "status", "--name", lab.prefix, "--json").stdout)
    routers = st["routers"]
    assert list(routers) == ["node", "r1", "r2", "rv"]
    assert routers["node"]["asn"] == 64512 and routers["node"]["prefixes"] == []
    assert routers["node"]["addresses"]["a"]["ipv4"] == "172.30.0.1/24"
    assert routers["node"]["addresses"]["b"]["ipv6"] == "fd00:31::1/64"
    assert routers["r1"]["asn"] == 64513 and routers["r2"]["asn"] == 64514 and routers["rv"]["asn"] == 64520
    assert routers["r1"]["prefixes"] == ["10.100.0.0/24", "10.100.1.0/24", "fd00:100::/64", "fd00:101::/64"]
    assert routers["r2"]["prefixes"] == ["10.200.0.0/24", "10.201.0.0/24", "fd00:200::/64", "fd00:201::/64"]
    assert routers["rv"]["prefixes"] == ["10.250.0.0/24", "fd00:250::/64"]
    assert routers["r2"]["addresses"]["a"] == {
        "interface": "eth0", "ipv4": "172.30.0.3/24", "ipv6": "fd00:30::3/64", "vrf": None,
    }  # fmt: skip
    for name, r in routers.items():
        assert r["namespace"] == r["pathspace"] == f"{lab.prefix}-{name}"
        assert r["frr_running"] and r["namespace_present"]
    assert routers["r1"]["router_id"] == "172.30.0.2"
    # the JSON is the topology the tests get from the fixture, plus live state
    live = ("frr_running", "namespace_present", "bgp_peers")
    static = {k: {kk: vv for kk, vv in v.items() if kk not in live} for k, v in routers.items()}
    assert static == lab.to_dict()["routers"]


def test_node_frr_starts_empty_and_routers_are_configured(lab: LabTopology) -> None:
    node_running = Vtysh(lab.node.pathspace).running_config()
    assert "router bgp" not in node_running
    r1 = Vtysh(lab.router("r1").pathspace).running_config()
    for line in (
        "router bgp 64513",
        " neighbor 172.30.0.1 remote-as 64512",
        " neighbor 172.30.0.1 update-source 172.30.0.2",
        " neighbor fd00:30::1 remote-as 64512",
        " neighbor 172.30.0.1 bfd",
        "  network 10.100.0.0/24",
        "  network fd00:100::/64",
        "bgp route-map delay-timer 1",
    ):
        assert line in r1.splitlines(), line


def test_exec(lab: LabTopology) -> None:
    out = frrnode("lab", "exec", "r2", "--name", lab.prefix, "--", "ip", "-br", "addr", "show", "eth0").stdout
    assert "172.30.0.3/24" in out and "fd00:30::3/64" in out
    assert (
        frrnode(
            "lab", "exec", "node", "--name", lab.prefix, "--", "sh", "-c", "exit 7", check=False
        ).returncode
        == 7
    )
    bad = frrnode("lab", "exec", "r9", "--name", lab.prefix, "--", "true", check=False)
    assert bad.returncode == 1 and "no router 'r9'" in bad.stderr


def test_up_refuses_existing_lab(lab: LabTopology) -> None:
    proc = frrnode("lab", "up", "--name", lab.prefix, check=False)
    assert proc.returncode == 1 and "already exists" in proc.stderr


def node_config(topo: LabTopology, r1_prefixes: tuple[str, ...]) -> str:
    """A frr-k8s style node config: r1 over IPv4 (both AFs, filtered, BFD), r2 over IPv6, rv on segment B."""
    vrf = f" vrf {topo.vrf}" if topo.vrf else ""
    pl = "\n".join(
        f"{'ip' if ':' not in p else 'ipv6'} prefix-list 172.30.0.2-inpl-ipv4 seq {i} permit {p}"
        for i, p in enumerate(r1_prefixes, 1)
    )
    return f"""\
log stdout informational
hostname {topo.prefix}-node
ip nht resolve-via-default
ipv6 nht resolve-via-default
{pl}
ip prefix-list 172.30.0.2-pl-ipv4 seq 1 permit 192.0.2.10/32
route-map 172.30.0.2-in permit 3
  match ip address prefix-list 172.30.0.2-inpl-ipv4
route-map 172.30.0.2-in permit 4
  match ipv6 address prefix-list 172.30.0.2-inpl-ipv4
route-map 172.30.0.2-out permit 1
  match ip address prefix-list 172.30.0.2-pl-ipv4
router bgp 64512
  no bgp ebgp-requires-policy
  no bgp network import-check
  no bgp default ipv4-unicast
  neighbor 172.30.0.2 remote-as 64513
  neighbor 172.30.0.2 timers connect 1
  neighbor 172.30.0.2 bfd
  neighbor 172.30.0.2 bfd profile fast
  neighbor fd00:30::3 remote-as 64514
  neighbor fd00:30::3 timers connect 1
  address-family ipv4 unicast
    network 192.0.2.10/32
    neighbor 172.30.0.2 activate
    neighbor 172.30.0.2 route-map 172.30.0.2-in in
    neighbor 172.30.0.2 route-map 172.30.0.2-out out
  exit-address-family
  address-family ipv6 unicast
    neighbor 172.30.0.2 activate
    neighbor 172.30.0.2 route-map 172.30.0.2-in in
    neighbor fd00:30::3 activate
  exit-address-family
exit
router bgp 64512{vrf}
  no bgp ebgp-requires-policy
  no bgp default ipv4-unicast
  neighbor 172.31.0.2 remote-as 64520
  neighbor 172.31.0.2 timers connect 1
  address-family ipv4 unicast
    neighbor 172.31.0.2 activate
  exit-address-family
exit
bfd
  profile fast
    receive-interval 100
    transmit-interval 100
"""


def forwarding(topo: LabTopology) -> tuple[str, str]:
    def read(path: str) -> str:
        cmd = ["ip", "netns", "exec", topo.node.namespace, "cat", f"/proc/sys/{path}"]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()

    return read("net/ipv4/ip_forward"), read("net/ipv6/conf/all/forwarding")


def test_node_peers_with_routers(fresh_node: LabTopology, tmp_path: Path) -> None:
    """The routers answer a configured node: IPv4 + IPv6 (over IPv4 and over IPv6), BFD, policy
    changes without session resets, rv on segment B."""
    topo = fresh_node
    node, r1 = topo.node, topo.router("r1")
    fwd = forwarding(topo)
    applier = ReloadApplier(Vtysh(node.pathspace), tmp_path / "node")
    applier.apply(node_config(topo, ("10.100.0.0/24", "fd00:100::/64")))
    wait_for(
        lambda: established(node, "172.30.0.2", "fd00:30::3"), what="node sessions to r1 (v4) and r2 (v6)"
    )
    vrf = topo.vrf or "default"
    wait_for(lambda: established(node, "172.31.0.2", vrf=vrf), what="node session to rv")

    v4 = wait_for(lambda: routes_with(node, 4, "10.100.0.0/24"), what="10.100.0.0/24 in the kernel")
    assert "via 172.30.0.2" in v4["10.100.0.0/24"] and "proto bgp" in v4["10.100.0.0/24"]
    assert "10.100.1.0/24" not in v4  # filtered by the inbound route-map
    assert "10.200.0.0/24" not in v4  # r2's session is IPv6-only
    v6 = wait_for(
        lambda: routes_with(node, 6, "fd00:100::/64", "fd00:200::/64"),
        what="IPv6 prefixes of r1 (over IPv4) and r2 (over IPv6) in the kernel",
    )
    assert "via fe80::" in v6["fd00:100::/64"]  # link-local next hop over the IPv4 session
    assert "fd00:101::/64" not in v6
    table = "100" if topo.vrf else None
    wait_for(lambda: "10.250.0.0/24" in kernel_routes(node, 4, table), what="rv's 10.250.0.0/24 on the node")

    wait_for(lambda: "192.0.2.10/32" in bgp_table(r1), what="r1 to receive 192.0.2.10/32 from the node")
    assert "192.0.2.10/32" not in bgp_table(topo.router("r2"))
    bfd = wait_for(lambda: _bfd_up(node), what="BFD with r1 up")
    assert bfd[0]["transmit-interval"] == 100
    # FRR 8.4: BFD comes up while the node still holds the new peer back (route-map
    # delay-timer, default 5 s); when TCP connects, both bgpds re-register BFD with the real
    # source address, the session goes down once and resets BGP. So allow that one drop at
    # first configuration; sessions without BFD on the node side (r2) never drop.
    wait_for(
        lambda: (
            established(node, "172.30.0.2")
            and bgp_peers(node)["172.30.0.2"]["connectionsDropped"] <= 1
            and _bfd_up(node)
        ),
        what="r1 session and BFD settled",
    )
    before = bgp_peers(node)["172.30.0.2"]
    assert bgp_peers(node)["fd00:30::3"]["connectionsDropped"] == 0

    # a policy change: 10.100.1.0/24 arrives without resetting the session
    res = applier.apply(node_config(topo, ("10.100.0.0/24", "10.100.1.0/24", "fd00:100::/64")))
    assert res.changed and res.residual == ()
    wait_for(lambda: "10.100.1.0/24" in kernel_routes(node, 4), what="10.100.1.0/24 after the policy change")
    after = bgp_peers(node)["172.30.0.2"]
    assert after["connectionsEstablished"] == before["connectionsEstablished"]
    assert after["connectionsDropped"] == before["connectionsDropped"]
    assert forwarding(topo) == fwd  # applying never changes the host's forwarding


def routes_with(router: LabRouter, family: int, *prefixes: str) -> dict[str, str]:
    """The router's kernel routes once all `prefixes` are there, else {} (falsy)."""
    routes = kernel_routes(router, family)
    return routes if all(p in routes for p in prefixes) else {}


def _bfd_up(node: LabRouter) -> list[dict[str, Any]]:
    peers = Vtysh(node.pathspace).json("show bfd peers json")
    return [p for p in peers if p["peer"] == "172.30.0.2" and p["status"] == "up"]


def test_fresh_node_is_empty(fresh_node: LabTopology) -> None:
    node = fresh_node.node
    assert "router bgp" not in Vtysh(node.pathspace).running_config()
    wait_for(
        lambda: "10.100.0.0/24" not in kernel_routes(node, 4), what="old BGP routes gone from the node kernel"
    )


def test_two_labs_coexist(lab: LabTopology) -> None:
    other = lab_prefix("tb")
    manage.down(other)
    try:
        out = frrnode("lab", "up", "--routers", "1", "--name", other).stdout
        assert f"lab {other} up" in out
        st = json.loads(frrnode("lab", "status", "--name", other, "--json").stdout)
        assert list(st["routers"]) == ["node", "r1", "rv"]
        assert all(r["frr_running"] for r in st["routers"].values())
        # same addresses, separate namespaces: each r1 sees only its own lab
        out = frrnode("lab", "exec", "r1", "--name", other, "--", "ip", "-br", "addr", "show", "eth0").stdout
        assert "172.30.0.2/24" in out
    finally:
        frrnode("lab", "down", "--name", other)
    nothing_left(other)
    st = manage.status(lab.prefix)
    assert st is not None and all(r["frr_running"] for r in st["routers"].values())


def test_down_after_crash_leaves_nothing() -> None:
    prefix = lab_prefix("tc")
    manage.down(prefix)
    stray: subprocess.Popen[bytes] | None = None
    try:
        topo = manage.up(prefix, routers=1)
        r1 = topo.router("r1")
        # simulate a crash: a daemon killed, pid files lost, a process left in a namespace,
        # a half-created extra router (namespace + FRR dirs) from an interrupted `lab up`, a
        # second node a test added (with its FRR running)
        pids = FrrInstance(r1.pathspace, r1.namespace).pids()
        os.kill(pids["bgpd"], signal.SIGKILL)
        for f in Path(f"/var/run/frr/{topo.node.pathspace}").glob("*.pid"):
            f.unlink()
        stray = subprocess.Popen(["ip", "netns", "exec", r1.namespace, "sleep", "300"])
        subprocess.run(["ip", "netns", "add", f"{prefix}-r7"], check=True)
        os.makedirs(f"/etc/frr/{prefix}-r8", exist_ok=True)
        second = replace(topo.node, name="node2", namespace=f"{prefix}-node2", pathspace=f"{prefix}-node2")
        manage.add_namespace(topo, replace(second, interfaces=()))
        FrrInstance(second.pathspace, second.namespace).start("")
        wait_for(lambda: stray is not None and stray.pid in ns_pids(r1.namespace), what="stray process in r1")
        assert ns_processes(prefix + "-")  # the node's daemons still run without pid files

        out = frrnode("lab", "down", "--name", prefix).stdout  # a new process: no in-memory state
        assert "down" in out
        assert stray.wait(timeout=10) is not None
        nothing_left(prefix)
    finally:
        if stray is not None and stray.poll() is None:
            stray.kill()
        manage.down(prefix)


MIDWAY = """\
import time
from pathlib import Path

import pytest
from agent_harness import lab_session

from frrnode.lab.hosts import present
from frrnode.lab.topology import LabHost
from frrnode.lab.traffic import EchoServer


@pytest.fixture(scope="module")
def lab():
    yield from lab_session("tm", routers=1)


def test_midway(lab):
    host = LabHost.behind(lab, "r1", ["10.100.0.0/24"])
    with present(lab, host), EchoServer(host.namespace, host.name):
        Path({started!r}).write_text(lab.prefix)
        time.sleep(300)
"""


def test_a_run_stopped_by_sigterm_midway_still_removes_its_lab(tmp_path: Path) -> None:
    """A run ended by SIGTERM (a CI timeout, `kill`) in the middle of a test tears down as on
    Ctrl-C (tests/conftest.py): the host, its echo server and the lab are gone afterwards."""
    started = tmp_path / "started"
    (tmp_path / "test_midway.py").write_text(MIDWAY.format(started=str(started)))
    tests = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests), str(tests / "e2e")])}
    # `-p conftest`: the suite's own tests/conftest.py, as every run of the suite loads it.
    cmd = [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", str(tmp_path)]
    child = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    prefix = lab_prefix("tm", pid=child.pid)
    try:
        wait_for(lambda: started.exists() or child.poll() is not None, timeout=120, what="the lab and host")
        assert started.exists(), child.communicate()[0].decode()
        assert started.read_text() == prefix
        echo = ns_pids(f"{prefix}-hr1")
        assert echo, "the echo server runs in the host's namespace"
        child.send_signal(signal.SIGTERM)
        out = child.communicate(timeout=120)[0].decode()
        nothing_left(prefix)
        assert not [pid for pid in echo if Path(f"/proc/{pid}").exists()], "the echo server still runs"
        assert "KeyboardInterrupt" in out and "error" not in out, out  # teardown itself went well
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        manage.down(prefix)


def ns_pids(namespace: str) -> list[int]:
    cmd = ["ip", "netns", "pids", namespace]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [int(p) for p in out.split()]
