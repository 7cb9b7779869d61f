"""Bring a lab up, tear it down, report on it, run commands in it.

Everything is derived from the lab prefix: the namespaces (`<prefix>-node`, `-r1`.., `-rv`,
`-br`, the hosts `-hr1`.. and the extra nodes `-node2`.. tests add), the FRR pathspaces (same
names) and their directories. So `down()` cleans up after a crashed `up()` or test, and several
labs with different prefixes coexist (their addresses are the same, but live in different
namespaces).

Network safety: all addresses live inside the lab's own namespaces; nothing is created in the
root namespace (veths are created directly in their target namespaces).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from frrnode.errors import FrrError, FrrNodeError
from frrnode.frr.instance import FRR_CONF_ROOT, FRR_RUN_ROOT, FRR_SBIN, FrrInstance, terminate
from frrnode.frr.vtysh import VTYSH
from frrnode.lab.topology import (
    BFD_PROFILE,
    DEFAULT_PREFIX,
    LabRouter,
    LabTopology,
    check_prefix,
    is_lab_namespace,
)

NETNS_DIR = Path("/var/run/netns")


class LabError(FrrNodeError):
    """The lab cannot be created, found or used."""


# -- small helpers ----------------------------------------------------------------------------
def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"ip {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc


def _write_sysctl(netns: str, path: str, value: str) -> None:
    # Per-namespace sysctls through /proc inside the namespace (no procps needed).
    subprocess.run(
        ["ip", "netns", "exec", netns, "sh", "-c", f"echo {value} > /proc/sys/{path}"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )


def list_namespaces() -> list[str]:
    proc = _ip("netns", "list")
    return [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]


def lab_namespaces(prefix: str) -> list[str]:
    return sorted(n for n in list_namespaces() if is_lab_namespace(prefix, n))


def lab_pathspaces(prefix: str) -> list[str]:
    """FRR pathspace directories of the lab still on disk (also when the namespaces are gone)."""
    found: set[str] = set()
    for root in (FRR_CONF_ROOT, FRR_RUN_ROOT):
        with contextlib.suppress(OSError):
            found.update(p.name for p in root.iterdir() if p.is_dir() and is_lab_namespace(prefix, p.name))
    return sorted(found)


def check_prerequisites() -> None:
    """Fail loudly (LabError) when the lab cannot work here: not root, or FRR missing."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the lab needs root (network namespaces, FRR daemons)")
    for binary in (*(FRR_SBIN / d for d in ("zebra", "bgpd", "staticd", "bfdd")), Path(VTYSH)):
        if not os.access(binary, os.X_OK):
            problems.append(f"{binary} is missing: apt-get install -y frr frr-pythontools")
    if shutil.which("ip") is None:
        problems.append("the ip command is missing: apt-get install -y iproute2")
    if problems:
        raise LabError("; ".join(problems))


# -- FRR configuration of the external routers ------------------------------------------------
def router_config(topology: LabTopology, router: LabRouter) -> str:
    """FRR configuration of an external router.

    It peers with the node over IPv4 (activated for IPv4 and IPv6 unicast, so IPv6 prefixes
    also reach an IPv4-only or dual-stack node neighbor, with a link-local next hop) and over
    IPv6 (IPv6 unicast), accepts everything, and announces its prefixes. `update-source` on
    this side avoids the BFD startup flap (lab README §5); `timers connect 1` makes it retry
    quickly while the node is not configured yet; `bgp route-map delay-timer 1` and
    `coalesce-time 100` cut startup delays (README §6). BFD toward the node is enabled but only
    comes up when the node configures BFD too (it does not affect BGP until then).
    """
    if router.role != "router" or router.peer_asn is None:
        raise ValueError(f"{router.name} is not an external router")
    itf = router.interfaces[0]
    node_itf = topology.node.interface(itf.segment)
    peers = [(node_itf.ipv4_address, itf.ipv4_address), (node_itf.ipv6_address, itf.ipv6_address)]
    lines = [
        "frr defaults traditional",
        "bgp route-map delay-timer 1",
        "log timestamp precision 3",
        "!",
        f"router bgp {router.asn}",
        f" bgp router-id {router.router_id}",
        " coalesce-time 100",
        " no bgp ebgp-requires-policy",
        " no bgp network import-check",
        " no bgp default ipv4-unicast",
    ]
    for peer, source in peers:
        lines += [
            f" neighbor {peer} remote-as {router.peer_asn}",
            f" neighbor {peer} timers connect 1",
            f" neighbor {peer} update-source {source}",
            f" neighbor {peer} bfd",
            f" neighbor {peer} bfd profile {BFD_PROFILE}",
        ]
    lines += [" !", " address-family ipv4 unicast"]
    lines += [f"  network {p}" for p in router.ipv4_prefixes]
    lines += [
        f"  neighbor {peers[0][0]} activate",
        " exit-address-family",
        " !",
        " address-family ipv6 unicast",
    ]
    lines += [f"  network {p}" for p in router.ipv6_prefixes]
    lines += [f"  neighbor {peer} activate" for peer, _ in peers]
    lines += [" exit-address-family", "exit", "!"]
    lines += [
        "bfd",
        f" profile {BFD_PROFILE}",
        "  receive-interval 100",
        "  transmit-interval 100",
        " exit",
        "exit",
        "",
    ]
    return "\n".join(lines)


# -- up / down --------------------------------------------------------------------------------
def vrf_supported(netns: str) -> bool:
    """Can this kernel create a VRF device? (CONFIG_NET_VRF is not set on some kernels; probed
    in `netns`, e.g. a lab's bridge namespace.)"""
    proc = _ip("-n", netns, "link", "add", "vrfprobe", "type", "vrf", "table", "4242", check=False)
    if proc.returncode == 0:
        _ip("-n", netns, "link", "del", "vrfprobe", check=False)
        return True
    return False


def _create_namespaces(topo: LabTopology) -> None:
    br = topo.bridge_namespace
    _ip("netns", "add", br)
    _ip("-n", br, "link", "set", "lo", "up")
    for seg in topo.segments:
        _ip("-n", br, "link", "add", seg.bridge, "type", "bridge")
        _ip("-n", br, "link", "set", seg.bridge, "up")
    for r in topo.routers:
        add_namespace(topo, r)


def add_namespace(topo: LabTopology, r: LabRouter) -> None:
    """The namespace of router `r`, linked to the bridges of its segments, with its addresses
    (and VRF devices); the lab's bridge namespace must exist. Also for a router that is not
    in `topo.routers` (a second node a test adds: name it `<prefix>-node<N>` so `down` finds it)."""
    br = topo.bridge_namespace
    ns = r.namespace
    _ip("netns", "add", ns)
    _ip("-n", ns, "link", "set", "lo", "up")
    # No DAD delay for addresses and link-locals (BGP next hops); routers forward, the node
    # keeps the kernel default (the agent must not change it; tests check that).
    _write_sysctl(ns, "net/ipv6/conf/all/accept_dad", "0")
    _write_sysctl(ns, "net/ipv6/conf/default/accept_dad", "0")
    if r.role == "router":
        _write_sysctl(ns, "net/ipv4/ip_forward", "1")
        _write_sysctl(ns, "net/ipv6/conf/all/forwarding", "1")
    for itf in r.interfaces:
        seg = topo.segment(itf.segment)
        _ip("link", "add", itf.name, "netns", ns, "type", "veth",
            "peer", "name", itf.bridge_port, "netns", br)  # fmt: skip
        _ip("-n", br, "link", "set", itf.bridge_port, "master", seg.bridge, "up")
        if itf.vrf:
            if "vrf" not in _ip("-n", ns, "-d", "link", "show", itf.vrf, check=False).stdout:
                _ip("-n", ns, "link", "add", itf.vrf, "type", "vrf", "table", str(topo.vrf_table))
                _ip("-n", ns, "link", "set", itf.vrf, "up")
            _ip("-n", ns, "link", "set", itf.name, "master", itf.vrf)
        _ip("-n", ns, "addr", "add", itf.ipv4, "dev", itf.name)
        _ip("-n", ns, "addr", "add", itf.ipv6, "dev", itf.name, "nodad")
        _ip("-n", ns, "link", "set", itf.name, "up")


def up(
    prefix: str = DEFAULT_PREFIX, routers: int = 2, timeout: float = 30.0, vrf: bool | None = None
) -> LabTopology:
    """Create the lab and start its FRR instances; return its topology.

    The node's FRR starts with an empty configuration (the agent configures it); the external
    routers start with `router_config`. Returns once every FRR instance answers vtysh (not when
    sessions are up: the node has no configuration yet). On any failure the partial lab is
    removed before the error is raised. `vrf`: put the node's eth1 in VRF `red` (True; an
    error where the kernel cannot), keep it in the default table (False), or decide by what
    the kernel supports (None).
    """
    check_prefix(prefix)
    check_prerequisites()
    existing = lab_namespaces(prefix)
    if existing:
        raise LabError(
            f"lab {prefix!r} already exists ({', '.join(existing)}); run `frrnode lab down --name {prefix}`"
        )
    try:
        # Probe VRF support in the bridge namespace before building the topology.
        probe_topo = LabTopology.build(prefix, routers)
        _ip("netns", "add", probe_topo.bridge_namespace)
        vrf_ok = vrf_supported(probe_topo.bridge_namespace)
        _ip("netns", "del", probe_topo.bridge_namespace)
        if vrf and not vrf_ok:
            raise LabError("this kernel cannot create VRF devices (CONFIG_NET_VRF): no lab with VRF red")
        topo = LabTopology.build(prefix, routers, vrf=vrf_ok if vrf is None else vrf)
        _create_namespaces(topo)
        instances = [
            (
                FrrInstance(r.pathspace, r.namespace, timeout=timeout),
                "" if r.role == "node" else router_config(topo, r),
            )
            for r in topo.routers
        ]
        with ThreadPoolExecutor(max_workers=len(instances)) as pool:
            futures = [pool.submit(inst.start, conf) for inst, conf in instances]
            for f in futures:
                f.result()
    except BaseException:
        down(prefix)
        raise
    return topo


def _kill_namespace_processes(netns: str, grace: float = 3.0) -> list[int]:
    """Stop processes still running inside one of the lab's namespaces (e.g. started with
    `lab exec` or by a test), so that deleting the namespace really frees it."""
    proc = _ip("netns", "pids", netns, check=False)
    pids = [int(p) for p in proc.stdout.split() if p.isdigit() and int(p) != os.getpid()]
    terminate(pids, grace)
    return pids


def down(prefix: str = DEFAULT_PREFIX) -> list[str]:
    """Remove everything of lab `prefix`: FRR daemons (by PID), other processes in its
    namespaces, the namespaces, /etc/frr/<ns> and /var/run/frr/<ns>. Returns what was removed.
    Idempotent; works after a crash because it only looks at names derived from `prefix`."""
    check_prefix(prefix)
    removed: list[str] = []
    namespaces = lab_namespaces(prefix)
    for ps in sorted(set(lab_pathspaces(prefix)) | set(namespaces)):
        FrrInstance(ps, None).cleanup()
        removed.append(f"frr:{ps}")
    for ns in namespaces:
        _kill_namespace_processes(ns)
        _ip("netns", "del", ns, check=False)
        removed.append(f"netns:{ns}")
    return removed


# -- links ------------------------------------------------------------------------------------
def set_link(topo: LabTopology, router: str, up: bool, segment: str | None = None) -> None:
    """Take a router's link to a segment (its first one by default) down or up at the bridge,
    as a failed switch port or router would: the router's interface loses its carrier."""
    r = topo.router(router)
    itf = r.interface(segment) if segment else r.interfaces[0]
    _ip("-n", topo.bridge_namespace, "link", "set", itf.bridge_port, "up" if up else "down")


# -- status / exec ----------------------------------------------------------------------------
def topology(prefix: str = DEFAULT_PREFIX) -> LabTopology | None:
    """Rebuild the topology of a running lab from its namespaces (None if there is no lab)."""
    check_prefix(prefix)
    namespaces = lab_namespaces(prefix)
    if not namespaces:
        return None
    numbers = [int(n.rsplit("-r", 1)[1]) for n in namespaces if n.rsplit("-", 1)[1][1:].isdigit()]
    routers = max(numbers, default=1)
    node_ns = f"{prefix}-node"
    vrf = (
        node_ns in namespaces and "vrf" in _ip("-n", node_ns, "-d", "link", "show", "red", check=False).stdout
    )
    return LabTopology.build(prefix, routers, vrf=vrf)


def status(prefix: str = DEFAULT_PREFIX) -> dict[str, Any] | None:
    """The topology plus live state per router: namespace present, FRR running, BGP peers."""
    topo = topology(prefix)
    if topo is None:
        return None
    present = set(lab_namespaces(prefix))
    out = topo.to_dict()
    for r in topo.routers:
        inst = FrrInstance(r.pathspace, r.namespace)
        entry = out["routers"][r.name]
        entry["namespace_present"] = r.namespace in present
        entry["frr_running"] = inst.alive()
        entry["bgp_peers"] = _bgp_peers(inst) if entry["frr_running"] else {}
    return out


def _bgp_peers(inst: FrrInstance) -> dict[str, str]:
    """peer -> state over all VRFs (`vrf/peer` outside the default VRF); {} if BGP is not configured."""
    try:
        data = inst.vtysh.json("show bgp vrf all summary json")
    except FrrError:
        return {}
    peers: dict[str, str] = {}
    for vrf, afs in (data or {}).items():
        if not isinstance(afs, dict):
            continue
        for af in afs.values():
            if isinstance(af, dict):
                for peer, info in af.get("peers", {}).items():
                    key = peer if vrf == "default" else f"{vrf}/{peer}"
                    peers[key] = info.get("state", "?")
    return peers


def exec_in(
    prefix: str, router: str, command: Sequence[str], **kwargs: Any
) -> subprocess.CompletedProcess[Any]:
    """Run `command` inside the namespace of `router` (`node`, `r1`, ..., `rv`) of lab `prefix`."""
    if not command:
        raise LabError("no command given")
    topo = topology(prefix)
    if topo is None:
        raise LabError(f"no lab {prefix!r}: run `frrnode lab up --name {prefix}`")
    try:
        ns = topo.router(router).namespace
    except KeyError as exc:
        raise LabError(str(exc.args[0])) from exc
    return subprocess.run(["ip", "netns", "exec", ns, *command], check=False, **kwargs)
