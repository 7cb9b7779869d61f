"""frr.policy: why a received route was not accepted, evaluated on rendered configs."""

from __future__ import annotations

from pl_helpers import build, config, neighbor, node, router

from frrnode.frr.policy import why_not_accepted
from frrnode.frr.render import render_config
from frrnode.frr.tree import Context, parse_config
from frrnode.pipeline import Settings

SETTINGS = Settings(node_name="node1", always_block=("10.201.0.0/16",))
PEER = "192.168.1.2"
RM = f"{PEER}-in"


def running(receive: dict[str, object]) -> Context:
    cfg = config("a", router(neighbor(toReceive={"allowed": receive}), asn=64512))
    return parse_config(render_config(build(cfg, node("node1"), settings=SETTINGS)))


def test_not_in_the_allowed_prefixes() -> None:
    root = running({"prefixes": [{"prefix": "10.100.0.0/24"}]})
    why = why_not_accepted(root, RM, "10.100.1.0/24", "64513", 64512)
    assert why.startswith(f"no entry of route-map {RM} permits it")
    assert (
        f"ip prefix-list {PEER}-inpl-ipv4 has no entry for it (not in the neighbor's toReceive.allowed)"
        in why
    )
    # The allowed one passes: nothing to explain by the filter.
    assert "accepts it" in why_not_accepted(root, RM, "10.100.0.0/24", "64513", 64512)


def test_always_block_entry_is_named() -> None:
    root = running({"mode": "all"})
    why = why_not_accepted(root, RM, "10.201.5.0/24", "64513", 64512)
    assert why == (
        f"denied by route-map {RM} deny 3 "
        f"(ip prefix-list {PEER}-denied-inpl-ipv4 seq 1 permit 10.201.0.0/16 le 32) (alwaysBlock)"
    )
    assert "accepts it" in why_not_accepted(root, RM, "10.200.0.0/24", "64513", 64512)


def test_ge_le_selectors() -> None:
    root = running({"prefixes": [{"prefix": "10.0.0.0/8", "ge": 24, "le": 26}]})
    assert "accepts it" in why_not_accepted(root, RM, "10.1.2.0/25", "64513", 64512)
    assert "no entry" in why_not_accepted(root, RM, "10.1.0.0/16", "64513", 64512)
    assert "no entry" in why_not_accepted(root, RM, "10.1.2.0/27", "64513", 64512)


def test_as_path_loop_comes_first() -> None:
    root = running({"mode": "all"})
    why = why_not_accepted(root, RM, "192.0.2.10/32", "64513 64512", 64512)
    assert why == "AS-path loop: the path (64513 64512) already holds this node's AS 64512, FRR drops it"
    assert "loop" not in why_not_accepted(root, RM, "192.0.2.10/32", "64513 645120", 64512)


def test_ipv6_and_missing_route_map() -> None:
    root = running({"prefixes": [{"prefix": "fd00:100::/64"}]})
    assert "accepts it" in why_not_accepted(root, RM, "fd00:100::/64", "64513", 64512)
    assert "ipv6 prefix-list" in why_not_accepted(root, RM, "fd00:101::/64", "64513", 64512)
    assert "does not exist" in why_not_accepted(root, "nope", "fd00:101::/64", "64513", 64512)
