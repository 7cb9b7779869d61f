"""plan_delta's split of a batch: new prefix-list entries for bgpd alone, everything else (and
removals, and in-place replacements other daemons may hold) for every daemon, order kept."""

from __future__ import annotations

from frrnode.frr.delta import filters_used_outside_bgp, plan_config_delta, plan_delta
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


def test_a_delta_of_bgpd_lines_only_is_one_vtysh_call_to_bgpd() -> None:
    """A prefix change after a cold start (list entries and `network` lines) is one `vtysh -d
    bgpd -f`; with a route-map (any daemon may use it) the runs go as before."""
    from frrnode.frr.incremental import IncrementalApplier, _bgpd_only

    calls: list[tuple[str, str | None]] = []

    class Recorder:
        def configure(self, config: str | list[str], daemon: str | None = None) -> str:
            calls.append((config if isinstance(config, str) else "\n".join(config), daemon))
            return ""

    router = "router bgp 64512\n address-family ipv4 unicast\n  network {}\n exit-address-family\nexit\n"
    old = OLD + router.format("10.0.0.0/24")
    prefix_only = OLD.replace("seq 1 permit 10.0.0.0/24", "seq 1 permit 10.0.7.0/24") + router.format(
        "10.0.7.0/24"
    )
    new = NEW + router.format("10.0.5.0/24")
    applier = IncrementalApplier.__new__(IncrementalApplier)
    applier.plists_to_bgpd_only = True
    applier._batch_vtysh = Recorder()  # type: ignore[assignment]
    applier._send(plan_delta(parse_config(old), parse_config(prefix_only), False), parse_config(prefix_only))
    assert len(calls) == 1 and calls[0][1] == "bgpd" and "network 10.0.7.0/24" in calls[0][0]
    calls.clear()
    applier._send(plan_delta(parse_config(old), parse_config(new), False), parse_config(new))
    assert len(calls) > 1 and any(daemon is None for _, daemon in calls)
    assert _bgpd_only(["router bgp 64512 vrf red", " neighbor 10.0.0.1 remote-as 64513", "exit"])
    assert not _bgpd_only(["route-map RM permit 1", " match ip address prefix-list A", "exit"])


def test_prefix_changes_are_checked_without_vtysh_and_nothing_else_is() -> None:
    from frrnode.frr.incremental import prefix_change

    lines = [
        "ip prefix-list 172.30.10.1-allowed-ipv4 seq 501 permit 198.18.5.0/32",
        "no ipv6 prefix-list 172.30.10.1-allowed-ipv6 seq 7 permit 2001:db8::/64",
        "router bgp 64512 vrf red",
        " address-family ipv4 unicast",
        "  no network 198.18.5.1/32",
        "  network 198.18.5.0/32",
        " exit-address-family",
        "exit",
    ]
    assert prefix_change(lines)
    for bad in (
        "ip prefix-list A seq 1 permit 10.0.0.1/24",  # host bits: FRR decides (dry run)
        "ip prefix-list A seq 1 permit 2001:db8::/64",  # family
        "ip prefix-list A seq 1 permit 10.0.0.0/8 le 24",
        "route-map RM permit 1",
        " neighbor 10.0.0.1 remote-as 65001",
    ):
        assert not prefix_change([*lines[:6], bad]), bad
    assert not prefix_change(["router bgp 1", "  network 10.0.0.0/8"])  # outside an address family
    assert not prefix_change(["router bgp 1", " address-family ipv6 unicast", "  network 10.0.0.0/8"])
