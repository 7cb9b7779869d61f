"""Renderer unit tests: NodeConfig -> FRR text, without FRR binaries.

Expected texts are upstream's (spec §5.12 worked example A, §5.13 worked example B) with blank
lines removed; the AF blocks are merged (one `address-family ipv4 unicast` per router), which is
our only layout difference (FRR loads both to the same running config; see the frr corpus test).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frrnode.frr.invariants import check_invariants
from frrnode.frr.objects import RenderOptions, plan
from frrnode.frr.render import UPSTREAM, render_config
from frrnode.frr.samples import example_a, example_b, feature_node, neighbor, scaled_node
from frrnode.model import (
    Advertise,
    Community,
    CommunityPrefixes,
    LocalPref,
    Neighbor,
    NodeConfig,
    Receive,
    Router,
    Selector,
)

EXAMPLE_A = """\
log stdout informational
log timestamp precision 3
hostname dummyhostname
ip nht resolve-via-default
ipv6 nht resolve-via-default
ip prefix-list 192.168.1.2-allowed-ipv4 seq 1 permit 192.169.1.0/24
ip prefix-list 192.168.1.2-allowed-ipv4 seq 2 permit 192.170.1.0/22
ipv6 prefix-list 192.168.1.2-allowed-ipv6 seq 1 deny any
route-map 192.168.1.2-out permit 1
  match ip address prefix-list 192.168.1.2-allowed-ipv4
route-map 192.168.1.2-out permit 2
  match ipv6 address prefix-list 192.168.1.2-allowed-ipv6
ip prefix-list 192.168.1.2-inpl-ipv4 seq 1 deny any
ipv6 prefix-list 192.168.1.2-inpl-ipv4 seq 2 deny any
route-map 192.168.1.2-in permit 3
  match ip address prefix-list 192.168.1.2-inpl-ipv4
route-map 192.168.1.2-in permit 4
  match ipv6 address prefix-list 192.168.1.2-inpl-ipv4
router bgp 65000
  no bgp ebgp-requires-policy
  no bgp network import-check
  no bgp default ipv4-unicast
  bgp graceful-restart preserve-fw-state
  neighbor 192.168.1.2 remote-as 65001
  neighbor 192.168.1.2 port 4567
  address-family ipv4 unicast
    neighbor 192.168.1.2 activate
    neighbor 192.168.1.2 route-map 192.168.1.2-in in
    neighbor 192.168.1.2 route-map 192.168.1.2-out out
    network 192.169.1.0/24
    network 192.170.1.0/22
  exit-address-family
"""

EXAMPLE_B = """\
log stdout informational
log timestamp precision 3
hostname node-1
ip nht resolve-via-default
ipv6 nht resolve-via-default
ip prefix-list 172.30.0.3-10:100-ip-community-prefixes seq 1 permit 192.168.10.0/24
route-map 172.30.0.3-out permit 1
  match ip address prefix-list 172.30.0.3-10:100-ip-community-prefixes
  set community 10:100 additive
  on-match next
ip prefix-list 172.30.0.3-200-ip-localpref-prefixes seq 1 permit 192.168.20.0/24
route-map 172.30.0.3-out permit 2
  match ip address prefix-list 172.30.0.3-200-ip-localpref-prefixes
  set local-preference 200
  on-match next
ip prefix-list 172.30.0.3-allowed-ipv4 seq 1 permit 192.168.10.0/24
ip prefix-list 172.30.0.3-allowed-ipv4 seq 2 permit 192.168.20.0/24
ipv6 prefix-list 172.30.0.3-allowed-ipv6 seq 1 deny any
route-map 172.30.0.3-out permit 3
  match ip address prefix-list 172.30.0.3-allowed-ipv4
route-map 172.30.0.3-out permit 4
  match ipv6 address prefix-list 172.30.0.3-allowed-ipv6
ip prefix-list 172.30.0.3-inpl-ipv4 seq 1 permit 10.0.0.0/8 le 24
ipv6 prefix-list 172.30.0.3-inpl-ipv4 seq 2 deny any
ip prefix-list 172.30.0.3-denied-inpl-ipv4 seq 1 permit 192.167.9.0/24 le 32
route-map 172.30.0.3-in deny 5
  match ip address prefix-list 172.30.0.3-denied-inpl-ipv4
route-map 172.30.0.3-in deny 6
  match ipv6 address prefix-list 172.30.0.3-denied-inpl-ipv4
route-map 172.30.0.3-in permit 7
  match ip address prefix-list 172.30.0.3-inpl-ipv4
route-map 172.30.0.3-in permit 8
  match ipv6 address prefix-list 172.30.0.3-inpl-ipv4
router bgp 64512
  no bgp ebgp-requires-policy
  no bgp network import-check
  no bgp default ipv4-unicast
  bgp graceful-restart preserve-fw-state
  neighbor 172.30.0.3 remote-as 4200000000
  address-family ipv4 unicast
    neighbor 172.30.0.3 activate
    neighbor 172.30.0.3 route-map 172.30.0.3-in in
    neighbor 172.30.0.3 route-map 172.30.0.3-out out
    network 192.168.10.0/24
    network 192.168.20.0/24
  exit-address-family
"""


def test_worked_example_a() -> None:
    assert render_config(example_a(), UPSTREAM) == EXAMPLE_A


def test_worked_example_b() -> None:
    assert render_config(example_b(), UPSTREAM) == EXAMPLE_B


@pytest.mark.parametrize("node", [example_a(), example_b(), feature_node()], ids=["A", "B", "big"])
@pytest.mark.parametrize("options", [UPSTREAM, RenderOptions()], ids=["upstream", "agent"])
def test_invariants_and_layout(node: NodeConfig, options: RenderOptions) -> None:
    text = render_config(node, options)
    # raw snippets may add route-map entries (big_node's does), so check without them
    assert check_invariants(render_config(dataclasses.replace(node, raw=()), options)) == []
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert all(line.strip() for line in text.splitlines()), "no blank or whitespace-only lines"
    assert all(line == line.rstrip() for line in text.splitlines()), "no trailing whitespace"


def test_invariant_checker_can_fail() -> None:
    """The checker must catch each kind of violation it claims to check."""
    good = render_config(example_b(), UPSTREAM)
    broken = {
        "seq": good.replace("allowed-ipv4 seq 2", "allowed-ipv4 seq 3"),
        "rm numbers": good.replace("-in permit 7", "-in permit 9"),
        "permit before deny": good.replace("-in deny 6", "-in permit 6").replace(
            "-in permit 7", "-in deny 7"
        ),
        "missing -in": "\n".join(
            line for line in good.splitlines() if "-in permit" not in line and "-in deny" not in line
        ),
        "property order": good.replace("-10:100-ip", "-30:100-ip"),
    }
    for what, text in broken.items():
        assert check_invariants(text), what


def test_big_node_lines() -> None:
    text = render_config(feature_node(), UPSTREAM)
    lines = text.splitlines()
    # debug lines right after the log lines, hostname after them
    assert (
        lines[2] == "debug zebra events" and lines[14] == "debug bfd zebra" and lines[15] == "hostname node-1"
    )
    # session lines in upstream's order
    session = [
        line.strip() for line in lines if line.startswith("  neighbor 10.0.0.1 ") and "route-map" not in line
    ]
    assert session == [
        "neighbor 10.0.0.1 remote-as 65001",
        "neighbor 10.0.0.1 ebgp-multihop",
        "neighbor 10.0.0.1 local-as 65100 no-prepend replace-as",
        "neighbor 10.0.0.1 timers 3 9",
        "neighbor 10.0.0.1 timers connect 5",
        "neighbor 10.0.0.1 password s3cret",
        "neighbor 10.0.0.1 update-source 10.0.0.100",
        "neighbor 10.0.0.1 graceful-restart",
        "neighbor 10.0.0.1 bfd",
        "neighbor 10.0.0.1 bfd profile fast",
        "neighbor 10.0.0.1 remote-as 65001",  # the vrf red neighbor, same address
    ]
    assert "  neighbor eth1 interface remote-as internal" in lines
    assert "  neighbor 2001:db8::2 disable-connected-check" in lines
    # property lists sorted by name: 10:100 < 150 (ip) < 150 (ipv6) < large:
    props = [
        line.split()[2]
        for line in lines
        if line.startswith(("ip prefix-list 10.0.0.1-", "ipv6 prefix-list 10.0.0.1-"))
        and line.split()[2].endswith("-prefixes")
        and " seq 1 " in line
    ]
    assert props == [
        "10.0.0.1-10:100-ip-community-prefixes",
        "10.0.0.1-150-ip-localpref-prefixes",
        "10.0.0.1-150-ipv6-localpref-prefixes",
        "10.0.0.1-large:123:456:7890-ipv6-community-prefixes",
    ]
    assert "  set large-community 123:456:7890 additive" in lines
    assert "  set ip next-hop 192.0.2.1" in lines and "  set ipv6 next-hop global 2001:db8::1" in lines
    # dual-stack inbound list with le/ge (le first), shared counter across ip/ipv6
    assert "ip prefix-list 10.0.0.1-inpl-dual seq 1 permit 203.0.113.0/24 le 28 ge 26" in lines
    assert "ipv6 prefix-list 10.0.0.1-inpl-dual seq 2 permit 2001:db8::/32" in lines
    assert "ip prefix-list 2001:db8::2-inpl-ipv6 seq 1 permit any" in lines
    assert "ipv6 prefix-list 2001:db8::2-inpl-ipv6 seq 2 permit any" in lines
    # always-block: one counter across families, le 32/128
    assert "ip prefix-list 10.0.0.1-red-denied-inpl-ipv4 seq 1 permit 192.168.0.0/16 le 32" in lines
    assert "ipv6 prefix-list 10.0.0.1-red-denied-inpl-ipv4 seq 2 permit fd00::/8 le 128" in lines
    # evpn-only neighbor: filtered but not activated for unicast
    assert "route-map 10.0.0.10-out permit 1" in lines
    assert "    neighbor 10.0.0.10 activate" in lines  # in l2vpn evpn only
    assert text.count("neighbor 10.0.0.10 activate") == 1
    # dual-stack and unnumbered are activated in both unicast families
    assert text.count("    neighbor 10.0.0.1 activate") == 3  # ipv4 + ipv6 (default) + ipv4 (red)
    assert text.count("    neighbor eth1 activate") == 3  # ipv4 + ipv6 + evpn
    # bare L2VNI renders nothing; L3VNI vrf stanza before routers
    assert "    vni 200" not in text and "    vni 100" in lines
    assert text.index("vrf red\n  vni 3000\nexit-vrf\n") < text.index("router bgp 65000\n")
    assert "  bgp router-id 10.0.0.100" in lines
    assert text.count("    import vrf red") == 2
    assert lines.index("router bgp 65000 vrf red") > lines.index("router bgp 65000")
    assert (
        "bfd\n  profile fast\n    receive-interval 100\n    transmit-interval 100\n    detect-multiplier 5\n"
        "    echo-mode\n    echo transmit-interval 50\n    echo receive-interval 50\n    passive-mode\n"
        "    minimum-ttl 250\n  profile plain\n" in text
    )
    # raw last, verbatim, in the given order
    assert text.endswith("route-map 10.0.0.1-in permit 100\n  set metric 7\n# comment\n")


def test_timers_only_as_a_pair() -> None:
    """Upstream quirk 6: keepalive without hold time renders no timers line."""
    n = neighbor("192.0.2.1", keepalive_time=30)
    text = render_config(NodeConfig(hostname="h", routers=(Router(asn=1, neighbors=(n,)),)), UPSTREAM)
    assert "timers" not in text


def test_empty_node() -> None:
    text = render_config(NodeConfig(hostname="h"), UPSTREAM)
    assert text == (
        "log stdout informational\nlog timestamp precision 3\nhostname h\n"
        "ip nht resolve-via-default\nipv6 nht resolve-via-default\n"
    )


def test_agent_extras_are_only_the_documented_lines() -> None:
    node = feature_node()
    upstream = render_config(node, UPSTREAM).splitlines()
    agent = render_config(node, RenderOptions(agent_extras=True)).splitlines()
    extra = list(agent)
    for line in upstream:
        extra.remove(line)
    assert sorted(extra) == sorted(
        [
            "bgp route-map delay-timer 1",
            "  coalesce-time 100",
            "  coalesce-time 100",
            # every unicast activation, not the evpn one
            "    neighbor 10.0.0.1 soft-reconfiguration inbound",
            "    neighbor 10.0.0.1 soft-reconfiguration inbound",
            "    neighbor 10.0.0.1 soft-reconfiguration inbound",
            "    neighbor 2001:db8::2 soft-reconfiguration inbound",
            "    neighbor eth1 soft-reconfiguration inbound",
            "    neighbor eth1 soft-reconfiguration inbound",
        ]
    )
    # the extras never include a delay-timer of 0 (it disables policy re-evaluation)
    assert "delay-timer 0" not in "\n".join(agent)


def test_hostname_option() -> None:
    text = render_config(example_a(), RenderOptions(agent_extras=False, hostname=False))
    assert "hostname" not in text
    assert text.splitlines() == [line for line in EXAMPLE_A.splitlines() if not line.startswith("hostname")]


def test_default_options_are_the_agents() -> None:
    assert render_config(example_a()) == render_config(example_a(), RenderOptions(agent_extras=True))
    assert render_config(example_a()) != render_config(example_a(), UPSTREAM)


def test_plan_is_structured_for_diffing() -> None:
    cfg = plan(example_b(), UPSTREAM)
    (policy,) = cfg.policies
    assert policy.route_map_in == "172.30.0.3-in" and policy.route_map_out == "172.30.0.3-out"
    assert [(pl.keyword, pl.name) for pl in policy.prefix_lists] == [
        ("ip", "172.30.0.3-10:100-ip-community-prefixes"),
        ("ip", "172.30.0.3-200-ip-localpref-prefixes"),
        ("ip", "172.30.0.3-allowed-ipv4"),
        ("ipv6", "172.30.0.3-allowed-ipv6"),
        ("ip", "172.30.0.3-inpl-ipv4"),
        ("ipv6", "172.30.0.3-inpl-ipv4"),
        ("ip", "172.30.0.3-denied-inpl-ipv4"),
    ]
    assert [(e.name, e.action, e.seq) for e in policy.route_map_entries][-1] == ("172.30.0.3-in", "permit", 8)
    (router,) = cfg.routers
    assert router.header == "router bgp 64512"
    assert [af.name for af in router.address_families] == ["ipv4 unicast"]
    hash(cfg)  # frozen all the way down: usable as a dict key / set member


def test_determinism() -> None:
    a, b = feature_node(), feature_node()
    assert a is not b and a == b
    assert render_config(a) == render_config(b)
    assert render_config(a) == render_config(a)


# --- property-based: random NodeConfigs keep the invariants -------------------------------------

_octet = st.integers(1, 254)
_v4 = st.builds(lambda a, b: f"10.{a}.{b}.1", _octet, _octet)
_v6 = st.builds(lambda a: f"2001:db8::{a:x}", st.integers(1, 0xFFFF))
_p4 = st.builds(lambda a, b: f"192.{a}.{b}.0/24", _octet, _octet)
_p6 = st.builds(lambda a: f"2001:db8:{a:x}::/48", st.integers(1, 0xFFFF))


@st.composite
def _neighbors(
    draw: st.DrawFn, vrf: str, router_prefixes: tuple[tuple[str, ...], tuple[str, ...]]
) -> Neighbor:
    family = draw(st.sampled_from(["ipv4", "ipv6", "dual"]))
    addr = draw(_v6 if family == "ipv6" else _v4)
    p4 = (
        tuple(sorted(draw(st.sets(st.sampled_from(router_prefixes[0])))))
        if router_prefixes[0] and family != "ipv6"
        else ()
    )
    p6 = (
        tuple(sorted(draw(st.sets(st.sampled_from(router_prefixes[1])))))
        if router_prefixes[1] and family != "ipv4"
        else ()
    )
    lps = []
    comms = []
    for fam, ps in (("ipv4", p4), ("ipv6", p6)):
        if ps and draw(st.booleans()):
            lps.append(LocalPref(draw(st.integers(0, 300)), fam, ps[:1]))  # type: ignore[arg-type]
        if ps and draw(st.booleans()):
            large = draw(st.booleans())
            value = "1:2:3" if large else f"{draw(st.integers(0, 65535))}:{draw(st.integers(0, 65535))}"
            comms.append(CommunityPrefixes(Community(value, large), fam, ps))  # type: ignore[arg-type]
    recv_all = draw(st.booleans())
    sel4 = (
        ()
        if recv_all
        else tuple(
            sorted({Selector(p, le=draw(st.sampled_from([0, 28]))) for p in draw(st.lists(_p4, max_size=3))})
        )
    )
    sel6 = () if recv_all else tuple(sorted({Selector(p) for p in draw(st.lists(_p6, max_size=2))}))
    return Neighbor(
        id=f"{addr}-{vrf}" if vrf else addr,
        peer=addr,
        family=family,
        remote_as=str(draw(st.integers(1, 70000))),  # type: ignore[arg-type]
        display_name=addr,
        address=addr,
        advertise=Advertise(prefixes_v4=p4, prefixes_v6=p6, local_prefs=tuple(lps), communities=tuple(comms)),
        receive=Receive(all=recv_all, selectors_v4=sel4, selectors_v6=sel6),
        address_families=draw(st.sampled_from([("unicast",), ("evpn", "unicast"), ("evpn",)])),
    )


@st.composite
def _nodes(draw: st.DrawFn) -> NodeConfig:
    routers = []
    for vrf in sorted(draw(st.sets(st.sampled_from(["", "blue", "red"]), min_size=1))):
        prefixes = (
            tuple(sorted(draw(st.sets(_p4, max_size=3)))),
            tuple(sorted(draw(st.sets(_p6, max_size=2)))),
        )
        by_id = {n.id: n for n in draw(st.lists(_neighbors(vrf, prefixes), max_size=4))}
        routers.append(
            Router(
                asn=65000,
                vrf=vrf,
                prefixes_v4=prefixes[0],
                prefixes_v6=prefixes[1],
                neighbors=tuple(by_id[k] for k in sorted(by_id)),
            )
        )
    block = draw(st.sampled_from([(), ("192.168.0.0/16",), ("fd00::/8",), ("192.168.0.0/16", "fd00::/8")]))
    return NodeConfig(hostname="h", always_block=block, routers=tuple(routers))


@settings(max_examples=60, deadline=None)
@given(_nodes(), st.booleans())
def test_random_nodes_keep_invariants(node: NodeConfig, extras: bool) -> None:
    options = RenderOptions(agent_extras=extras)
    text = render_config(node, options)
    assert check_invariants(text) == []
    assert all(line.strip() for line in text.splitlines())
    assert render_config(dataclasses.replace(node), options) == text


def test_scaled_node() -> None:
    text = render_config(scaled_node(neighbors=30, prefixes=20), UPSTREAM)
    assert check_invariants(text) == []
    assert text.count(" remote-as ") == 30
    assert text.count("-inpl-ipv4 seq ") == 30 * 21  # 20 selectors + the ipv6 `deny any`
