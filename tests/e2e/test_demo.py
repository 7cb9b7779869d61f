"""The README's first command ends in `frrnode demo up`: it must show the motivating scenario."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from frrnode.lab import manage
from frrnode.lab.demo import DEMO_PREFIX

pytestmark = pytest.mark.lab


def _frrnode(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frrnode", *args], capture_output=True, text=True, timeout=180, check=False
    )


def table_rows(stdout: str) -> dict[str, str]:
    """The four situations' table: situation -> its lines (a cell may span several)."""
    table = stdout.split("== Four situations", 1)[1].split("\n\n", 1)[0]
    lines = table.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("situation "))
    rows: dict[str, str] = {}
    current = ""
    for line in lines[header + 1 :]:
        if line[:1].isdigit():
            current = line.split("  ", 1)[0]
            rows[current] = ""
        rows[current] += line + "\n"
    return rows


def check_situations_table(stdout: str) -> None:
    rows = table_rows(stdout)
    assert list(rows) == [
        "1 dynamic routing",
        "2 segregation (default table)",  # the demo's lab keeps eth1 in the default table
        "3 active-active (2 ASes, BFD)",
        "4 asymmetric return",
    ], rows
    dynamic, segregation, active, returning = rows.values()
    assert "10.100.0.0/24 via r1 eth0" in dynamic and "10.250.0.0/24 via rv eth1" in dynamic
    assert "10.100.0.10: out eth0, answered by hr1" in dynamic
    assert "10.250.0.10: out eth1, answered by hrv" in dynamic
    assert "10.250.0.0/24 via rv eth1" in segregation and "r1's copy refused" in segregation
    assert "10.250.0.10: out eth1, answered by hrv" in segregation
    assert "no first-segment router told" in segregation
    assert "10.60.0.0/24 via r1 eth0 + r2 eth0 (ECMP)" in active
    flows = re.search(r"16 flows: (\d+) via r1, (\d+) via r2", active)
    assert flows and int(flows[1]) + int(flows[2]) == 16 and int(flows[1]) > 0 and int(flows[2]) > 0, active
    failover = re.search(r"r1 down: 10.60.0.0/24 via r2 eth0 after ([0-9.]+) s", active)
    assert failover and float(failover[1]) < 5.0, active  # BFD (3 x 100 ms), generously
    assert "10.250.0.0/24 via rv eth1" in returning
    assert "10.250.0.10 -> 172.31.0.1: in eth1, reply out eth1, 5/5 answered" in returning
    assert "before the route: reply out eth0, 0/5 answered" in returning


def test_demo_up_shows_filtered_routes_and_advertisement_then_down_cleans_up() -> None:
    if manage.lab_namespaces(DEMO_PREFIX):
        pytest.fail(f"a demo lab '{DEMO_PREFIX}' is already running here; run `frrnode demo down` first")
    try:
        up = _frrnode("demo", "up", "--metrics-address", "127.0.0.1:0")
        assert up.returncode == 0, up.stdout + up.stderr
        routes = up.stdout.split("== The node's kernel routes", 1)[1].split("==", 1)[0]
        for prefix in ("10.100.0.0/24 nhid", "10.200.0.0/24 nhid", "10.201.0.0/24 nhid"):
            assert prefix in routes
        assert "10.100.1.0/24 nhid" not in routes  # announced by r1, refused by the filter
        for router in ("r1", "r2"):
            learned = up.stdout.split(f"== What {router} ", 1)[1]
            assert "BGP routing table entry for 192.0.2.10/32" in learned
        assert "frrnode demo down" in up.stdout
        check_situations_table(up.stdout)
        # MetalLB's objects: the Service got its IP from the pool and goes to both peers.
        assert "(type LoadBalancer) got its IP from IPAddressPool demo: 192.0.2.10" in up.stdout
        assert "node-a announces it to BGPPeers r1, r2" in up.stdout
    finally:
        down = _frrnode("demo", "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "agent stopped" in down.stdout
    assert manage.lab_namespaces(DEMO_PREFIX) == []
