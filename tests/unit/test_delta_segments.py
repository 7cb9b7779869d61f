"""plan_delta's split of a batch: new prefix-list entries for bgpd alone, everything else (and
removals, and in-place replacements other daemons may hold) for every daemon, order kept."""

from __future__ import annotations

from frrnode.frr.incremental import filters_used_outside_bgp, plan_config_delta, plan_delta
from frrnode.frr.tree import parse_config

OLD = """\
ip prefix-list A seq 1 permit 10.0.0.0/24
ip prefix-list A seq 2 permit 10.0.1.0/24
ip prefix-list GONE seq 1 permit 10.9.0.0/24
route-map RM permit 1
 match ip address prefix-list A
"""
NEW = """\
ip prefix-list A seq 1 permit 10.0.5.0/24
ip prefix-list A seq 3 permit 10.0.3.0/24
ip prefix-list B seq 1 permit 10.1.0.0/24
route-map RM permit 1
 match ip address prefix-list A
route-map RM permit 2
 match ip address prefix-list B
"""


def test_segments_hold_the_same_commands_in_the_same_order() -> None:
    delta = plan_config_delta(OLD, NEW)
    assert [line for _, lines in delta.segments for line in lines] == list(delta.commands)


def test_new_entries_go_to_bgpd_alone_removals_and_in_place_replacements_everywhere() -> None:
    delta = plan_delta(parse_config(OLD), parse_config(NEW), plists_elsewhere=True)
    bgpd = [line for only, lines in delta.segments if only for line in lines]
    every = [line for only, lines in delta.segments if not only for line in lines]
    assert bgpd == ["ip prefix-list A seq 3 permit 10.0.3.0/24", "ip prefix-list B seq 1 permit 10.1.0.0/24"]
    assert "ip prefix-list A seq 1 permit 10.0.5.0/24" in every  # zebra may hold seq 1: replace it there too
    assert "no ip prefix-list A seq 2 permit 10.0.1.0/24" in every
    assert "no ip prefix-list GONE" in every
    # Entry removals come before the new entries (which may take their values).
    where = [
        i
        for i, (_, lines) in enumerate(delta.segments)
        if "no ip prefix-list A seq 2 permit 10.0.1.0/24" in lines
    ]
    assert where and where[0] < next(i for i, (only, _) in enumerate(delta.segments) if only)


def test_when_only_bgpd_holds_prefix_lists_replacements_go_to_bgpd_alone() -> None:
    delta = plan_delta(parse_config(OLD), parse_config(NEW), plists_elsewhere=False)
    bgpd = [line for only, lines in delta.segments if only for line in lines]
    assert "ip prefix-list A seq 1 permit 10.0.5.0/24" in bgpd
    every = [line for only, lines in delta.segments if not only for line in lines]
    assert not any(line.startswith("ip prefix-list") for line in every)


def test_zebra_route_map_bindings_and_unmodelled_contexts_need_every_daemon() -> None:
    assert not filters_used_outside_bgp(parse_config(NEW))
    assert filters_used_outside_bgp(parse_config(NEW + "ip protocol bgp route-map RM\n"))
    assert filters_used_outside_bgp(parse_config(NEW + "vrf red\n ip protocol bgp route-map RM\nexit-vrf\n"))
    assert filters_used_outside_bgp(parse_config(NEW + "router ospf\n network 10.0.0.0/8 area 0\nexit\n"))
