"""The renderer's agent extras on a live session (lab node <-> r1, real FRR, real kernel routes).

Switching a running upstream-style config to the agent's (extras on) with frr-reload must not
reset the session, must make pre-policy "received" routes readable (soft-reconfiguration
inbound), and an inbound policy change must then reach the kernel without `clear bgp`
(route-map delay-timer 1, never 0). Polling only, no timing assertions.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lab_helpers import kernel_routes, router_vtysh, wait_for

from frrnode.frr.render import UPSTREAM, RenderOptions, render_config
from frrnode.frr.samples import neighbor
from frrnode.lab.topology import LabTopology
from frrnode.model import NodeConfig, Receive, Router, Selector

pytestmark = pytest.mark.lab


def node_config(lab: LabTopology, selectors: tuple[str, ...]) -> NodeConfig:
    r1 = lab.router("r1")
    peer = neighbor(
        r1.ipv4, asn=str(r1.asn), receive=Receive(selectors_v4=tuple(Selector(p) for p in selectors))
    )
    router = Router(asn=lab.node.asn, neighbors=(peer,))
    # FRR 8.4 keeps the system hostname (vtysh-local `hostname`), render that one
    return NodeConfig(hostname=os.uname().nodename, routers=(router,))


def reload(lab: LabTopology, text: str, tmp_path: Path, mode: str = "--reload") -> str:
    path = tmp_path / "frr.conf"
    path.write_text(text)
    proc = subprocess.run(
        ["/usr/lib/frr/frr-reload.py", mode, "--stdout", "-N", lab.node.pathspace, str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def peer_info(lab: LabTopology) -> dict[str, Any]:
    data: dict[str, Any] = router_vtysh(lab.node).json(f"show bgp neighbors {lab.router('r1').ipv4} json")
    return data[lab.router("r1").ipv4]


def received(lab: LabTopology) -> set[str]:
    out = router_vtysh(lab.node).json(
        f"show bgp ipv4 unicast neighbors {lab.router('r1').ipv4} received-routes json"
    )
    return set(out.get("receivedRoutes", {}))


def test_extras_live(fresh_node: LabTopology, tmp_path: Path) -> None:
    lab = fresh_node
    r1 = lab.router("r1")
    wanted, other = r1.ipv4_prefixes[0], r1.ipv4_prefixes[1]

    reload(lab, render_config(node_config(lab, (wanted,)), UPSTREAM), tmp_path)
    wait_for(lambda: peer_info(lab)["bgpState"] == "Established", what="session to r1")
    wait_for(lambda: wanted in kernel_routes(lab.node), what=f"{wanted} in the node's kernel")
    assert other not in kernel_routes(lab.node)
    assert received(lab) == set()  # no Adj-RIB-In copy without soft-reconfiguration

    agent_text = render_config(node_config(lab, (wanted,)), RenderOptions(agent_extras=True))
    reload(lab, agent_text, tmp_path)
    # pre-policy view now has what r1 sends, including what the policy filters out
    wait_for(lambda: {wanted, other} <= received(lab), what="received-routes with soft-reconfiguration")
    info = peer_info(lab)
    assert info["bgpState"] == "Established"
    assert info["connectionsEstablished"] == 1 and info["connectionsDropped"] == 0, "extras reset the session"
    assert "bgp route-map delay-timer 1" in router_vtysh(lab.node).running_config()
    # the agent's config converges: nothing left for frr-reload to do (hostname is the system's)
    assert "Lines To" not in reload(lab, agent_text, tmp_path, mode="--test")

    # widen the inbound policy: applied without any `clear bgp`, session kept
    reload(lab, render_config(node_config(lab, (wanted, other)), RenderOptions()), tmp_path)
    wait_for(lambda: other in kernel_routes(lab.node), what=f"{other} in the kernel after the policy change")
    info = peer_info(lab)
    assert info["connectionsEstablished"] == 1 and info["connectionsDropped"] == 0
