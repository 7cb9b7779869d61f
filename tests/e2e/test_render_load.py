"""Rendered configs load into a real FRR 8.4.4 and converge (frr-reload.py --test against it).

Each test starts zebra/bgpd/staticd/bfdd in a network namespace it creates (`rnd-<pid>-<n>`)
and always removes both, even on failure. The only `frr-reload --test` differences allowed
are FRR display quirks of upstream lines, listed here and in docs/compatibility.md ("Notes
for the apply layer"): our agent extras must show up in the running config verbatim.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from frrnode.frr.instance import FrrInstance
from frrnode.frr.render import UPSTREAM, RenderOptions, render_config
from frrnode.frr.samples import example_b, feature_node
from frrnode.model import NodeConfig

pytestmark = pytest.mark.lab

_seq = itertools.count()

# (lines to delete, lines to add) that FRR 8.4.4 itself makes unavoidable for feature_node.
FEATURE_NODE_QUIRKS = (
    # `log stdout debugging` is displayed as `log stdout` (debugging is the default level)
    {"no log stdout", "no debug bgp updates in", "no debug bgp updates out",
     "no neighbor 10.0.0.1 ebgp-multihop 255"},
    {"log stdout debugging", "debug bgp updates", "neighbor 10.0.0.1 ebgp-multihop",
     # default-valued: auto-derived L2VNI route-targets, BFD echo interval 50 ms
     "route-target import 65000:100", "route-target export 65000:100",
     "echo transmit-interval 50", "echo receive-interval 50"},
)  # fmt: skip


@pytest.fixture
def frr(tmp_path: Path) -> Iterator[FrrInstance]:
    name = f"rnd-{os.getpid()}-{next(_seq)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    instance = FrrInstance(name, name)
    try:
        # A Kubernetes node forwards; without this the running config shows `no ip forwarding`.
        for path in ("/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"):
            subprocess.run(["ip", "netns", "exec", name, "sh", "-c", f"echo 1 > {path}"], check=True)
        yield instance
    finally:
        instance.cleanup()
        subprocess.run(["ip", "netns", "del", name], check=False)


def reload_test(frr: FrrInstance, text: str, tmp_path: Path) -> tuple[set[str], set[str]]:
    """Lines frr-reload.py would delete from / add to the running config to reach `text`."""
    path = tmp_path / "new.conf"
    path.write_text(text)
    proc = subprocess.run(
        ["/usr/lib/frr/frr-reload.py", "--test", "--stdout", "-N", frr.pathspace, str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    deletes: set[str] = set()
    adds: set[str] = set()
    target = None
    for line in proc.stdout.splitlines():
        if line == "Lines To Delete":
            target = deletes
        elif line == "Lines To Add":
            target = adds
        elif target is not None and line.strip() and not line.startswith("="):
            target.add(line.strip())
    # frr-reload prints the enclosing context headers before each line; drop them
    headers = {
        "router bgp 65000", "router bgp 65000 vrf red", "bfd", "profile fast",
        "address-family l2vpn evpn", "vni 100",
    }  # fmt: skip
    return deletes - headers, adds - headers


def local(node: NodeConfig) -> NodeConfig:
    # FRR 8.4 shows the system hostname whatever we render (vtysh-local `hostname`).
    return dataclasses.replace(node, hostname=os.uname().nodename)


@pytest.mark.parametrize("options", [UPSTREAM, RenderOptions()], ids=["upstream", "agent"])
def test_example_b_loads_and_converges(frr: FrrInstance, tmp_path: Path, options: RenderOptions) -> None:
    text = render_config(local(example_b()), options)
    frr.start(text)  # raises FrrError if a daemon rejects a line
    assert reload_test(frr, text, tmp_path) == (set(), set())
    running = frr.vtysh.running_config()
    for extra in ("bgp route-map delay-timer 1", " coalesce-time 100", "soft-reconfiguration inbound"):
        assert (extra in running) == options.agent_extras


def test_feature_node_loads_and_only_upstream_display_quirks_remain(frr: FrrInstance, tmp_path: Path) -> None:
    text = render_config(local(feature_node()))
    frr.start(text)
    deletes, adds = reload_test(frr, text, tmp_path)
    assert (deletes, adds) == FEATURE_NODE_QUIRKS
    running = frr.vtysh.running_config()
    assert running.count("soft-reconfiguration inbound") == 6
    # the raw snippet extended the generated route-map
    assert "route-map 10.0.0.1-in permit 100\n set metric 7" in running
