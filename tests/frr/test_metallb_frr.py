"""MetalLB's goldens judged by FRR itself (frr-reload.py --test, vtysh --dryrun).

- native mode: for every case replayable at HEAD, the frr.conf we render loads into FRR exactly
  like upstream's golden; with a `bgpextras` ConfigMap (the e2e recipe that re-declares each
  neighbor's `<id>-in` entry 20 as a permit) appended to both, they still load identically, and
  the extras are exactly the lines FRR adds on top of the plain golden.
- frr-k8s mode: every object MetalLB writes for a corpus case, fed to frrnode's own pipeline
  together with a user's FRRConfiguration receiving routes from the same peers (spec §4.8),
  merges without conflict into one config that FRR accepts; each neighbor keeps MetalLB's
  advertisements and gets the user's receive filter (without the user's object: nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_compat_corpus import dryrun, frr_reload_diff

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from mlb_corpus import cases, replay

from frrnode.api.loader import Resources
from frrnode.frr.render import render_config
from frrnode.metallb import native
from frrnode.metallb.frrk8s import to_object
from frrnode.metallb.receive import Receive, receive_configuration
from frrnode.metallb.resources import Settings as MetalLBSettings
from frrnode.metallb.sessions import SessionState
from frrnode.metallb.stage import MetalLBStage, load, with_configuration
from frrnode.model import NodeConfig, Selector
from frrnode.pipeline import Settings, build_node_config

pytestmark = pytest.mark.frr

NATIVE = [c for c in cases("native") if c.values[1]["fidelity"] == "exact"]
FRRK8S = [c for c in cases("frrk8s") if c.values[1]["expected"]["outcome"] == "render"]
RECEIVE = (("172.16.1.0/24", 32, None), ("fc00:f853:ccd:e800::/64", 128, None))


def _native(case_dir: Path, case: dict[str, Any] | None = None) -> SessionState:
    return replay(yaml.safe_load((case_dir / "session_input.yaml").read_text()))


def extras_recipe(state: SessionState) -> str:
    """MetalLB's e2e bgpextras (bgp.go:1672-1698): accept 172.16.1.0/24 le 32 from every peer."""
    lines = [
        "ip prefix-list allowed seq 10 permit 172.16.1.0/24 le 32",
        "ipv6 prefix-list allowed seq 10 permit fc00:f853:ccd:e800::/64 le 128",
    ]
    for params in sorted(state.sessions.values(), key=lambda p: p.key):
        nid = params.neighbor_id
        word = "ipv6" if params.family == "ipv6" else "ip"
        lines += [f"route-map {nid}-in permit 20", f"  match {word} address prefix-list allowed"]
    return "\n".join(lines)


@pytest.mark.parametrize(("case_dir", "case"), NATIVE)
def test_native_loads_like_the_golden(case_dir: Path, case: dict[str, Any], tmp_path: Path) -> None:
    ours = tmp_path / "frr.conf"
    level = case["agent"]["frr_log_level"]
    ours.write_text(native.render(_native(case_dir, case), case["agent"]["hostname"], level))
    proc = dryrun(ours)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert frr_reload_diff(case_dir / "expected.frr", ours) == ([], [])


NATIVE_WITH_PEERS = [c for c in NATIVE if _native(*c.values).sessions]


@pytest.mark.parametrize(("case_dir", "case"), NATIVE_WITH_PEERS)
def test_native_with_bgpextras(case_dir: Path, case: dict[str, Any], tmp_path: Path) -> None:
    state = _native(case_dir, case)
    extras = extras_recipe(state)
    state.extras = extras
    level = case["agent"]["frr_log_level"]
    ours = tmp_path / "ours.conf"
    ours.write_text(native.render(state, case["agent"]["hostname"], level))
    assert ours.read_text().endswith("\n" + extras + "\n")  # appended verbatim, at the very end
    golden = tmp_path / "golden.conf"
    golden.write_text((case_dir / "expected.frr").read_text() + "\n" + extras + "\n")
    proc = dryrun(ours)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert frr_reload_diff(golden, ours) == ([], [])
    # On top of the plain golden, frr-reload.py only adds: the prefix-lists and, per neighbor,
    # `route-map <id>-in permit 20` (the same sequence number, so bgpd replaces the deny entry).
    deletes, adds = frr_reload_diff(case_dir / "expected.frr", ours)
    permits = {f"route-map {p.neighbor_id}-in permit 20" for p in state.sessions.values()}
    assert deletes == []
    assert {a.strip() for a in adds if a.startswith("route-map")} == permits
    assert {a.strip() for a in adds if "prefix-list allowed" in a and "seq" in a} == set(
        extras.splitlines()[:2]
    )


def _pipeline(resources: Resources) -> NodeConfig:
    settings = Settings(
        node_name="testnodename", hostname="testnodename", namespace="testnamespace", node_has_ipv4=True
    )
    return build_node_config(resources, settings)


@pytest.mark.parametrize(("case_dir", "case"), FRRK8S)
def test_frrk8s_output_coexists_with_a_receiving_user(
    case_dir: Path, case: dict[str, Any], tmp_path: Path
) -> None:
    agent = case["agent"]
    stage = MetalLBStage(
        agent["node_name"],
        MetalLBSettings(namespace=agent["metallb_namespace"], frrk8s_namespace=agent["frrk8s_namespace"]),
    )
    resources = Resources()
    for name in case["input"]["files"]:
        resources = stage.apply(load([case_dir / name]))
    obj = stage.state.configuration
    assert obj is not None
    alone = _pipeline(resources)
    for router in alone.routers:
        for n in router.neighbors:
            assert not n.receive.all and not n.receive.selectors_v4 and not n.receive.selectors_v6

    peers = [(p, Receive("filtered", RECEIVE)) for p in stage.state.peers]
    user = receive_configuration("receive-routes", agent["frrk8s_namespace"], peers, stage.state.bfd_profiles)
    both = with_configuration(resources, obj)
    both.configurations.append(to_object(user))
    merged = _pipeline(both)
    text = render_config(merged)
    conf = tmp_path / "frr.conf"
    conf.write_text(text)
    proc = dryrun(conf)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    metallb = {(r.vrf, n.peer): n for r in alone.routers for n in r.neighbors}
    together = {(r.vrf, n.peer): n for r in merged.routers for n in r.neighbors}
    assert together.keys() == metallb.keys()  # the user's object adds no session
    for key, n in together.items():
        assert n.advertise == metallb[key].advertise  # MetalLB's announcements untouched
        v4 = {Selector("172.16.1.0/24", 32, 0)}
        v6 = {Selector("fc00:f853:ccd:e800::/64", 128, 0)}
        if n.family in ("ipv4", "dual"):
            assert set(n.receive.selectors_v4) == v4
        if n.family in ("ipv6", "dual"):
            assert set(n.receive.selectors_v6) == v6
        assert f"route-map {n.id}-in permit" in text
