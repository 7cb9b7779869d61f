"""Config tree parser and the incremental differ (pure: no FRR needed)."""

from __future__ import annotations

import pytest

from frrnode.frr.delta import PeerRef, UnsupportedChange, plan_config_delta, replace_key
from frrnode.frr.tree import parse_config

RENDERED = """\
log stdout informational
log timestamp precision 3
ip prefix-list 10.0.0.2-allowed-ipv4 seq 1 permit 192.0.2.0/24
ipv6 prefix-list 10.0.0.2-allowed-ipv6 seq 1 deny any
route-map 10.0.0.2-out permit 1
  match ip address prefix-list 10.0.0.2-allowed-ipv4
route-map 10.0.0.2-out permit 2
  match ipv6 address prefix-list 10.0.0.2-allowed-ipv6
ip prefix-list 10.0.0.2-inpl-ipv4 seq 1 permit 10.100.0.0/16 le 24 ge 20
ipv6 prefix-list 10.0.0.2-inpl-ipv4 seq 2 deny any
route-map 10.0.0.2-in permit 3
  match ip address prefix-list 10.0.0.2-inpl-ipv4
route-map 10.0.0.2-in permit 4
  match ipv6 address prefix-list 10.0.0.2-inpl-ipv4
router bgp 64512
  no bgp ebgp-requires-policy
  no bgp default ipv4-unicast
  neighbor 10.0.0.2 remote-as 64513
  neighbor 10.0.0.2 timers 1 3
  address-family ipv4 unicast
    neighbor 10.0.0.2 activate
    neighbor 10.0.0.2 route-map 10.0.0.2-in in
    neighbor 10.0.0.2 route-map 10.0.0.2-out out
  exit-address-family
  address-family ipv4 unicast
    network 192.0.2.0/24
  exit-address-family
"""

# The same configuration as FRR 8.4 prints it (`show running-config`).
RUNNING = """\
Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
log stdout informational
log timestamp precision 3
!
ip prefix-list 10.0.0.2-allowed-ipv4 seq 1 permit 192.0.2.0/24
ip prefix-list 10.0.0.2-inpl-ipv4 seq 1 permit 10.100.0.0/16 ge 20 le 24
!
ipv6 prefix-list 10.0.0.2-allowed-ipv6 seq 1 deny any
ipv6 prefix-list 10.0.0.2-inpl-ipv4 seq 2 deny any
!
router bgp 64512
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 10.0.0.2 remote-as 64513
 neighbor 10.0.0.2 timers 1 3
 !
 address-family ipv4 unicast
  network 192.0.2.0/24
  neighbor 10.0.0.2 activate
  neighbor 10.0.0.2 route-map 10.0.0.2-in in
  neighbor 10.0.0.2 route-map 10.0.0.2-out out
 exit-address-family
exit
!
route-map 10.0.0.2-out permit 1
 match ip address prefix-list 10.0.0.2-allowed-ipv4
exit
!
route-map 10.0.0.2-out permit 2
 match ipv6 address prefix-list 10.0.0.2-allowed-ipv6
exit
!
route-map 10.0.0.2-in permit 3
 match ip address prefix-list 10.0.0.2-inpl-ipv4
exit
!
route-map 10.0.0.2-in permit 4
 match ipv6 address prefix-list 10.0.0.2-inpl-ipv4
exit
!
end
"""


def delta(old: str, new: str) -> list[str]:
    return [c.strip() for c in plan_config_delta(old, new).commands]


# ---------------------------------------------------------------------------------- parser


def test_rendered_and_running_config_parse_to_the_same_tree() -> None:
    rendered, running = parse_config(RENDERED), parse_config(RUNNING)
    assert rendered == running
    assert plan_config_delta(RENDERED, RUNNING).empty


def test_tree_structure() -> None:
    tree = parse_config(RENDERED)
    assert list(tree.children) == [
        "route-map 10.0.0.2-out permit 1",
        "route-map 10.0.0.2-out permit 2",
        "route-map 10.0.0.2-in permit 3",
        "route-map 10.0.0.2-in permit 4",
        "router bgp 64512",
    ]
    router = tree.children["router bgp 64512"]
    # The two `address-family ipv4 unicast` blocks merged into one.
    assert list(router.children) == ["address-family ipv4 unicast"]
    assert list(router.children["address-family ipv4 unicast"].lines) == [
        "neighbor 10.0.0.2 activate",
        "neighbor 10.0.0.2 route-map 10.0.0.2-in in",
        "neighbor 10.0.0.2 route-map 10.0.0.2-out out",
        "network 192.0.2.0/24",
    ]
    # Prefix-lists are top-level lines, `le`/`ge` normalized to FRR's order.
    assert "ip prefix-list 10.0.0.2-inpl-ipv4 seq 1 permit 10.100.0.0/16 ge 20 le 24" in tree.lines


def test_headers_and_version_lines_are_ignored() -> None:
    tree = parse_config(RUNNING)
    assert not any(line.startswith(("frr ", "Building", "Current", "!", "end")) for line in tree.lines)


def test_flat_raw_snippet_stays_in_its_context() -> None:
    # Raw snippets may be written without indentation: vtysh keeps such lines in the block.
    raw = "router bgp 64512\nneighbor 10.0.0.9 remote-as 65000\naddress-family ipv4 unicast\n"
    raw += "network 198.51.100.0/24\nexit-address-family\nbgp router-id 1.2.3.4\nexit\nlog syslog\n"
    tree = parse_config(raw)
    router = tree.children["router bgp 64512"]
    assert list(router.lines) == ["neighbor 10.0.0.9 remote-as 65000", "bgp router-id 1.2.3.4"]
    assert list(router.children["address-family ipv4 unicast"].lines) == ["network 198.51.100.0/24"]
    assert list(tree.lines) == ["log syslog"]


def test_top_level_line_closes_a_block_without_exit() -> None:
    tree = parse_config(
        "route-map A permit 1\n match ip address prefix-list L\nip prefix-list L seq 1 permit any\n"
    )
    assert list(tree.lines) == ["ip prefix-list L seq 1 permit any"]
    assert list(tree.children["route-map A permit 1"].lines) == ["match ip address prefix-list L"]


def test_nested_bfd_and_evpn_blocks() -> None:
    text = (
        "bfd\n profile fast\n  receive-interval 100\n exit\nexit\n"
        "router bgp 1\n address-family l2vpn evpn\n  vni 10\n   rd 1:10\n  exit-vni\n  advertise-all-vni\n"
        " exit-address-family\nexit\n"
    )
    tree = parse_config(text)
    assert list(tree.children["bfd"].children["profile fast"].lines) == ["receive-interval 100"]
    evpn = tree.children["router bgp 1"].children["address-family l2vpn evpn"]
    assert list(evpn.lines) == ["advertise-all-vni"]
    assert list(evpn.children["vni 10"].lines) == ["rd 1:10"]
    # to_text round-trips.
    assert parse_config(tree.to_text()) == tree


def test_normalizes_host_bits_and_whitespace() -> None:
    tree = parse_config(
        "ip prefix-list L seq 5  permit 10.1.1.1/24\nrouter bgp 1\n address-family ipv4 unicast\n"
        "  network 10.2.2.2/16\n exit-address-family\n"
    )
    assert "ip prefix-list L seq 5 permit 10.1.1.0/24" in tree.lines
    af = tree.children["router bgp 1"].children["address-family ipv4 unicast"]
    assert list(af.lines) == ["network 10.2.0.0/16"]


# ---------------------------------------------------------------------------------- differ


def big_list(n: int, changed: int | None = None) -> str:
    lines = []
    for i in range(1, n + 1):
        third = 2 * i + (1 if i == changed else 0)
        lines.append(f"ip prefix-list N-allowed-ipv4 seq {i} permit 10.{third // 256}.{third % 256}.0/24")
    return "\n".join(lines) + "\nroute-map N-out permit 1\n match ip address prefix-list N-allowed-ipv4\n"


def test_one_changed_prefix_in_a_1000_entry_list_touches_only_that_entry() -> None:
    old, new = big_list(1000), big_list(1000, changed=500)
    # Replaced in place at its seq: one command.
    assert delta(old, new) == ["ip prefix-list N-allowed-ipv4 seq 500 permit 10.3.233.0/24"]


def test_shifted_entries_are_removed_before_re_adding() -> None:
    # Inserting a prefix shifts later entries to the next seq. FRR silently ignores an entry
    # whose value still sits at another seq, so the old entries must go first.
    old = "ip prefix-list L seq 1 permit 10.0.1.0/24\nip prefix-list L seq 2 permit 10.0.3.0/24\n"
    new = "ip prefix-list L seq 1 permit 10.0.1.0/24\nip prefix-list L seq 2 permit 10.0.2.0/24\n"
    new += "ip prefix-list L seq 3 permit 10.0.3.0/24\n"
    assert delta(old, new) == [
        "no ip prefix-list L seq 2 permit 10.0.3.0/24",
        "ip prefix-list L seq 2 permit 10.0.2.0/24",
        "ip prefix-list L seq 3 permit 10.0.3.0/24",
    ]
    # A shrinking list: the last seq goes.
    assert delta(new, old) == [
        "no ip prefix-list L seq 2 permit 10.0.2.0/24",
        "no ip prefix-list L seq 3 permit 10.0.3.0/24",
        "ip prefix-list L seq 2 permit 10.0.3.0/24",
    ]


def test_identical_config_gives_an_empty_delta() -> None:
    assert plan_config_delta(big_list(100), big_list(100)).empty


def test_removed_neighbor_is_deleted_as_a_whole_object() -> None:
    new = "\n".join(
        line
        for line in RENDERED.splitlines()
        if "10.0.0.2" not in line or line.startswith(("route-map", "ip", "  match"))
    )
    cmds = delta(RENDERED, new)
    assert "no neighbor 10.0.0.2" in cmds
    # No per-line deletes of the removed neighbor's settings (they would fail after `no neighbor`).
    assert not [c for c in cmds if c.startswith("no neighbor 10.0.0.2 ")]


def test_removed_policy_objects_are_deleted_whole_after_the_router() -> None:
    new = "router bgp 64512\n no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n"
    cmds = delta(RENDERED, new)
    assert cmds.index("no neighbor 10.0.0.2") < cmds.index("no route-map 10.0.0.2-out")
    assert cmds.index("no route-map 10.0.0.2-in") < cmds.index("no ip prefix-list 10.0.0.2-inpl-ipv4")
    assert "no ipv6 prefix-list 10.0.0.2-inpl-ipv4" in cmds
    assert "no route-map 10.0.0.2-out permit 1" not in cmds  # whole route-map, one command
    assert "no address-family ipv4 unicast" not in cmds
    i = cmds.index("no network 192.0.2.0/24")  # inside the AF block
    assert cmds[i - 1] == "address-family ipv4 unicast" and cmds[i + 1] == "exit-address-family"


def test_route_map_swap_and_remote_as_change_replace_without_no() -> None:
    new = RENDERED.replace("route-map 10.0.0.2-in in", "route-map OTHER in").replace(
        "remote-as 64513", "remote-as 64999"
    )
    cmds = delta(RENDERED, new)
    assert "neighbor 10.0.0.2 route-map OTHER in" in cmds
    assert "neighbor 10.0.0.2 remote-as 64999" in cmds
    assert not [c for c in cmds if c.startswith("no ")]


def test_added_things_come_in_dependency_order() -> None:
    new = RENDERED + (
        "ip prefix-list 10.0.0.3-inpl-ipv4 seq 1 permit any\n"
        "route-map 10.0.0.3-in permit 1\n match ip address prefix-list 10.0.0.3-inpl-ipv4\n"
        "route-map 10.0.0.3-in permit 2\n match ip address prefix-list 10.0.0.3-inpl-ipv4\n"
        "router bgp 64512\n neighbor 10.0.0.3 remote-as 65000\n address-family ipv4 unicast\n"
        "  neighbor 10.0.0.3 activate\n  neighbor 10.0.0.3 route-map 10.0.0.3-in in\n exit-address-family\n"
    )
    d = plan_config_delta(RENDERED, new)
    cmds = [c.strip() for c in d.commands]
    assert cmds.index("ip prefix-list 10.0.0.3-inpl-ipv4 seq 1 permit any") < cmds.index(
        "route-map 10.0.0.3-in permit 1"
    )
    assert cmds.index("route-map 10.0.0.3-in permit 2") < cmds.index("router bgp 64512")
    assert cmds.index("neighbor 10.0.0.3 remote-as 65000") < cmds.index("neighbor 10.0.0.3 activate")
    # Consecutive route-map entries without `exit` between them (FRR#15706), one exit after.
    i = cmds.index("route-map 10.0.0.3-in permit 1")
    assert cmds[i : i + 5] == [
        "route-map 10.0.0.3-in permit 1",
        "match ip address prefix-list 10.0.0.3-inpl-ipv4",
        "route-map 10.0.0.3-in permit 2",
        "match ip address prefix-list 10.0.0.3-inpl-ipv4",
        "exit",
    ]
    # A new neighbor needs no soft refresh.
    assert d.soft_in == () and d.soft_out == ()


def test_inbound_prefix_list_change_soft_clears_only_inbound_of_that_neighbor() -> None:
    new = RENDERED.replace("10.100.0.0/16 le 24 ge 20", "10.100.0.0/16 le 25 ge 20")
    d = plan_config_delta(RENDERED, new)
    assert d.soft_in == (PeerRef("", "10.0.0.2"),)
    assert d.soft_out == ()
    assert d.clear_commands() == ["clear bgp 10.0.0.2 soft in"]
    out = plan_config_delta(
        RENDERED, RENDERED.replace("seq 1 permit 192.0.2.0/24", "seq 1 permit 192.0.3.0/24")
    )
    assert out.soft_out == (PeerRef("", "10.0.0.2"),) and out.soft_in == ()


def test_vrf_neighbor_soft_clear_names_the_vrf() -> None:
    old = "ip prefix-list P seq 1 deny any\nroute-map R permit 1\n match ip address prefix-list P\n"
    old += "router bgp 1 vrf red\n neighbor 10.0.0.2 remote-as 2\n address-family ipv4 unicast\n"
    old += "  neighbor 10.0.0.2 route-map R in\n exit-address-family\nexit\n"
    d = plan_config_delta(old, old.replace("deny any", "permit any"))
    assert d.clear_commands() == ["clear bgp vrf red 10.0.0.2 soft in"]


def test_bfd_removal_deletes_profile_before_flag_and_profile_after_router() -> None:
    old = (
        RENDERED.replace(
            "  neighbor 10.0.0.2 timers 1 3\n",
            "  neighbor 10.0.0.2 timers 1 3\n  neighbor 10.0.0.2 bfd\n  neighbor 10.0.0.2 bfd profile fast\n",
        )
        + "bfd\n profile fast\n  receive-interval 100\n exit\nexit\n"
    )
    cmds = delta(old, RENDERED)
    # `no neighbor X bfd` first would be undone by `no neighbor X bfd profile` (lab README §4).
    assert cmds.index("no neighbor 10.0.0.2 bfd profile fast") < cmds.index("no neighbor 10.0.0.2 bfd")
    # The whole block goes (bfdd keeps an empty `bfd` node otherwise), after the router.
    assert cmds.index("no neighbor 10.0.0.2 bfd") < cmds.index("no bfd")
    # With another profile left, only the removed profile goes, still after the router.
    slow = " profile slow\n  transmit-interval 200\n exit\n"
    old2 = old.replace(" exit\nexit\n", " exit\n" + slow + "exit\n")
    cmds = delta(old2, RENDERED + "bfd\n" + slow + "exit\n")
    assert cmds.index("no neighbor 10.0.0.2 bfd") < cmds.index("no profile fast")
    assert "no bfd" not in cmds
    # And adding it back puts the profile before the neighbor references it.
    back = delta(RENDERED, old)
    assert back.index("profile fast") < back.index("neighbor 10.0.0.2 bfd profile fast")


def test_vrf_router_removal_and_asn_change() -> None:
    vrf = "router bgp 64512 vrf red\n neighbor 10.0.0.9 remote-as 1\nexit\n"
    assert delta(RENDERED + vrf, RENDERED)[-1] == "no router bgp 64512 vrf red"
    with pytest.raises(UnsupportedChange, match="ASN"):
        plan_config_delta(RENDERED, RENDERED.replace("router bgp 64512", "router bgp 64599"))
    with pytest.raises(UnsupportedChange, match="default router"):
        plan_config_delta(RENDERED + vrf, vrf)


def test_unmodelled_context_change_needs_the_fallback() -> None:
    base = RENDERED + "interface eth0\n description a\nexit\n"
    assert plan_config_delta(base, base).empty
    with pytest.raises(UnsupportedChange, match="interface eth0"):
        plan_config_delta(base, base.replace("description a", "description b"))


def test_route_map_action_change_rebuilds_the_entry() -> None:
    cmds = delta(RENDERED, RENDERED.replace("route-map 10.0.0.2-in permit 3", "route-map 10.0.0.2-in deny 3"))
    assert cmds[:3] == [
        "no route-map 10.0.0.2-in permit 3",
        "route-map 10.0.0.2-in deny 3",
        "match ip address prefix-list 10.0.0.2-inpl-ipv4",
    ]


def test_negated_defaults_are_restored_by_dropping_no() -> None:
    cmds = delta(RENDERED, RENDERED.replace("  no bgp default ipv4-unicast\n", ""))
    assert cmds == ["router bgp 64512", "bgp default ipv4-unicast", "exit"]


def test_replace_key() -> None:
    assert replace_key("neighbor 1.2.3.4 route-map X in") == "neighbor 1.2.3.4 route-map in"
    assert replace_key("neighbor eth0 interface remote-as external") == "neighbor eth0 remote-as"
    assert replace_key("neighbor 1.2.3.4 timers connect 5") == "neighbor 1.2.3.4 timers connect"
    assert replace_key("neighbor 1.2.3.4 timers 1 3") == "neighbor 1.2.3.4 timers"
    assert replace_key("neighbor 1.2.3.4 activate") is None


def test_ipv6_prefixes_are_normalized_too() -> None:
    tree = parse_config(
        "ipv6 prefix-list L seq 1 permit 2001:db8::1/32\nipv6 prefix-list L seq 2 permit 2001:DB8::1/128\n"
    )
    assert list(tree.lines) == [
        "ipv6 prefix-list L seq 1 permit 2001:db8::/32",
        "ipv6 prefix-list L seq 2 permit 2001:db8::1/128",
    ]
