"""MetalLB's validation (spec §1): every rule refuses bad input naming the object and field path.

Each row is one rule: the objects, then (object, field path, message fragment) of the error.
Schema rules come from the loader (CRD + CEL), semantic ones from `metallb.config.parse`.
"""

from __future__ import annotations

from typing import Any

import pytest
from mlb_helpers import adv, node, obj, parsed, peer, pool, problems, secret

from frrnode.metallb.resources import Settings

POOL = pool("p", "192.0.2.0/24")
PX, PY = "BGPPeer/metallb-system/x", "BGPPeer/metallb-system/y"
MS = "metallb-system"

CASES: list[tuple[str, list[dict[str, Any]], str, str, str]] = [
    # IPAddressPool
    ("pool-no-addresses", [obj("IPAddressPool", "p", {"addresses": []})], "IPAddressPool/metallb-system/p",
     "spec.addresses", "at least 1"),
    ("pool-bad-cidr", [pool("p", "192.0.2.0/33")], "IPAddressPool/metallb-system/p", "spec.addresses[0]",
     "invalid CIDR"),
    ("pool-range-reversed", [pool("p", "192.0.2.9-192.0.2.1")], "IPAddressPool/metallb-system/p",
     "spec.addresses[0]", "start is after end"),
    ("pool-range-mixed-family", [pool("p", "192.0.2.1-fc00::1")], "IPAddressPool/metallb-system/p",
     "spec.addresses[0]", "different IP families"),
    ("pools-overlap", [POOL, pool("q", "192.0.2.128/25")], "IPAddressPool/metallb-system/q",
     "spec.addresses[0]", "overlaps"),
    ("pool-duplicate-namespace",
     [pool("p", "192.0.2.0/24", serviceAllocation={"namespaces": ["a", "a"]})],
     "IPAddressPool/metallb-system/p", "spec.serviceAllocation.namespaces[1]", "duplicate namespace"),
    ("pool-bad-service-selector",
     [pool("p", "192.0.2.0/24", serviceAllocation={"serviceSelectors": [{"matchLabels": {"a b": "x"}}]})],
     "IPAddressPool/metallb-system/p", "spec.serviceAllocation.serviceSelectors[0].matchLabels['a b']",
     "invalid label key"),
    # BGPAdvertisement
    ("adv-aggregation-too-long", [POOL, adv("a", aggregationLength=33)], "BGPAdvertisement/metallb-system/a",
     "spec.aggregationLength", "max 32"),
    ("adv-aggregation-shorter-than-pool", [pool("p", "1.1.1.0/28"), adv("a", aggregationLength=26)],
     "BGPAdvertisement/metallb-system/a", "spec.aggregationLength", "more specific than the aggregation"),
    ("adv-aggregation-v6-shorter-than-pool", [pool("p", "fc00::/124"), adv("a", aggregationLengthV6=120)],
     "BGPAdvertisement/metallb-system/a", "spec.aggregationLengthV6", "more specific"),
    ("adv-selectors-with-aggregation",
     [POOL, adv("a", aggregationLength=24, serviceSelectors=[{"matchLabels": {"x": "y"}}])],
     "BGPAdvertisement/metallb-system/a", "spec", "non-default aggregation"),
    ("adv-duplicate-community", [POOL, adv("a", communities=["1:1", "1:1"])],
     "BGPAdvertisement/metallb-system/a", "spec.communities[1]", "duplicate community"),
    ("adv-community-out-of-range", [POOL, adv("a", communities=["65536:1"])],
     "BGPAdvertisement/metallb-system/a", "spec.communities[0]", "does not fit in 16 bits"),
    ("adv-unknown-alias", [POOL, adv("a", communities=["no-such-alias"])],
     "BGPAdvertisement/metallb-system/a", "spec.communities[0]", "no Community alias"),
    ("adv-unknown-pool", [POOL, adv("a", ipAddressPools=["nope"])], "BGPAdvertisement/metallb-system/a",
     "spec.ipAddressPools[0]", "not found"),
    ("adv-duplicate-pool", [POOL, adv("a", ipAddressPools=["p", "p"])], "BGPAdvertisement/metallb-system/a",
     "spec.ipAddressPools[1]", "duplicate IPAddressPool"),
    ("adv-duplicate-peer", [POOL, adv("a", peers=["x", "x"])], "BGPAdvertisement/metallb-system/a",
     "spec.peers[1]", "duplicate peer"),
    ("adv-localpref-conflict", [POOL, adv("a", localPref=100), adv("b", localPref=200)],
     "BGPAdvertisement/metallb-system/b", "spec.localPref", "already set for the same type of BGP update"),
    ("adv-too-many-communities", [POOL, adv("a", communities=[f"1:{i}" for i in range(64)])],
     "BGPAdvertisement/metallb-system/a", "spec.communities", "at most 63"),
    # BGPPeer
    ("peer-myasn-zero", [peer("x", my_asn=0)], PX, "spec.myASN", "must not be 0"),
    ("peer-asn-and-dynamic", [peer("x", dynamicASN="external")], PX, "spec.peerASN",
     "exactly one of peerASN and dynamicASN"),
    ("peer-no-asn", [obj("BGPPeer", "x", {"myASN": 1, "peerAddress": "10.0.0.1"})], PX,
     "spec.peerASN", "exactly one"),
    ("peer-address-and-interface", [peer("x", interface="eth0")], PX,
     "spec.peerAddress", "exactly one of peerAddress and interface"),
    ("peer-bad-address", [peer("x", address="10.0.0.300")], PX, "spec.peerAddress",
     "invalid peer IP"),
    ("peer-bad-router-id", [peer("x", routerID="1.2.3")], PX, "spec.routerID",
     "invalid routerID"),
    ("peer-bad-source", [peer("x", sourceAddress="nope")], PX, "spec.sourceAddress",
     "invalid sourceAddress"),
    ("peer-port-zero", [peer("x", peerPort=0)], PX, "spec.peerPort", "greater than"),
    ("peer-port-too-big", [peer("x", peerPort=16385)], PX, "spec.peerPort", "less than"),
    ("peer-hold-too-short", [peer("x", holdTime="1s")], PX, "spec.holdTime",
     "must be 0 or >=3s"),
    ("peer-keepalive-over-hold", [peer("x", holdTime="3s", keepaliveTime="4s")], PX,
     "spec.keepaliveTime", "must be lower than holdTime"),
    ("peer-connect-time-fraction", [peer("x", connectTime="1500ms")], PX,
     "spec.connectTime", "whole number of seconds"),
    ("peer-password-and-secret", [peer("x", password="a", passwordSecret={"name": "s"}), secret("s", "b")],
     PX, "spec.passwordSecret", "mutually exclusive"),
    ("peer-secret-wrong-type", [peer("x", passwordSecret={"name": "s"}), secret("s", "b", "Opaque")],
     PX, "spec.passwordSecret.name", "must be of type kubernetes.io/basic-auth"),
    ("peer-missing-bfd-profile", [peer("x", bfdProfile="fast")], PX, "spec.bfdProfile",
     "not found"),
    ("peer-ibgp-multihop", [peer("x", asn=64512, ebgpMultiHop=True)], PX,
     "spec.ebgpMultiHop", "only for eBGP"),
    ("peer-bad-dynamic-asn", [obj("BGPPeer", "x", {"myASN": 1, "dynamicASN": "x", "peerAddress": "1.1.1.1"})],
     PX, "spec.dynamicASN", "'internal' or 'external'"),
    ("peers-router-id-differ", [peer("x", routerID="1.1.1.1"), peer("y", address="10.0.0.2",
                                                                routerID="2.2.2.2")],
     PY, "spec.routerID", "same routerID"),
    ("peers-duplicate", [peer("x"), peer("y")], PY, "spec.peerAddress",
     "duplicate BGPPeers"),
    ("peers-myasn-differ", [peer("x"), peer("y", address="10.0.0.2", my_asn=64600)], PY,
     "spec.myASN", "same myASN"),
    ("peer-dup-node-selector", [peer("x", nodeSelectors=[{"matchLabels": {"a": "b"}}] * 2)],
     PX, "spec.nodeSelectors[1]", "duplicate selector"),
    ("peer-bfd-echo-ipv6",
     [pool("p", "fc00::/120"), adv("a"), peer("x", bfdProfile="e"),
      obj("BFDProfile", "e", {"echoMode": True})],
     PX, "spec.bfdProfile", "echo mode"),
    # BFDProfile, Community, namespace
    ("bfd-interval-range", [obj("BFDProfile", "b", {"receiveInterval": 5})], "BFDProfile/metallb-system/b",
     "spec.receiveInterval", "greater than or equal to 10"),
    ("bfd-multiplier-range", [obj("BFDProfile", "b", {"detectMultiplier": 1})], "BFDProfile/metallb-system/b",
     "spec.detectMultiplier", "greater than or equal to 2"),
    ("community-bad-value", [obj("Community", "c", {"communities": [{"name": "x", "value": "large:1:2"}]})],
     "Community/metallb-system/c", "spec.communities[0].value", "invalid community format"),
    ("community-duplicate-alias",
     [obj("Community", "c", {"communities": [{"name": "x", "value": "1:1"}]}),
      obj("Community", "d", {"communities": [{"name": "x", "value": "1:2"}]})],
     "Community/metallb-system/d", "spec.communities[0].name", "duplicate community alias"),
    ("unknown-field", [obj("IPAddressPool", "p", {"addresses": ["1.1.1.0/24"], "autoassign": True})],
     "IPAddressPool/metallb-system/p", "spec.autoassign", "unknown field"),
    ("extras-in-frrk8s-mode",
     [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bgpextras", "namespace": MS},
       "data": {"extras": "route-map x permit 1"}}],
     "ConfigMap/metallb-system/bgpextras", "data.extras", "not supported in frr-k8s mode"),
]  # fmt: skip


@pytest.mark.parametrize(("docs", "ref", "path", "fragment"), [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_rule(docs: list[dict[str, Any]], ref: str, path: str, fragment: str) -> None:
    found = problems(*docs)
    assert any(str(e.obj) == ref and e.path == path and fragment in e.message for e in found), [
        str(e) for e in found
    ]


def test_valid_configuration_has_no_problem() -> None:
    """Guard: the rows above fail for their own reason, not because the base objects are wrong."""
    config = parsed(
        pool("p", "192.0.2.0/24", "192.0.3.1 - 192.0.3.6", "fc00::/120"),
        adv("a", communities=["no-export", "large:1:2:3"], localPref=100, aggregationLengthV6=120),
        obj("Community", "c", {"communities": [{"name": "no-export", "value": "65535:65281"}]}),
        peer("x", holdTime="9s", bfdProfile="b", passwordSecret={"name": "s"}),
        obj("BFDProfile", "b", {"receiveInterval": 100}),
        secret("s", "hunter2"),
        node("n1"),
    )
    # Sorted as MetalLB sorts: legacy A:B compares as the large community (A<<16|B):0:0.
    assert [str(c) for c in config.advertisements[0].communities] == ["1:2:3", "65535:65281"]
    [x] = config.peers
    assert (x.hold_time, x.keepalive_time) == (9 * 10**9, 3 * 10**9)
    assert x.password == "hunter2"  # resolved: native or another frr-k8s namespace
    cidrs = [str(c) for c in config.pools["p"].ranges[1].cidrs]
    assert cidrs == ["192.0.3.1/32", "192.0.3.2/31", "192.0.3.4/31", "192.0.3.6/32"]


def test_missing_secret_and_alias_are_transient() -> None:
    found = problems(
        pool("p", "192.0.2.0/24"), adv("a", communities=["later"]), peer("x", passwordSecret={"name": "s"})
    )
    assert found and all(e.transient for e in found), [str(e) for e in found]


def test_localpref_allowed_with_disjoint_peers_or_aggregation() -> None:
    parsed(POOL, adv("a", localPref=100, peers=["x"]), adv("b", localPref=200, peers=["y"]))
    parsed(POOL, adv("a", localPref=100), adv("b", localPref=200, aggregationLength=25))
    on_a, on_b = [{"matchLabels": {"a": "1"}}], [{"matchLabels": {"b": "1"}}]
    parsed(POOL, node("n1", a="1"), node("n2", b="1"), adv("a", localPref=100, nodeSelectors=on_a),
           adv("b", localPref=200, nodeSelectors=on_b))  # fmt: skip


def test_peers_on_disjoint_nodes_may_differ() -> None:
    """Per-node BGPPeers with different ASNs are legal (e2e node_selector.go:419-500)."""
    docs = [
        node("n1", rack="a"),
        node("n2", rack="b"),
        peer("x", my_asn=100, routerID="1.1.1.1", nodeSelectors=[{"matchLabels": {"rack": "a"}}]),
        peer("y", my_asn=200, routerID="2.2.2.2", nodeSelectors=[{"matchLabels": {"rack": "b"}}]),
    ]
    parsed(*docs)
    assert [p.name for p in parsed(*docs, node_name="n1").peers] == ["x"]


def test_passthrough_keeps_the_secret_reference() -> None:
    settings = Settings(frrk8s_namespace="metallb-system")
    [x] = parsed(
        peer("x", passwordSecret={"name": "s", "namespace": "metallb-system"}), settings=settings
    ).peers
    assert (x.password, x.secret) == ("", ("s", "metallb-system"))


def test_v1beta1_peer_is_converted() -> None:
    old = {"apiVersion": "metallb.io/v1beta1", "kind": "BGPPeer", "metadata": {"name": "o", "namespace": MS},
           "spec": {"myASN": 1, "peerASN": 2, "peerAddress": "10.0.0.9", "holdTime": "90s",
                    "nodeSelectors": [{"matchLabels": {"a": "b"}}]}}  # fmt: skip
    [x] = parsed(old).peers
    assert (x.port, x.address, x.hold_time, x.keepalive_time) == (179, "10.0.0.9", 90 * 10**9, 30 * 10**9)
    assert x.node_selectors[0].match_labels == {"a": "b"}


def test_v1beta1_peer_rejects_v1beta2_fields() -> None:
    old = {"apiVersion": "metallb.io/v1beta1", "kind": "BGPPeer", "metadata": {"name": "o", "namespace": MS},
           "spec": {"myASN": 1, "peerASN": 2, "peerAddress": "10.0.0.9", "vrf": "red"}}  # fmt: skip
    [error] = problems(old)
    assert (error.path, error.message) == ("spec.vrf", "unknown field")


def test_errors_name_file_and_document() -> None:
    found = problems(POOL, peer("x", holdTime="2s"))
    [error] = [e for e in found if e.path == "spec.holdTime"]
    assert str(error).startswith("BGPPeer/metallb-system/x spec.holdTime:")
