"""Helpers for end-to-end tests on a lab (helper "lab"): polling and reading lab state.

Import them in e2e tests (`from lab_helpers import wait_for, kernel_routes, bgp_peers`);
the `lab` fixture itself lives in conftest.py, the body of every lab fixture (`lab_session`)
and the agent's helpers (`bgp_table`, ...) in agent_harness.py.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from frrnode.errors import FrrError
from frrnode.frr.vtysh import Vtysh
from frrnode.lab.topology import LabRouter

T = TypeVar("T")


def require_lab_prerequisites() -> None:
    """Fail loudly (never skip) when e2e tests cannot run here: a skip would prove nothing."""
    if os.geteuid() != 0:
        pytest.fail("e2e lab tests need root (network namespaces, FRR daemons)")
    for path in ("/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "/usr/lib/frr/staticd",
                 "/usr/bin/vtysh", "/usr/lib/frr/frr-reload.py"):  # fmt: skip
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: apt-get install -y frr frr-pythontools")
    if shutil.which("ip") is None:
        pytest.fail("ip (iproute2) is missing")


def wait_for(
    check: Callable[[], T], timeout: float = 30.0, what: str = "condition", interval: float = 0.1
) -> T:
    """Poll `check` until it returns something truthy and return that; exceptions count as
    "not yet". On timeout, fail with `what` and the last value or exception."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = check()
            if value:
                return value
            last = value
        except (FrrError, AssertionError, KeyError, subprocess.SubprocessError, ValueError) as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def bgp_peers(router: LabRouter, vrf: str = "default") -> dict[str, dict[str, Any]]:
    """peer -> `show bgp summary json` entry (first address family that lists it)."""
    data = router_vtysh(router).json(f"show bgp vrf {vrf} summary json")
    peers: dict[str, dict[str, Any]] = {}
    for af in data.values():
        if isinstance(af, dict):
            for peer, info in af.get("peers", {}).items():
                peers.setdefault(peer, info)
    return peers


def established(router: LabRouter, *peers: str, vrf: str = "default") -> bool:
    """True when every given peer of `router` is Established."""
    state = bgp_peers(router, vrf)
    return all(state.get(p, {}).get("state") == "Established" for p in peers)


def kernel_routes(router: LabRouter, family: int = 4, table: str | None = None) -> dict[str, str]:
    """Kernel routes in the router's namespace: destination -> rest of the `ip route` line."""
    args = ["ip", f"-{family}", "-n", router.namespace, "route", "show"]
    if table:
        args += ["table", table]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=10).stdout
    routes = {}
    for line in out.splitlines():
        dest, _, rest = line.partition(" ")
        routes[dest] = rest
    return routes


def router_vtysh(router: LabRouter) -> Vtysh:
    """vtysh of a lab router's FRR (works from the root namespace: sockets are path-based)."""
    return Vtysh(router.pathspace, timeout=30)


def ns_processes(namespace_prefix: str) -> list[str]:
    """Command lines of live processes that mention `-N <namespace_prefix>` (FRR daemons)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == "Z":
            continue
        for a, b in itertools.pairwise(args):
            if a == b"-N" and b.decode(errors="replace").startswith(namespace_prefix):
                found.append(" ".join(x.decode(errors="replace") for x in args if x))
    return found
