"""MetalLB end-to-end helpers: a second lab node built here, router restarts, MetalLB manifests.

The lab has one node; ETP Local needs two. `add_node` creates `<prefix>-node<N>` on segment A
(address 172.30.0.<100+N>, so .102 for the second node), starts its FRR empty, and
`router_text` makes the external routers peer with it. Everything is removed by `remove_node`
(also after a failure: use `extra_node`), and by `manage.down` after a crash.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from frrnode.frr.instance import FrrInstance
from frrnode.lab import manage
from frrnode.lab.topology import NODE_ASN, Interface, LabRouter, LabTopology

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
import mlb_helpers

__all__ = ["mlb_helpers"]


def node_spec(topo: LabTopology, index: int) -> LabRouter:
    host = 100 + index
    name = f"{topo.prefix}-node{index}"
    return LabRouter(
        name=f"node{index}",
        role="node",
        namespace=name,
        pathspace=name,
        asn=NODE_ASN,
        router_id=f"172.30.0.{host}",
        interfaces=(Interface("eth0", "a", f"172.30.0.{host}/24", f"fd00:30::{host}/64", f"a-node{index}"),),
    )


def remove_node(node: LabRouter) -> None:
    FrrInstance(node.pathspace, node.namespace).cleanup()
    subprocess.run(["ip", "netns", "del", node.namespace], capture_output=True, timeout=30, check=False)


def add_node(topo: LabTopology, index: int = 2) -> LabRouter:
    node = node_spec(topo, index)
    remove_node(node)  # leftovers of a crashed run with the same pid
    try:
        manage.add_namespace(topo, node)
        FrrInstance(node.pathspace, node.namespace).start("")
    except BaseException:
        remove_node(node)
        raise
    return node


@contextmanager
def extra_node(topo: LabTopology, index: int = 2) -> Iterator[LabRouter]:
    node = add_node(topo, index)
    try:
        yield node
    finally:
        remove_node(node)


def router_text(
    topo: LabTopology,
    router: LabRouter,
    nodes: tuple[LabRouter, ...] = (),
    asn: int | None = None,
    node_lines: tuple[str, ...] = (),
) -> str:
    """The lab router's config with `asn` (iBGP with the nodes when it is theirs), peering with
    the extra `nodes` too; `node_lines` are added under `router bgp` for the lab's own node."""
    r = replace(router, asn=asn) if asn else router
    text = manage.router_config(topo, r)
    own = topo.node.ipv4
    lines = [f"router bgp {r.asn}", *(f" neighbor {own} {line}" for line in node_lines)]
    for node in nodes:
        lines += [
            f" neighbor {node.ipv4} remote-as {NODE_ASN}",
            f" neighbor {node.ipv4} timers connect 1",
            f" neighbor {node.ipv4} update-source {r.ipv4}",
            " address-family ipv4 unicast",
            f"  neighbor {node.ipv4} activate",
            " exit-address-family",
        ]
    return text + "\n".join([*lines, "exit", ""])


def restart_router(router: LabRouter, text: str) -> None:
    inst = FrrInstance(router.pathspace, router.namespace)
    inst.stop()
    inst.start(text)


def manifests(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)
