"""A real FRR instance in a private network namespace, for the FRR driver tests (helper "lab").

Namespace and pathspace are `fl<tag><pid>`: unique per test run, never `lab-*`. Everything
is removed on exit, also when the test fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from frrnode.frr.instance import FrrInstance


def require_root_and_frr() -> None:
    """Fail (never skip) when the tests cannot run here: they would prove nothing."""
    if os.geteuid() != 0:
        pytest.fail("FRR driver tests need root (network namespaces, FRR daemons)")
    for path in ("/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/bin/vtysh", "/usr/lib/frr/frr-reload.py"):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} missing: apt-get install -y frr frr-pythontools")
    if shutil.which("ip") is None:
        pytest.fail("ip (iproute2) missing")


def netns_name(tag: str) -> str:
    return f"fl{tag}{os.getpid()}"


@contextmanager
def private_netns(name: str) -> Iterator[str]:
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, capture_output=True)
        yield name
    finally:
        FrrInstance(name, None).cleanup()  # daemons of this pathspace, by PID, and its dirs
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


@contextmanager
def frr_in_netns(tag: str, config: str = "") -> Iterator[FrrInstance]:
    """A started FrrInstance (zebra, bgpd, staticd, bfdd) in its own namespace."""
    require_root_and_frr()
    with private_netns(netns_name(tag)) as ns:
        inst = FrrInstance(ns, ns, timeout=30)
        inst.start(config)
        yield inst


def read_sysctl(netns: str, path: str) -> str:
    out = subprocess.run(
        ["ip", "netns", "exec", netns, "cat", f"/proc/sys/{path}"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def write_sysctl(netns: str, path: str, value: str) -> None:
    subprocess.run(["ip", "netns", "exec", netns, "sh", "-c", f"echo {value} > /proc/sys/{path}"], check=True)


def frr_processes(pathspace: str) -> list[int]:
    """PIDs of live (non-zombie) FRR daemons started with `-N pathspace`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and b"-N" in args and args[args.index(b"-N") + 1 :][:1] == [pathspace.encode()]:
            pids.append(int(entry.name))
    return pids
