"""Merging FRRConfigurations (spec §3): unions, precedence, every §3.4 conflict, order independence."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pl_helpers import build, config, errors_of, neighbor, ref, router, secret

from frrnode.errors import ConflictError
from frrnode.model import Community, CommunityPrefixes, LocalPref, Selector

N, R, C = neighbor, router, config
R0 = "spec.bgp.routers[0]"
N0 = f"{R0}.neighbors[0]"
V4A, V4B, V6A = "192.169.1.0/24", "192.169.2.0/24", "2001:db8:1::/64"


def only_neighbor(*docs: dict[str, Any]) -> Any:
    nc = build(*docs)
    assert len(nc.routers) == 1 and len(nc.routers[0].neighbors) == 1
    return nc.routers[0].neighbors[0]


# ---------------------------------------------------------------- conflicts (§3.4 table)

CONFLICTS = [
    (
        "asn",
        {"asn": 65001},
        {"asn": 65002},
        "asn",
        "asn",
        "multiple asns specified for 192.168.1.2 (65001 != 65002)",
    ),
    (
        "asn-vs-dynamic",
        {"asn": 65001},
        {"asn": None, "dynamicASN": "external"},
        "asn",
        "dynamicASN",
        "multiple asns",
    ),
    ("port", {"port": 180}, {"port": 181}, "port", "port", "multiple ports specified for 192.168.1.2"),
    ("port-unset-vs-other", {}, {"port": 180}, "port", "port", "multiple ports"),
    (
        "source-address",
        {"sourceaddress": "10.0.0.1"},
        {"sourceaddress": "10.0.0.2"},
        "sourceaddress",
        "sourceaddress",
        "multiple source addresses",
    ),
    ("password", {"password": "a"}, {"password": "b"}, "password", "password", "multiple passwords"),
    (
        "password-vs-secret",
        {"password": "a"},
        {"passwordSecret": {"name": "s"}},
        "password",
        "passwordSecret",
        "multiple passwords",
    ),
    (
        "bfd-profile",
        {"bfdProfile": "p1"},
        {"bfdProfile": "p2"},
        "bfdProfile",
        "bfdProfile",
        "multiple bfd profiles",
    ),
    (
        "ebgp-multihop",
        {"ebgpMultiHop": True},
        {},
        "ebgpMultiHop",
        "ebgpMultiHop",
        "conflicting ebgp-multihop",
    ),
    (
        "dual-stack",
        {"dualStackAddressFamily": True},
        {},
        "dualStackAddressFamily",
        "dualStackAddressFamily",
        "conflicting advertiseDualStack",
    ),
    (
        "hold-time",
        {"holdTime": "90s", "keepaliveTime": "30s"},
        {"holdTime": "30s", "keepaliveTime": "30s"},
        "holdTime",
        "holdTime",
        "multiple hold times",
    ),
    (
        "keepalive-time",
        {"holdTime": "90s", "keepaliveTime": "30s"},
        {"holdTime": "90s", "keepaliveTime": "20s"},
        "keepaliveTime",
        "keepaliveTime",
        "multiple keepalive times",
    ),
    (
        "connect-time",
        {"connectTime": "5s"},
        {"connectTime": "6s"},
        "connectTime",
        "connectTime",
        "multiple connect times",
    ),
    ("local-asn", {"localASN": 64000}, {}, "localASN", "localASN", "multiple localASNs"),
]


@pytest.mark.parametrize(
    ("a", "b", "path_a", "path_b", "fragment"), [pytest.param(*c[1:], id=c[0]) for c in CONFLICTS]
)
def test_neighbor_conflict_names_both_objects(
    a: dict[str, Any], b: dict[str, Any], path_a: str, path_b: str, fragment: str
) -> None:
    profiles = [{"name": "p1"}, {"name": "p2"}]
    docs = [C("a", R(N(**a)), bfd=profiles), C("b", R(N(**b)), bfd=profiles), secret("s", "pw")]
    for ordered in (docs, docs[::-1]):
        errors = errors_of(*ordered)
        assert len(errors) == 1, [str(e) for e in errors]
        error = errors[0]
        assert isinstance(error, ConflictError)
        assert (error.obj, error.path) == (ref("a"), f"{N0}.{path_a}")
        assert (error.other, error.other_path) == (ref("b"), f"{N0}.{path_b}")
        assert fragment in error.message
        assert str(error).startswith(
            f"conflict between {ref('a')} {N0}.{path_a} and {ref('b')} {N0}.{path_b}"
        )


def test_password_values_are_not_printed_in_conflicts() -> None:
    errors = errors_of(C("a", R(N(password="secretA"))), C("b", R(N(password="secretB"))))
    assert "secretA" not in str(errors[0]) and "secretB" not in str(errors[0])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param({}, {"port": 179}, id="port-179-equals-unset"),
        pytest.param({}, {"holdTime": "180s", "keepaliveTime": "60s"}, id="default-timers-equal-unset"),
        pytest.param({}, {"connectTime": "60s"}, id="connect-60-equals-unset"),
        pytest.param({"bfdProfile": "p1"}, {}, id="bfd-profile-one-empty"),
        pytest.param({"enableGracefulRestart": True}, {}, id="graceful-restart-not-compared"),
        pytest.param({"password": "pw"}, {"passwordSecret": {"name": "s"}}, id="same-password-from-secret"),
    ],
)
def test_compatible_neighbors_merge(a: dict[str, Any], b: dict[str, Any]) -> None:
    docs = [C("a", R(N(**a)), bfd=[{"name": "p1"}]), C("b", R(N(**b))), secret("s", "pw")]
    assert errors_of(*docs) == []


def test_port_differs_from_default_conflicts_even_if_same_address_other_port_key() -> None:
    # The port is not part of the neighbor key (spec §3.4), so two ports for one address conflict.
    assert errors_of(C("a", R(N(port=180))), C("b", R(N(port=181))))


# ---------------------------------------------------------------- merged values


def test_advertise_prefixes_union_sorted() -> None:
    a = C("a", R(N(toAdvertise={"allowed": {"prefixes": [V4B]}}), prefixes=[V4A, V4B]))
    b = C("b", R(N(toAdvertise={"allowed": {"prefixes": [V4A]}}), prefixes=[V4A]))
    n = only_neighbor(a, b)
    assert n.advertise.prefixes_v4 == (V4A, V4B)


def test_router_prefixes_and_imports_union() -> None:
    a = C("a", R(prefixes=[V4B, V6A], imports=[{"vrf": "red"}]), R(vrf="red"))
    b = C("b", R(prefixes=[V4A, V4B], imports=[{"vrf": "blue"}]), R(vrf="blue"))
    nc = build(a, b)
    assert [r.vrf for r in nc.routers] == ["", "blue", "red"]
    default = nc.routers[0]
    assert default.prefixes_v4 == (V4A, V4B) and default.prefixes_v6 == (V6A,)
    assert default.imports == ("blue", "red")


def test_router_id_one_side_empty() -> None:
    nc = build(C("a", R()), C("b", R(id="1.1.1.1")))
    assert nc.routers[0].router_id == "1.1.1.1"


def test_receive_all_wins_over_selectors() -> None:
    a = C("a", R(N(toReceive={"allowed": {"mode": "all"}})))
    b = C("b", R(N(toReceive={"allowed": {"prefixes": [{"prefix": "10.0.0.0/8"}]}})))
    receive = only_neighbor(a, b).receive
    assert receive.all and receive.selectors_v4 == () and receive.selectors_v6 == ()


def test_receive_selectors_union_dedup_and_split_by_family() -> None:
    a = C(
        "a", R(N(toReceive={"allowed": {"prefixes": [{"prefix": "10.0.0.0/8", "le": 24}, {"prefix": V6A}]}}))
    )
    b = C(
        "b", R(N(toReceive={"allowed": {"prefixes": [{"prefix": "10.0.0.0/8", "le": 24}, {"prefix": V4A}]}}))
    )
    receive = only_neighbor(a, b).receive
    assert receive.selectors_v4 == (Selector("10.0.0.0/8", 24, 0), Selector(V4A))
    assert receive.selectors_v6 == (Selector(V6A),)


def test_receive_selector_key_collision_keeps_both() -> None:
    # Upstream's `<prefix><le><ge>` key collides here (quirk 7) and drops one; we keep both.
    sels = [{"prefix": "2000::/8", "le": 10, "ge": 10}, {"prefix": "2000::/8", "le": 101}]
    n = only_neighbor(C("a", R(N(dualStackAddressFamily=True, toReceive={"allowed": {"prefixes": sels}}))))
    receive = n.receive
    assert len(receive.selectors_v6) == 2


def test_local_pref_and_community_lists_union() -> None:
    def adv(lp: int, comm: str, prefix: str) -> dict[str, Any]:
        return {
            "allowed": {"mode": "all"},
            "withLocalPref": [{"prefixes": [prefix], "localPref": lp}],
            "withCommunity": [{"prefixes": [prefix], "community": comm}],
        }

    a = C("a", R(N(toAdvertise=adv(100, "65000:1", V4A)), prefixes=[V4A, V4B]))
    b = C("b", R(N(toAdvertise=adv(100, "65000:01", V4B)), prefixes=[V4A, V4B]))
    c = C("c", R(N(toAdvertise=adv(200, "large:1:2:3", "192.169.3.0/24")), prefixes=["192.169.3.0/24"]))
    n = only_neighbor(a, b, c)
    assert n.advertise.local_prefs == (
        LocalPref(100, "ipv4", (V4A, V4B)),
        LocalPref(200, "ipv4", ("192.169.3.0/24",)),
    )
    # Sorted by the name upstream uses in list names (`65000:1` < `large:1:2:3`).
    assert n.advertise.communities == (
        CommunityPrefixes(Community("65000:1", False), "ipv4", (V4A, V4B)),
        CommunityPrefixes(Community("1:2:3", True), "ipv4", ("192.169.3.0/24",)),
    )


def test_prefix_may_carry_several_communities() -> None:
    adv = {
        "allowed": {"mode": "all"},
        "withCommunity": [{"prefixes": [V4A], "community": "1:1"}, {"prefixes": [V4A], "community": "1:2"}],
    }
    assert len(only_neighbor(C("a", R(N(toAdvertise=adv), prefixes=[V4A]))).advertise.communities) == 2


def test_next_hop_first_non_empty() -> None:
    a = C("a", R(N(toAdvertise={"nextHop": {"ipv4": "10.1.1.1"}})))
    assert only_neighbor(a, C("b", R(N()))).advertise.next_hop_v4 == "10.1.1.1"


def test_address_families_union() -> None:
    n = only_neighbor(C("a", R(N(addressFamilies=["evpn"]))), C("b", R(N())))
    assert n.address_families == ("evpn", "unicast")


def test_graceful_restart_true_wins_whatever_the_order() -> None:
    docs = [C("a", R(N(enableGracefulRestart=True))), C("b", R(N()))]
    assert only_neighbor(*docs).graceful_restart
    assert only_neighbor(*docs[::-1]).graceful_restart


def test_duplicate_neighbor_in_one_list_is_merged() -> None:
    n = only_neighbor(
        C(
            "a",
            R(
                N(toAdvertise={"allowed": {"prefixes": [V4A]}}),
                N(toAdvertise={"allowed": {"prefixes": [V4B]}}),
                prefixes=[V4A, V4B],
            ),
        )
    )
    assert n.advertise.prefixes_v4 == (V4A, V4B)


def test_neighbors_in_different_vrfs_are_distinct() -> None:
    nc = build(C("a", R(N()), R(N(), vrf="red")))
    assert [n.id for r in nc.routers for n in r.neighbors] == ["192.168.1.2", "192.168.1.2-red"]


def test_neighbors_sorted_by_id_string() -> None:
    nc = build(C("a", R(N(address=None, interface="eth0"), N(address="10.0.0.2"), N(address="10.0.0.10"))))
    assert [n.id for n in nc.routers[0].neighbors] == ["10.0.0.10", "10.0.0.2", "eth0"]


def test_bfd_profiles_union_sorted_identical_allowed() -> None:
    nc = build(
        C("a", R(), bfd=[{"name": "z"}, {"name": "m", "detectMultiplier": 5}]),
        C("b", R(), bfd=[{"name": "m", "detectMultiplier": 5}, {"name": "a"}]),
    )
    assert [p.name for p in nc.bfd_profiles] == ["a", "m", "z"]


def test_bfd_profile_unset_differs_from_explicit_default() -> None:
    errors = errors_of(
        C("a", R(), bfd=[{"name": "p"}]), C("b", R(), bfd=[{"name": "p", "receiveInterval": 300}])
    )
    assert len(errors) == 1 and isinstance(errors[0], ConflictError)


def test_raw_snippets_ordered_by_priority_name_namespace() -> None:
    nc = build(
        C("bar", R(), raw={"priority": 10, "rawConfig": "bar\nbaz"}),
        C("foo", R(), raw={"priority": 5, "rawConfig": "foo"}),
        C("bar0", R(), raw={"rawConfig": "bar"}),
        C("empty", R(), raw={"priority": 1, "rawConfig": ""}),
    )
    assert [r.text for r in nc.raw] == ["bar", "foo", "bar\nbaz"]
    assert [r.source.name for r in nc.raw] == ["bar0", "foo", "bar"]


# ---------------------------------------------------------------- EVPN (§3.8)

EVPN_N = N(addressFamilies=["evpn"])


def test_evpn_l2vnis_merged_by_number() -> None:
    a = C(
        "a",
        R(EVPN_N, evpn={"advertiseVNIs": "All", "l2vnis": [{"vni": 2}, {"vni": 1, "importRTs": ["1:1"]}]}),
    )
    b = C(
        "b",
        R(EVPN_N, evpn={"advertiseVNIs": "All", "l2vnis": [{"vni": 1, "rd": "1:1", "importRTs": ["1:2"]}]}),
    )
    evpn = build(a, b).routers[0].evpn
    assert evpn is not None
    assert [v.vni for v in evpn.l2vnis] == [1, 2]
    assert evpn.l2vnis[0].rd == "1:1" and evpn.l2vnis[0].import_rts == ("1:1", "1:2")


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [
        pytest.param({}, {"advertiseVNIs": "Disabled"}, True, id="unset-equals-disabled"),
        pytest.param({}, {"advertiseVNIs": "All"}, False, id="unset-vs-all"),
        pytest.param(
            {"l2vnis": [{"vni": 1, "rd": "1:1"}]}, {"l2vnis": [{"vni": 1, "rd": "1:2"}]}, False, id="rd"
        ),
        pytest.param(
            {"l2vnis": [{"vni": 1, "rd": "1:1"}]}, {"l2vnis": [{"vni": 1}]}, True, id="rd-one-empty"
        ),
    ],
)
def test_evpn_merge_rules(a: dict[str, Any], b: dict[str, Any], ok: bool) -> None:
    errors = errors_of(C("a", R(EVPN_N, evpn=a)), C("b", R(EVPN_N, evpn=b)))
    assert (errors == []) is ok, [str(e) for e in errors]
    if not ok:
        assert isinstance(errors[0], ConflictError) and errors[0].other == ref("b")


def test_l3vni_merge() -> None:
    l3 = {"vni": 7, "advertisePrefixes": ["unicast"], "exportRTs": ["1:1"]}
    l3b = {**l3, "exportRTs": ["1:2"]}
    evpn = (
        build(C("a", R(vrf="red", evpn={"l3vni": l3})), C("b", R(vrf="red", evpn={"l3vni": l3b})))
        .routers[0]
        .evpn
    )
    assert evpn is not None and evpn.l3vni is not None and evpn.l3vni.export_rts == ("1:1", "1:2")
    errors = errors_of(
        C("a", R(vrf="red", evpn={"l3vni": l3})), C("b", R(vrf="red", evpn={"l3vni": {**l3, "vni": 8}}))
    )
    assert "different l3vni numbers" in errors[0].message


# ---------------------------------------------------------------- order independence


def test_result_independent_of_listing_order() -> None:
    docs = [
        C("a", R(N(toAdvertise={"allowed": {"mode": "all"}}), prefixes=[V4A]), raw={"rawConfig": "x"}),
        C("b", R(N(address="10.0.0.1", enableGracefulRestart=True), id="1.2.3.4", prefixes=[V4B])),
        C("c", R(N(toReceive={"allowed": {"prefixes": [{"prefix": "10.0.0.0/8"}]}}), vrf="red")),
        C("d", R(N(bfdProfile="p", enableGracefulRestart=True)), bfd=[{"name": "p"}], raw={"rawConfig": "y"}),
    ]
    results = {build(*perm) for perm in itertools.permutations(docs)}
    assert len(results) == 1


def test_hold_time_default_quirk_drops_timers_pair() -> None:
    # Quirk 6, kept: 180s is erased as a default, and timers need both values.
    n = only_neighbor(C("a", R(N(holdTime="180s", keepaliveTime="30s"))))
    assert (n.hold_time, n.keepalive_time) == (None, None)
    n = only_neighbor(C("a", R(N(holdTime="90s", keepaliveTime="30s"))))
    assert (n.hold_time, n.keepalive_time) == (90, 30)
