"""Who announces what (spec §2.2-2.7): node and peer selectors, externalTrafficPolicy, excluded
nodes, localPref, communities and aliases, aggregation, VRF peers, BFD, passwords.

Each row runs the whole stage for one node (allocation, speaker, frr-k8s backend) and checks
the decision per Service (announced to which peers, or MetalLB's reason) or what the node's
`metallb-<node>` FRRConfiguration says for a neighbor.
"""

from __future__ import annotations

from typing import Any

import pytest
from mlb_helpers import adv, endpoints, load, node, obj, peer, pool, secret, service

from frrnode.metallb.resources import Settings
from frrnode.metallb.stage import MetalLBStage

SETTINGS = Settings(frrk8s_namespace="frr-k8s-system")
POOL = pool("p", "192.0.2.0/24", "fc00::/120")
R1 = peer("r1", "172.30.0.2", asn=64513)
R2 = peer("r2", "172.30.0.3", asn=64514)
BASE = [node("n1"), node("n2"), POOL, R1, R2]


def stage(docs: list[dict[str, Any]], node_name: str = "n1", settings: Settings = SETTINGS) -> MetalLBStage:
    s = MetalLBStage(node_name, settings)
    s.apply(load(*docs))
    assert s.state.valid, [str(e) for e in s.state.controller_errors + s.state.speaker_errors]
    return s


def decisions(docs: list[dict[str, Any]], node_name: str = "n1", **kw: Any) -> dict[str, Any]:
    return {a.service: a.reason or a.peers for a in stage(docs, node_name, **kw).state.announcements}


def neighbors(docs: list[dict[str, Any]], node_name: str = "n1", **kw: Any) -> dict[str, dict[str, Any]]:
    config = stage(docs, node_name, **kw).state.configuration
    assert config is not None
    return {
        (f"{r['vrf']}/" if "vrf" in r else "") + (n.get("address") or n["interface"]): n
        for r in config["spec"]["bgp"]["routers"]
        for n in r["neighbors"]
    }


def svc(name: str = "s", ip: str = "192.0.2.10", etp: str = "Cluster", **kw: Any) -> dict[str, Any]:
    return service(name, annotations={"metallb.io/loadBalancerIPs": ip}, etp=etp, **kw)


ON_N2 = [{"matchLabels": {"kubernetes.io/hostname": "n2"}}]

DECISIONS: list[tuple[str, list[dict[str, Any]], str, dict[str, Any]]] = [
    ("announced-to-all-peers", [*BASE, adv("a"), svc(), endpoints("s", "n2")], "n1", {"s": ("r1", "r2")}),
    ("no-advertisement-no-owner", [*BASE, svc(), endpoints("s", "n1")], "n1", {"s": "notOwner"}),
    (
        "advertisement-node-selector",
        [*BASE, adv("a", nodeSelectors=ON_N2), svc(), endpoints("s", "n1")],
        "n1",
        {"s": "notOwner"},
    ),
    (
        "advertisement-node-selector-match",
        [*BASE, adv("a", nodeSelectors=ON_N2), svc(), endpoints("s", "n1")],
        "n2",
        {"s": ("r1", "r2")},
    ),
    (
        "service-selector-miss",
        [*BASE, adv("a", serviceSelectors=[{"matchLabels": {"expose": "yes"}}]), svc(), endpoints("s", "n1")],
        "n1",
        {"s": "noMatchingAdvertisement"},
    ),
    (
        "service-selector-match",
        [
            *BASE,
            adv("a", serviceSelectors=[{"matchLabels": {"expose": "yes"}}]),
            svc(labels={"expose": "yes"}),
            endpoints("s", "n1"),
        ],
        "n1",
        {"s": ("r1", "r2")},
    ),
    (
        "advertisement-peers",
        [*BASE, adv("a", peers=["r2"]), svc(), endpoints("s", "n1")],
        "n1",
        {"s": ("r2",)},
    ),
    ("etp-cluster-no-endpoints", [*BASE, adv("a"), svc()], "n1", {"s": "noEndpoints"}),
    (
        "etp-cluster-endpoint-elsewhere",
        [*BASE, adv("a"), svc(), endpoints("s", "n2")],
        "n1",
        {"s": ("r1", "r2")},
    ),
    (
        "etp-local-endpoint-elsewhere",
        [*BASE, adv("a"), svc(etp="Local"), endpoints("s", "n2")],
        "n1",
        {"s": "noLocalEndpoints"},
    ),
    (
        "etp-local-endpoint-here",
        [*BASE, adv("a"), svc(etp="Local"), endpoints("s", "n1")],
        "n1",
        {"s": ("r1", "r2")},
    ),
    (
        "etp-local-endpoint-not-ready",
        [*BASE, adv("a"), svc(etp="Local"), endpoints("s", "n1", ready=False)],
        "n1",
        {"s": "noLocalEndpoints"},
    ),
    (
        "excluded-node",
        [
            node("n1", **{"node.kubernetes.io/exclude-from-external-load-balancers": ""}),
            POOL,
            R1,
            adv("a"),
            svc(),
            endpoints("s", "n1"),
        ],
        "n1",
        {"s": "nodeLabeledExcludeBalancers"},
    ),
    (
        "network-unavailable",
        [
            {**node("n1"), "status": {"conditions": [{"type": "NetworkUnavailable", "status": "True"}]}},
            POOL,
            R1,
            adv("a"),
            svc(),
            endpoints("s", "n1"),
        ],
        "n1",
        {"s": "nodeNetworkUnavailable"},
    ),
    (
        "ip-outside-pools",
        [*BASE, adv("a"), svc(ip="203.0.113.1"), endpoints("s", "n1")],
        "n1",
        {"s": "noIPAllocated"},
    ),
    (
        "ipv6-service-only-to-ipv6-peers",
        [
            *BASE,
            peer("r6", "fd00:30::2", asn=64515),
            adv("a"),
            svc(ip="fc00::5", ipFamilies=["IPv6"]),
            endpoints("s", "n1"),
        ],
        "n1",
        {"s": ("r6",)},
    ),
    (
        "ipv6-service-not-to-ipv4-peer",
        [*BASE, adv("a", peers=["r1"]), svc(ip="fc00::5", ipFamilies=["IPv6"]), endpoints("s", "n1")],
        "n1",
        {"s": ()},
    ),
    (
        "dual-stack-peer-gets-ipv6",
        [
            *BASE,
            peer("rd", "172.30.0.4", dualStackAddressFamily=True),
            adv("a"),
            svc(ip="fc00::5", ipFamilies=["IPv6"]),
            endpoints("s", "n1"),
        ],
        "n1",
        {"s": ("rd",)},
    ),
]


@pytest.mark.parametrize(("docs", "node_name", "want"), [pytest.param(*c[1:], id=c[0]) for c in DECISIONS])
def test_decision(docs: list[dict[str, Any]], node_name: str, want: dict[str, Any]) -> None:
    assert decisions(docs, node_name) == want


def test_ignore_exclude_lb_flag() -> None:
    docs = [
        node("n1", **{"node.kubernetes.io/exclude-from-external-load-balancers": "true"}),
        POOL,
        R1,
        adv("a"),
        svc(),
        endpoints("s", "n1"),
    ]
    assert decisions(docs, settings=Settings(ignore_exclude_lb=True)) == {"s": ("r1",)}


def _advertise(n: dict[str, Any]) -> dict[str, Any]:
    return dict(n["toAdvertise"])


def test_localpref_communities_aliases() -> None:
    docs = [
        *BASE,
        obj("Community", "c", {"communities": [{"name": "no-advertise", "value": "65535:65282"}]}),
        adv("a", localPref=50, communities=["no-advertise", "large:1:2:3", "64512:7"]),
        svc(),
        endpoints("s", "n1"),
    ]
    n = neighbors(docs)["172.30.0.2"]
    assert _advertise(n) == {
        "allowed": {"prefixes": ["192.0.2.10/32"]},
        "withLocalPref": [{"prefixes": ["192.0.2.10/32"], "localPref": 50}],
        "withCommunity": [
            {"prefixes": ["192.0.2.10/32"], "community": "64512:7"},
            {"prefixes": ["192.0.2.10/32"], "community": "65535:65282"},
            {"prefixes": ["192.0.2.10/32"], "community": "large:1:2:3"},
        ],
    }


def test_two_advertisements_union_of_communities() -> None:
    docs = [
        *BASE,
        adv("a", communities=["65000:100"]),
        adv("b", communities=["65000:200"]),
        svc(),
        endpoints("s"),
    ]
    docs[-1] = endpoints("s", "n1")
    n = neighbors(docs)["172.30.0.3"]
    assert [c["community"] for c in n["toAdvertise"]["withCommunity"]] == ["65000:100", "65000:200"]


def test_aggregation_length() -> None:
    docs = [
        *BASE,
        adv("agg", aggregationLength=24, aggregationLengthV6=120),
        svc(),
        endpoints("s", "n1"),
        svc("six", ip="fc00::5", ipFamilies=["IPv6"]),
        endpoints("six", "n1"),
    ]
    docs.append(peer("r6", "fd00:30::2", asn=64515))
    got = neighbors(docs)
    assert got["172.30.0.2"]["toAdvertise"]["allowed"]["prefixes"] == ["192.0.2.0/24"]
    assert got["fd00:30::2"]["toAdvertise"]["allowed"]["prefixes"] == ["fc00::/120"]


def test_selector_and_aggregate_advertisements_both_apply() -> None:
    """e2e 44: a host route for the selected Service and the aggregate for everyone."""
    docs = [
        *BASE,
        adv("host", serviceSelectors=[{"matchLabels": {"x": "y"}}]),
        adv("agg", aggregationLength=24),
        svc(labels={"x": "y"}),
        endpoints("s", "n1"),
    ]
    prefixes = neighbors(docs)["172.30.0.2"]["toAdvertise"]["allowed"]["prefixes"]
    assert prefixes == ["192.0.2.0/24", "192.0.2.10/32"]


def test_vrf_peer_gets_its_own_router() -> None:
    docs = [*BASE, peer("rv", "172.31.0.2", asn=64520, vrf="red"), adv("a"), svc(), endpoints("s", "n1")]
    config = stage(docs).state.configuration
    assert config is not None
    routers = {r.get("vrf", ""): r for r in config["spec"]["bgp"]["routers"]}
    assert routers["red"]["neighbors"][0]["address"] == "172.31.0.2"
    assert routers["red"]["prefixes"] == routers[""]["prefixes"] == ["192.0.2.10/32"]


def test_peer_node_selector_limits_sessions() -> None:
    docs = [*BASE, peer("only-n2", "172.30.0.9", nodeSelectors=ON_N2)]
    assert set(neighbors(docs, "n1")) == {"172.30.0.2", "172.30.0.3"}
    assert set(neighbors(docs, "n2")) == {"172.30.0.2", "172.30.0.3", "172.30.0.9"}


def test_bfd_profile_on_the_neighbor() -> None:
    docs = [
        node("n1"),
        POOL,
        peer("r1", "172.30.0.2", bfdProfile="fast"),
        obj("BFDProfile", "fast", {"receiveInterval": 100, "transmitInterval": 100}),
    ]
    config = stage(docs).state.configuration
    assert config is not None
    assert config["spec"]["bgp"]["routers"][0]["neighbors"][0]["bfdProfile"] == "fast"
    assert config["spec"]["bgp"]["bfdProfiles"] == [
        {
            "name": "fast",
            "receiveInterval": 100,
            "transmitInterval": 100,
            "echoMode": False,
            "passiveMode": False,
        }
    ]


def test_password_from_secret_resolved_for_another_namespace() -> None:
    docs = [node("n1"), peer("r1", "172.30.0.2", passwordSecret={"name": "pw"}), secret("pw", "s3cret")]
    n = neighbors(docs)["172.30.0.2"]
    assert (n.get("password"), n["passwordSecret"]) == ("s3cret", {})


def test_password_secret_passed_through_in_the_same_namespace() -> None:
    settings = Settings(frrk8s_namespace="metallb-system")
    docs = [
        node("n1"),
        peer("r1", "172.30.0.2", passwordSecret={"name": "pw", "namespace": "metallb-system"}),
    ]
    n = neighbors(docs, settings=settings)["172.30.0.2"]
    assert "password" not in n and n["passwordSecret"] == {"name": "pw", "namespace": "metallb-system"}


def test_deleted_service_is_withdrawn() -> None:
    docs = [*BASE, adv("a"), svc(), endpoints("s", "n1")]
    s = stage(docs)
    s.apply(load(*docs[:-2]))
    assert s.state.configuration is not None
    for r in s.state.configuration["spec"]["bgp"]["routers"]:
        assert "prefixes" not in r
        assert all(n["toAdvertise"] == {"allowed": {}} for n in r["neighbors"])
