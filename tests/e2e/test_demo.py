"""The README's first command ends in `frrnode demo up`: it must show the motivating scenario."""

from __future__ import annotations

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
        # MetalLB's objects: the Service got its IP from the pool and goes to both peers.
        assert "(type LoadBalancer) got its IP from IPAddressPool demo: 192.0.2.10" in up.stdout
        assert "node-a announces it to BGPPeers r1, r2" in up.stdout
    finally:
        down = _frrnode("demo", "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "agent stopped" in down.stdout
    assert manage.lab_namespaces(DEMO_PREFIX) == []
