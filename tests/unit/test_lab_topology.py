"""The lab topology description and the external routers' FRR configuration (pure)."""

from __future__ import annotations

import json

import pytest

from frrnode.lab.manage import router_config
from frrnode.lab.topology import LabHost, LabTopology, check_prefix, is_lab_namespace, router_prefixes


def test_default_topology() -> None:
    t = LabTopology.build()
    assert t.prefix == "frrn" and t.bridge_namespace == "frrn-br"
    assert [r.name for r in t.routers] == ["node", "r1", "r2", "rv"]
    assert [r.asn for r in t.routers] == [64512, 64513, 64514, 64520]
    assert t.node.pathspace == t.node.namespace == "frrn-node"
    assert t.node.prefixes == () and t.node.ipv4 == "172.30.0.1"
    assert t.node.interface("b").vrf == "red" and t.node.interface("a").vrf is None
    assert t.router("r2").ipv4 == "172.30.0.3" and t.router("r2").ipv6 == "fd00:30::3"
    assert t.router("rv").interface("b").ipv4 == "172.31.0.2/24"
    assert t.router("r1").ipv4_prefixes == ("10.100.0.0/24", "10.100.1.0/24")
    assert t.router("r1").ipv6_prefixes == ("fd00:100::/64", "fd00:101::/64")
    assert t.router("rv").prefixes == ("10.250.0.0/24", "fd00:250::/64")
    assert [r.name for r in t.external] == ["r1", "r2", "rv"]
    assert t.namespaces == ("frrn-br", "frrn-node", "frrn-r1", "frrn-r2", "frrn-rv")


def test_more_routers_have_distinct_valid_prefixes() -> None:
    t = LabTopology.build("x1", routers=12, vrf=False)
    assert t.node.interface("b").vrf is None and t.vrf is None
    prefixes = [p for r in t.routers for p in r.prefixes]
    assert len(prefixes) == len(set(prefixes))
    assert router_prefixes(3) == ("10.3.0.0/24", "10.3.1.0/24", "fd00:300::/64", "fd00:301::/64")
    assert t.router("r12").asn == 64524 and t.router("r12").ipv4 == "172.30.0.13"
    assert len({r.router_id for r in t.routers}) == len(t.routers)
    # interface names in the bridge namespace stay within Linux's 15 characters
    assert all(len(i.bridge_port) <= 15 for r in t.routers for i in r.interfaces)


def test_to_json_is_complete() -> None:
    data = json.loads(LabTopology.build("abc").to_json())
    node = data["routers"]["node"]
    assert node["namespace"] == "abc-node" and node["pathspace"] == "abc-node" and node["asn"] == 64512
    assert node["addresses"]["b"] == {
        "interface": "eth1",
        "ipv4": "172.31.0.1/24",
        "ipv6": "fd00:31::1/64",
        "vrf": "red",
    }
    assert data["routers"]["r1"]["router_id"] == "172.30.0.2"
    assert data["routers"]["r1"]["prefixes"][0] == "10.100.0.0/24"
    assert data["vrf"] == "red" and data["vrf_table"] == 100


@pytest.mark.parametrize("bad", ["", "Lab", "1abc", "a-b", "abcdefghijk", "lab", "a/b"])
def test_bad_prefixes(bad: str) -> None:
    with pytest.raises(ValueError):
        check_prefix(bad)


def test_is_lab_namespace() -> None:
    assert (
        is_lab_namespace("t1", "t1-node")
        and is_lab_namespace("t1", "t1-r12")
        and is_lab_namespace("t1", "t1-br")
    )
    assert is_lab_namespace("t1", "t1-rv")
    assert not is_lab_namespace("t1", "t12-node")  # another lab whose name starts the same
    assert not is_lab_namespace("t1", "t1-other") and not is_lab_namespace("t1", "t1-r0")
    assert not is_lab_namespace("lab", "lab-node-x")
    # hosts behind routers belong to the lab too (so `down` removes them after a crash)
    assert is_lab_namespace("t1", "t1-hr1") and is_lab_namespace("t1", "t1-hrv")
    assert not is_lab_namespace("t1", "t1-hnode") and not is_lab_namespace("t1", "t1-h")
    # so do further nodes a test adds beside the lab's own (tests/e2e/metallb_lab.py)
    assert is_lab_namespace("t1", "t1-node2") and is_lab_namespace("t1", "t1-node12")
    assert not is_lab_namespace("t1", "t1-node0") and not is_lab_namespace("t1", "t1-nodex")


def test_host_behind_a_router() -> None:
    t = LabTopology.build("t1")
    h = LabHost.behind(t, "r2", ["10.60.0.0/24", "10.61.0.0/24"], count=3)
    assert (h.name, h.router, h.namespace) == ("hr2", "r2", "t1-hr2")
    assert h.addresses() == ("10.60.0.10", "10.60.0.11", "10.60.0.12")
    assert h.addresses("10.61.0.0/24")[0] == "10.61.0.10"
    router_side, host_side = h.interfaces("10.61.0.0/24")
    assert router_side == "10.61.0.1/24"
    assert host_side == ("10.61.0.10/24", "10.61.0.11/24", "10.61.0.12/24")
    assert h.gateway == "10.60.0.1"
    assert is_lab_namespace("t1", h.namespace)
    with pytest.raises(KeyError):
        h.addresses("10.62.0.0/24")


@pytest.mark.parametrize(
    ("router", "prefixes", "count"),
    [("node", ["10.60.0.0/24"], 1), ("r1", [], 1), ("r1", ["fd00:60::/64"], 1), ("r1", ["10.60.0.0/29"], 1),
     ("r1", ["10.60.0.0/24"], 250)],
)  # fmt: skip
def test_bad_hosts(router: str, prefixes: list[str], count: int) -> None:
    with pytest.raises(ValueError):
        LabHost.behind(LabTopology.build("t1"), router, prefixes, count)


def test_router_config() -> None:
    t = LabTopology.build()
    conf = router_config(t, t.router("r1")).splitlines()
    for line in (
        "bgp route-map delay-timer 1",
        "router bgp 64513",
        " bgp router-id 172.30.0.2",
        " no bgp ebgp-requires-policy",
        " neighbor 172.30.0.1 remote-as 64512",
        " neighbor 172.30.0.1 timers connect 1",
        " neighbor 172.30.0.1 update-source 172.30.0.2",
        " neighbor 172.30.0.1 bfd",
        " neighbor fd00:30::1 remote-as 64512",
        " neighbor fd00:30::1 update-source fd00:30::2",
        "  network 10.100.1.0/24",
        "  network fd00:101::/64",
    ):
        assert line in conf, line
    # the IPv4 session carries both families, the IPv6 session IPv6 only
    v4 = conf[conf.index(" address-family ipv4 unicast") : conf.index(" address-family ipv6 unicast")]
    v6 = conf[conf.index(" address-family ipv6 unicast") :]
    assert "  neighbor 172.30.0.1 activate" in v4 and "  neighbor fd00:30::1 activate" not in v4
    assert "  neighbor 172.30.0.1 activate" in v6 and "  neighbor fd00:30::1 activate" in v6
    rv = router_config(t, t.router("rv"))
    assert " neighbor 172.31.0.1 remote-as 64512" in rv and "  network 10.250.0.0/24" in rv
    with pytest.raises(ValueError):
        router_config(t, t.node)
