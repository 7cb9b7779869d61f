"""Hosts behind the lab's routers: a namespace per host, linked to its router only.

A host (`topology.LabHost`) holds addresses in prefixes its router announces, so traffic from
the node has somewhere real to go and something to answer it. Its namespace follows the lab's
naming (`<lab>-h<router>`), so `manage.down` removes hosts a crashed test left behind.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence

from frrnode.lab.manage import LabError, _ip, _kill_namespace_processes, list_namespaces
from frrnode.lab.topology import LabHost, LabRouter, LabTopology

HOST_LINK = "eth-host"
"""The router's interface toward its host (the host's side is `eth0`)."""


def _announce(router: LabRouter, prefixes: Sequence[str], withdraw: bool = False) -> None:
    if not prefixes:
        return
    no = "no " if withdraw else ""
    args = ["vtysh", "-N", router.pathspace, "-c", "configure terminal", "-c", "router bgp"]
    args += ["-c", "address-family ipv4 unicast", *(x for p in prefixes for x in ("-c", f"{no}network {p}"))]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0 or "%" in proc.stdout:
        what = ", ".join(prefixes)
        raise LabError(f"{router.name}: cannot {no}announce {what}: {proc.stdout}{proc.stderr}")


def _to_announce(router: LabRouter, host: LabHost) -> list[str]:
    """The host's prefixes its router does not announce by itself (`add` has it announce them)."""
    return [p for p in host.prefixes if p not in router.prefixes]


def add(topo: LabTopology, host: LabHost) -> LabHost:
    """Create `host` behind its router, which also announces those of the host's prefixes it
    does not announce already (withdrawn again by `remove`)."""
    router = topo.router(host.router)
    try:
        _ip("netns", "add", host.namespace)
        _ip("-n", host.namespace, "link", "set", "lo", "up")
        _ip("link", "add", "eth0", "netns", host.namespace, "type", "veth",
            "peer", "name", HOST_LINK, "netns", router.namespace)  # fmt: skip
        for prefix in host.prefixes:
            router_side, host_side = host.interfaces(prefix)
            _ip("-n", router.namespace, "addr", "add", router_side, "dev", HOST_LINK)
            for address in host_side:
                _ip("-n", host.namespace, "addr", "add", address, "dev", "eth0")
        _ip("-n", router.namespace, "link", "set", HOST_LINK, "up")
        _ip("-n", host.namespace, "link", "set", "eth0", "up")
        _ip("-n", host.namespace, "route", "add", "default", "via", host.gateway)
        _announce(router, _to_announce(router, host))
    except BaseException:
        remove(topo, host)
        raise
    return host


def remove(topo: LabTopology, host: LabHost) -> None:
    """Remove `host` (processes in it, its namespace, hence the link) and withdraw what `add`
    announced for it; idempotent."""
    router = topo.router(host.router)
    with contextlib.suppress(LabError):
        _announce(router, _to_announce(router, host), withdraw=True)
    if host.namespace in list_namespaces():
        _kill_namespace_processes(host.namespace)
        # The link first: a deleted namespace's veth goes away asynchronously, and the next host
        # behind this router would find `eth-host` still there ("File exists").
        _ip("-n", router.namespace, "link", "del", HOST_LINK, check=False)
        _ip("netns", "del", host.namespace, check=False)


@contextlib.contextmanager
def present(topo: LabTopology, *specs: LabHost) -> Iterator[tuple[LabHost, ...]]:
    """`with hosts.present(topo, h1, h2):` — the hosts exist inside the block, and are removed after it
    even when it fails."""
    added: list[LabHost] = []
    try:
        for spec in specs:
            added.append(add(topo, spec))
        yield tuple(added)
    finally:
        for host in reversed(added):
            remove(topo, host)
