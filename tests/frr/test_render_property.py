"""Property test: random valid FRRConfiguration sets render to configs FRR accepts, whatever the order.

Hypothesis builds sets of FRRConfiguration objects (as YAML documents, through the real loader
and pipeline, not NodeConfigs), consistent by construction: a neighbor address always carries
the same session settings in every object, localPref values are fixed per prefix, and the one
BFD profile is identical wherever it is declared, so merging succeeds. Each set must
- render to a file `vtysh --dryrun -f` accepts and that keeps the naming/numbering invariants;
- render byte-identically when the objects, and every list inside them, are shuffled.
"""

from __future__ import annotations

import random
import subprocess
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frrnode.api.loader import load_documents
from frrnode.frr.invariants import check_invariants
from frrnode.frr.render import RenderOptions, render_config
from frrnode.pipeline import Settings, build_node_config

pytestmark = pytest.mark.frr

NS = "frr-k8s-system"
ASN = 64512
V4 = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
V6 = ["2001:db8:1::/48", "2001:db8:2::/48"]
# neighbor -> (family, fixed session settings shared by every object that declares it)
PEERS: dict[str, tuple[str, dict[str, Any]]] = {
    "198.18.0.1": ("ipv4", {"asn": 64601, "holdTime": "9s", "keepaliveTime": "3s"}),
    "198.18.0.2": ("ipv4", {"asn": 64602, "port": 1790, "ebgpMultiHop": True}),
    "198.18.0.3": ("dual", {"asn": 64603, "dualStackAddressFamily": True, "connectTime": "5s"}),
    "2001:db8:ffff::1": ("ipv6", {"asn": 64604, "password": "s3cret"}),
    "2001:db8:ffff::2": ("ipv6", {"asn": 64605, "localASN": 64700}),
    "eth1": ("dual", {"dynamicASN": "external"}),
}
SELECTORS = {
    "ipv4": [{"prefix": "10.0.0.0/8", "le": 24}, {"prefix": "100.64.0.0/10", "ge": 16, "le": 24},
             {"prefix": "172.20.0.0/16"}],
    "ipv6": [{"prefix": "fd00::/8", "le": 64}, {"prefix": "2001:db8:100::/40", "ge": 48, "le": 56}],
}  # fmt: skip
COMMUNITIES = ["10:100", "65000:1", "large:1:2:3"]
BFD_FAST = {"name": "fast", "receiveInterval": 100, "transmitInterval": 100, "echoMode": True}


def local_pref(prefix: str) -> int:
    return 100 + (V4 + V6).index(prefix) * 10


def families(family: str) -> list[str]:
    return {"ipv4": ["ipv4"], "ipv6": ["ipv6"], "dual": ["ipv4", "ipv6"]}[family]


@st.composite
def neighbor_spec(
    draw: st.DrawFn, peer: str, router_prefixes: dict[str, list[str]]
) -> tuple[dict[str, Any], bool]:
    family, fixed = PEERS[peer]
    spec: dict[str, Any] = {"interface" if not peer[0].isdigit() else "address": peer, **fixed}
    advertisable = [p for f in families(family) for p in router_prefixes[f]]
    uses_bfd = draw(st.booleans())
    if uses_bfd:
        spec["bfdProfile"] = "fast"
    if draw(st.booleans()):
        spec["enableGracefulRestart"] = True
    advertise: dict[str, Any] = {}
    if advertisable and draw(st.booleans()):
        if draw(st.booleans()):
            advertise["allowed"] = {"mode": "all"}
            allowed = advertisable
        else:
            allowed = draw(st.lists(st.sampled_from(advertisable), unique=True, min_size=1))
            advertise["allowed"] = {"prefixes": allowed}
        with_lp = draw(st.lists(st.sampled_from(allowed), unique=True))
        by_value: dict[int, list[str]] = {}
        for p in with_lp:
            by_value.setdefault(local_pref(p), []).append(p)
        if by_value:
            advertise["withLocalPref"] = [{"localPref": v, "prefixes": ps} for v, ps in by_value.items()]
        comms = draw(st.lists(st.sampled_from(COMMUNITIES), unique=True, max_size=2))
        advertise["withCommunity"] = [
            {"community": c, "prefixes": draw(st.lists(st.sampled_from(allowed), unique=True, min_size=1))}
            for c in comms
        ]
    if advertise:
        spec["toAdvertise"] = advertise
    receive = draw(st.sampled_from(["none", "all", "some"]))
    if receive == "all":
        spec["toReceive"] = {"allowed": {"mode": "all"}}
    elif receive == "some":
        pool = [s for f in families(family) for s in SELECTORS[f]]
        spec["toReceive"] = {
            "allowed": {"prefixes": draw(st.lists(st.sampled_from(pool), unique_by=str, min_size=1))}
        }
    return spec, uses_bfd


@st.composite
def configuration(draw: st.DrawFn, index: int) -> dict[str, Any]:
    routers = []
    needs_bfd = False
    for vrf in sorted(draw(st.sets(st.sampled_from(["", "red"]), min_size=1))):
        prefixes = {
            "ipv4": draw(st.lists(st.sampled_from(V4), unique=True)),
            "ipv6": draw(st.lists(st.sampled_from(V6), unique=True)),
        }
        peers = draw(st.lists(st.sampled_from(sorted(PEERS)), unique=True, max_size=4))
        neighbors = []
        for peer in peers:
            spec, uses_bfd = draw(neighbor_spec(peer, prefixes))
            neighbors.append(spec)
            needs_bfd |= uses_bfd
        router: dict[str, Any] = {
            "asn": ASN,
            "neighbors": neighbors,
            "prefixes": prefixes["ipv4"] + prefixes["ipv6"],
        }
        if vrf:
            router["vrf"] = vrf
        routers.append(router)
    spec: dict[str, Any] = {"bgp": {"routers": routers}}
    if needs_bfd or draw(st.booleans()):
        spec["bgp"]["bfdProfiles"] = [BFD_FAST]
    if draw(st.booleans()):
        spec["raw"] = {"priority": draw(st.integers(0, 2)), "rawConfig": f"# raw snippet of cfg-{index}\n"}
    return {
        "apiVersion": "frrk8s.metallb.io/v1beta1",
        "kind": "FRRConfiguration",
        "metadata": {"name": f"cfg-{index}", "namespace": NS},
        "spec": spec,
    }


@st.composite
def configuration_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [draw(configuration(i)) for i in range(draw(st.integers(1, 3)))]


def shuffled(value: Any, rng: random.Random) -> Any:
    """Every list shuffled, recursively (dict key order too): the API gives order no meaning."""
    if isinstance(value, list):
        items = [shuffled(v, rng) for v in value]
        rng.shuffle(items)
        return items
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: shuffled(value[k], rng) for k in keys}
    return value


def render(docs: list[dict[str, Any]]) -> str:
    resources = load_documents(yaml.safe_dump_all(docs))
    node = build_node_config(
        resources, Settings(node_name="node-1", always_block=("192.168.0.0/16", "fd00:99::/64"))
    )
    return render_config(node, RenderOptions())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=configuration_sets(), rng=st.randoms(use_true_random=False))
def test_random_configurations_render_valid_and_order_free(
    docs: list[dict[str, Any]], rng: random.Random, tmp_path_factory: pytest.TempPathFactory
) -> None:
    text = render(docs)
    assert check_invariants(text) == []
    path = tmp_path_factory.mktemp("prop") / "frr.conf"
    path.write_text(text)
    proc = subprocess.run(["vtysh", "--dryrun", "-f", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr + text
    for _ in range(2):
        assert render(shuffled(docs, rng)) == text


def test_two_objects_sharing_a_neighbor_merge() -> None:
    """The strategy's consistency rules are enough for a merge: a shared neighbor, union of prefixes."""

    def doc(name: str, prefix: str, community: str) -> dict[str, Any]:
        nb = {"address": "198.18.0.3", **PEERS["198.18.0.3"][1],
              "toAdvertise": {"allowed": {"prefixes": [prefix]},
                              "withCommunity": [{"community": community, "prefixes": [prefix]}]}}  # fmt: skip
        router = {"asn": ASN, "prefixes": [prefix], "neighbors": [nb]}
        meta = {"name": name, "namespace": NS}
        return {"apiVersion": "frrk8s.metallb.io/v1beta1", "kind": "FRRConfiguration",
                "metadata": meta, "spec": {"bgp": {"routers": [router]}}}  # fmt: skip

    text = render([doc("b", V4[1], "65000:1"), doc("a", V4[0], "10:100")])
    lines = text.splitlines()
    assert f"ip prefix-list 198.18.0.3-allowed-ipv4 seq 1 permit {V4[0]}" in lines
    assert f"ip prefix-list 198.18.0.3-allowed-ipv4 seq 2 permit {V4[1]}" in lines
    assert "route-map 198.18.0.3-out permit 1" in lines and "  set community 10:100 additive" in lines
    assert "  set community 65000:1 additive" in lines
    assert "ip prefix-list 198.18.0.3-inpl-dual seq 1 deny any" in lines
