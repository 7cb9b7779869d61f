"""State readers, status files and metrics against real FRR 8.4.4 in private namespaces.

Topology (st_topology): the node peers with r1 (password, BFD, soft-reconfiguration, inbound
filter), r2 (password mismatch), r3 (IPv6, no soft-reconfiguration) and r4 (wrong AS). Every
namespace is named `st<pid>-*` and removed by the fixture's finalizer, even on failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import st_topology as topo
from st_netlab import Netlab, wait_for
from typer.testing import CliRunner

from frrnode.agent import metrics, status
from frrnode.cli import app
from frrnode.frr import state
from frrnode.frr.vtysh import Vtysh

pytestmark = [pytest.mark.lab, pytest.mark.frr]

R1, R2, R3, R4 = "172.29.0.2", "172.29.0.3", "fd00:29::4", "172.29.0.5"


@pytest.fixture(scope="module")
def lab() -> Iterator[Netlab]:
    lab = Netlab(f"st{os.getpid()}")
    try:
        for i, name in enumerate(("node", "r1", "r2", "r3", "r4"), start=1):
            lab.add_host(name, i)
        node = "172.29.0.1"
        lab.start_frr("node", topo.node_config())
        lab.start_frr(
            "r1",
            topo.router_config(64513, R1, node, topo.R1_V4, topo.R1_V6, password=topo.R1_PASSWORD, bfd=True),
        )
        lab.start_frr(
            "r2", topo.router_config(64514, R2, node, ("10.102.0.0/24",), password=topo.R2_PEER_PASSWORD)
        )
        lab.start_frr(
            "r3", topo.router_config(64515, R3, "fd00:29::1", (), topo.R3_V6, router_id="172.29.0.4")
        )
        lab.start_frr("r4", topo.router_config(64516, R4, node))
        yield lab
    finally:
        lab.close()
        leftover = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert f"st{os.getpid()}-" not in leftover


@pytest.fixture(scope="module")
def vtysh(lab: Netlab) -> Vtysh:
    return Vtysh(lab.hosts["node"].ns, timeout=20)


def _sessions(vtysh: Vtysh) -> dict[str, state.SessionState]:
    return {s.peer: s for s in state.read_sessions(vtysh) if s.vrf == ""}


def _wait_session(
    vtysh: Vtysh, peer: str, cond: Callable[[state.SessionState], bool], timeout: float = 30
) -> state.SessionState:
    def check() -> state.SessionState | None:
        s = _sessions(vtysh)[peer]
        return s if cond(s) else None

    result: state.SessionState = wait_for(check, timeout=timeout)
    return result


def _settled(vtysh: Vtysh) -> dict[str, state.SessionState] | None:
    s = _sessions(vtysh)
    r1, r3 = s[R1], s[R3]
    ok = (
        r1.established
        and r3.established
        and r1.bfd_status == "Up"
        and r1.accepted == len(topo.R1_V4_ACCEPTED) + len(topo.R1_V6_ACCEPTED)
        and r1.received == len(topo.R1_V4) + len(topo.NODE_TO_R1) + len(topo.R1_V6)
        and r3.accepted == len(topo.R3_V6)
        and s[R4].last_error is not None
    )
    return s if ok else None


def _peer_sent_to_node(lab: Netlab, router: str, node_addr: str) -> int:
    """What the peer itself says it sends to the node, over all families."""
    n = lab.vtysh_json(router, f"show bgp neighbors {node_addr} json")[node_addr]
    return sum(af.get("sentPrefixCounter", 0) for af in n["addressFamilyInfo"].values())


def test_established_with_counts(lab: Netlab, vtysh: Vtysh) -> None:
    s = wait_for(lambda: _settled(vtysh), timeout=60)
    r1 = s[R1]
    assert r1.bgp_state == "Established" and r1.uptime_seconds is not None
    fam = {f.family: f for f in r1.families}
    # Received = everything r1 sends (it also reflects our two prefixes back; FRR drops them on
    # the AS-path loop check, after the Adj-RIB-In), accepted = what the filter allows.
    wait_for(lambda: _peer_sent_to_node(lab, "r1", "172.29.0.1") == r1.received, timeout=20)
    assert fam["ipv4Unicast"].received == len(topo.R1_V4) + len(topo.NODE_TO_R1)
    assert fam["ipv4Unicast"].accepted == len(topo.R1_V4_ACCEPTED)
    assert fam["ipv6Unicast"].received == len(topo.R1_V6)
    assert fam["ipv6Unicast"].accepted == len(topo.R1_V6_ACCEPTED)
    assert fam["ipv4Unicast"].advertised == len(topo.NODE_TO_R1)
    # The peer's view of what we advertise agrees.
    r1_in = lab.vtysh_json("r1", "show bgp neighbors 172.29.0.1 json")["172.29.0.1"]["addressFamilyInfo"]
    assert r1_in["ipv4Unicast"]["acceptedPrefixCounter"] == len(topo.NODE_TO_R1)
    # r3: no soft-reconfiguration -> received unknown; accepted = everything it sent (no filter).
    r3 = s[R3]
    assert r3.received is None
    assert r3.accepted == len(topo.R3_V6)
    # (r3 also reflects what it learned from us; FRR drops those on the AS-path loop check.)
    assert _peer_sent_to_node(lab, "r3", "fd00:29::1") > r3.accepted


def test_bfd_state(vtysh: Vtysh) -> None:
    wait_for(lambda: _settled(vtysh), timeout=60)
    s = _sessions(vtysh)
    assert s[R1].bfd_status == "Up"
    assert s[R3].bfd_status == state.NOT_CONFIGURED
    (bfd,) = [b for b in state.read_bfd(vtysh) if b.peer == R1]
    assert bfd.up and bfd.counters is not None and bfd.counters.control_packet_input > 0


def test_wrong_password_keeps_session_down(vtysh: Vtysh) -> None:
    wait_for(lambda: _settled(vtysh), timeout=60)
    r2 = _sessions(vtysh)[R2]
    # r1 (same timers, correct password) is up, r2 never was.
    assert r2.bgp_state != "Established"
    assert r2.connections_established == 0
    assert r2.last_error  # FRR only knows it is still waiting: MD5 failures are dropped by the kernel


def test_notification_reason(vtysh: Vtysh) -> None:
    r4 = _wait_session(vtysh, R4, lambda s: s.last_error is not None)
    assert r4.bgp_state != "Established"
    assert r4.last_error is not None and "Bad Peer AS" in r4.last_error


def test_routes_command_shows_received_accepted_kernel(lab: Netlab, vtysh: Vtysh) -> None:
    wait_for(lambda: _settled(vtysh), timeout=60)
    ns = lab.hosts["node"].ns
    args = ["routes", "--pathspace", ns, "--netns", ns, "--neighbor", R1, "--json"]

    def rows() -> dict[str, dict[str, object]] | None:
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0, res.output
        out = {r["prefix"]: r for t in json.loads(res.output) for r in t["routes"]}
        return out if out.get("10.101.0.0/24", {}).get("kernel") else None

    r = wait_for(rows, timeout=30)
    assert r["10.101.0.0/24"]["received"] and r["10.101.0.0/24"]["accepted"] and r["10.101.0.0/24"]["kernel"]
    assert r["10.101.2.0/24"]["received"] and not r["10.101.2.0/24"]["accepted"]
    assert not r["10.101.2.0/24"]["kernel"]
    assert r["fd00:101::/64"]["accepted"] and r["fd00:101::/64"]["kernel"]
    assert not r["fd00:102::/64"]["accepted"] and not r["fd00:102::/64"]["kernel"]


def _scan_for_passwords(*texts: str) -> list[str]:
    return [p for p in topo.ALL_PASSWORDS for t in texts if p in t]


def test_no_password_in_status_files_metrics_or_cli(lab: Netlab, vtysh: Vtysh, tmp_path: Path) -> None:
    wait_for(lambda: _settled(vtysh), timeout=60)
    running = vtysh.running_config()
    assert topo.R1_PASSWORD in running  # FRR really shows it: the redaction is what hides it
    snap = state.read_snapshot(vtysh)
    writer = status.StatusWriter(tmp_path)
    writer.write(status.build_node_state("node-a", running), status.build_session_states("node-a", snap))
    m = metrics.AgentMetrics(process_metrics=False)
    m.update_snapshot(snap)
    exposition = m.exposition().decode()
    cli = CliRunner().invoke(app, ["status", "--pathspace", lab.hosts["node"].ns, "--json"])
    assert cli.exit_code == 0, cli.output
    files = [p.read_text() for p in tmp_path.iterdir()]
    assert len(files) == 1 + len(snap.sessions)
    assert any("password <retracted>" in f for f in files)
    assert _scan_for_passwords(exposition, cli.output, *files) == []
    # A later poll of a steady session rewrites nothing (keepalives and uptime are not in the file).
    time.sleep(1.5)
    again = writer.write(None, status.build_session_states("node-a", state.read_snapshot(vtysh)))
    assert f"bgpsessionstate-node-a-default-{R1}.yaml" in again.unchanged
    # grep, as a user would.
    grep = subprocess.run(
        ["grep", "-rlF", "-e", topo.R1_PASSWORD, "-e", topo.R2_NODE_PASSWORD, str(tmp_path)]
    )
    assert grep.returncode == 1


def test_link_down_turns_bgp_and_bfd_down(lab: Netlab, vtysh: Vtysh, tmp_path: Path) -> None:
    wait_for(lambda: _settled(vtysh), timeout=60)
    writer = status.StatusWriter(tmp_path)
    m = metrics.AgentMetrics(process_metrics=False)
    lab.link("r1", up=False)
    try:
        # `Clearing` still counts the routes being withdrawn: wait for the session to settle.
        down = _wait_session(
            vtysh, R1, lambda s: not s.established and s.bfd_status == "Down" and s.bgp_state != "Clearing"
        )
        assert down.last_error is not None and "BFD Down" in down.last_error
        assert down.accepted == 0
        snap = state.read_snapshot(vtysh)
        (bfd,) = [b for b in snap.bfd if b.peer == R1]
        assert not bfd.up
        writer.write(None, status.build_session_states("n", snap))
        m.update_snapshot(snap)
        (r1_file,) = [p for p in tmp_path.iterdir() if p.name.endswith(f"-{R1}.yaml")]
        assert "bgpStatus: Established" not in r1_file.read_text()
        assert "bfdStatus: Down" in r1_file.read_text()
        text = m.exposition().decode()
        assert f'frrk8s_bgp_session_up{{peer="{R1}",vrf="default"}} 0' in text
        assert f'frrk8s_bfd_session_up{{peer="{R1}",vrf="default"}} 0' in text
    finally:
        lab.link("r1", up=True)
    up = _wait_session(vtysh, R1, lambda s: s.established and s.bfd_status == "Up", timeout=60)
    assert up.connections_dropped >= 1


def test_stopping_peer_bgpd(lab: Netlab, vtysh: Vtysh) -> None:
    wait_for(lambda: _settled(vtysh), timeout=60)
    lab.stop_daemon("r3", "bgpd")
    r3 = _wait_session(vtysh, R3, lambda s: not s.established)
    assert r3.bgp_state in ("Idle", "Connect", "Active", "OpenSent")
    assert r3.accepted == 0 and r3.uptime_seconds is None


def test_livez_follows_frr_daemons(lab: Netlab, vtysh: Vtysh) -> None:
    """Last: stops one of the node's daemons."""
    srv = metrics.MetricsServer(
        metrics.AgentMetrics(process_metrics=False), "127.0.0.1:0", daemons=vtysh.daemons
    )
    srv.start()
    try:
        url = f"http://127.0.0.1:{srv.port}/livez"
        assert _http_status(url) == 200
        lab.stop_daemon("node", "staticd")
        assert _http_status(url) == 404
    finally:
        srv.stop()


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return e.code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))
