"""IP allocation for Services of type LoadBalancer (spec §2.1): one rule per row, with ids."""

from __future__ import annotations

from typing import Any

import pytest
from mlb_helpers import mlb, parsed, pool, service

from frrnode.metallb.allocator import Allocation, allocate
from frrnode.metallb.resources import Settings
from frrnode.metallb.speaker import handles


def run(
    *docs: dict[str, Any], previous: dict[tuple[str, str], tuple[str, ...]] | None = None
) -> dict[str, Any]:
    config = parsed(*docs)
    res = mlb(*docs)
    services = [s for s in res.services if handles(s, Settings())]
    out = allocate(config.pools, services, previous or {})
    return {name: (a.ips if not a.error else a.error) for (_, name), a in out.items()}


NS_A = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"team": "a"}}}
DUAL = {"ipFamilies": ["IPv4", "IPv6"], "ipFamilyPolicy": "RequireDualStack"}

CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    ("first-free-ip", [pool("p", "192.0.2.0/30"), service("a")], {"a": ("192.0.2.0",)}),
    ("avoid-buggy-ips", [pool("p", "192.0.2.0/24", avoidBuggyIPs=True), service("a")], {"a": ("192.0.2.1",)}),
    (
        "range-pool",
        [pool("p", "192.0.2.10 - 192.0.2.11"), service("a"), service("b"), service("c")],
        {"a": ("192.0.2.10",), "b": ("192.0.2.11",), "c": "no available IPs"},
    ),
    (
        "auto-assign-false-skipped",
        [pool("a-manual", "192.0.2.0/30", autoAssign=False), pool("b", "198.51.100.0/30"), service("s")],
        {"s": ("198.51.100.0",)},
    ),
    (
        "requested-by-annotation",
        [pool("p", "192.0.2.0/24"), service("a", annotations={"metallb.io/loadBalancerIPs": "192.0.2.77"})],
        {"a": ("192.0.2.77",)},
    ),
    (
        "requested-legacy-annotation",
        [
            pool("p", "192.0.2.0/24"),
            service("a", annotations={"metallb.universe.tf/loadBalancerIPs": "192.0.2.7"}),
        ],
        {"a": ("192.0.2.7",)},
    ),
    (
        "requested-by-spec",
        [pool("p", "192.0.2.0/24"), service("a", loadBalancerIP="192.0.2.9")],
        {"a": ("192.0.2.9",)},
    ),
    (
        "requested-both-ways",
        [
            pool("p", "192.0.2.0/24"),
            service("a", loadBalancerIP="192.0.2.9", annotations={"metallb.io/loadBalancerIPs": "192.0.2.9"}),
        ],
        {"a": "spec.loadBalancerIP and the loadBalancerIPs annotation are mutually exclusive"},
    ),
    (
        "requested-outside-pools",
        [pool("p", "192.0.2.0/24"), service("a", loadBalancerIP="203.0.113.1")],
        {"a": "IPs 203.0.113.1 are not in one IPAddressPool"},
    ),
    (
        "requested-ip-taken",
        [
            pool("p", "192.0.2.0/24"),
            service("a", loadBalancerIP="192.0.2.9"),
            service("b", loadBalancerIP="192.0.2.9"),
        ],
        {
            "a": ("192.0.2.9",),
            "b": "IP 192.0.2.9 is already in use by another Service that does not share it",
        },
    ),
    (
        "requested-pool",
        [
            pool("p", "192.0.2.0/24"),
            pool("q", "198.51.100.0/24"),
            service("a", annotations={"metallb.io/address-pool": "q"}),
        ],
        {"a": ("198.51.100.0",)},
    ),
    (
        "requested-pool-without-auto-assign",
        [
            pool("q", "198.51.100.0/24", autoAssign=False),
            service("a", annotations={"metallb.io/address-pool": "q"}),
        ],
        {"a": ("198.51.100.0",)},
    ),
    (
        "requested-unknown-pool",
        [pool("p", "192.0.2.0/24"), service("a", annotations={"metallb.io/address-pool": "x"})],
        {"a": "unknown IPAddressPool 'x'"},
    ),
    (
        "dual-stack",
        [pool("p", "192.0.2.0/24", "fc00::/120"), service("a", **DUAL)],
        {"a": ("192.0.2.0", "fc00::")},
    ),
    (
        "dual-stack-v6-first",
        [
            pool("p", "192.0.2.0/24", "fc00::/120"),
            service("a", ipFamilies=["IPv6", "IPv4"], ipFamilyPolicy="RequireDualStack"),
        ],
        {"a": ("fc00::", "192.0.2.0")},
    ),
    (
        "require-dual-stack-v4-pool",
        [pool("p", "192.0.2.0/24"), service("a", **DUAL)],
        {"a": "no available IPs"},
    ),
    (
        "prefer-dual-stack-v4-pool",
        [pool("p", "192.0.2.0/24"), service("a", ipFamilies=["IPv4"], ipFamilyPolicy="PreferDualStack")],
        {"a": ("192.0.2.0",)},
    ),
    (
        "ipv6-single-stack",
        [pool("p", "192.0.2.0/24", "fc00::/120"), service("a", ipFamilies=["IPv6"])],
        {"a": ("fc00::",)},
    ),
    (
        "sharing-key-shares",
        [
            pool("p", "192.0.2.0/24"),
            service("a", annotations={"metallb.io/allow-shared-ip": "k"}, ports=[{"port": 80}]),
            service("b", annotations={"metallb.io/allow-shared-ip": "k"}, ports=[{"port": 443}]),
        ],
        {"a": ("192.0.2.0",), "b": ("192.0.2.0",)},
    ),
    (
        "sharing-needs-disjoint-ports",
        [
            pool("p", "192.0.2.0/24"),
            service("a", annotations={"metallb.io/allow-shared-ip": "k"}),
            service("b", annotations={"metallb.io/allow-shared-ip": "k"}),
        ],
        {"a": ("192.0.2.0",), "b": ("192.0.2.1",)},
    ),
    (
        "sharing-needs-same-key",
        [
            pool("p", "192.0.2.0/24"),
            service("a", annotations={"metallb.io/allow-shared-ip": "k"}, ports=[{"port": 80}]),
            service("b", annotations={"metallb.io/allow-shared-ip": "j"}, ports=[{"port": 443}]),
        ],
        {"a": ("192.0.2.0",), "b": ("192.0.2.1",)},
    ),
    (
        "priority-first",
        [
            pool("low", "192.0.2.0/24", serviceAllocation={"priority": 20}),
            pool("high", "198.51.100.0/24", serviceAllocation={"priority": 10}),
            service("a"),
        ],
        {"a": ("198.51.100.0",)},
    ),
    (
        "priority-zero-last-of-pinned",
        [
            pool("p0", "192.0.2.0/24", serviceAllocation={"priority": 0}),
            pool("p5", "198.51.100.0/24", serviceAllocation={"priority": 5}),
            service("a"),
        ],
        {"a": ("198.51.100.0",)},
    ),
    (
        "pinned-before-free",
        [
            pool("a-free", "192.0.2.0/24"),
            pool("z-pinned", "198.51.100.0/24", serviceAllocation={"namespaces": ["default"]}),
            service("a"),
        ],
        {"a": ("198.51.100.0",)},
    ),
    (
        "namespace-restricted",
        [pool("only-team-a", "192.0.2.0/24", serviceAllocation={"namespaces": ["team-a"]}), service("a")],
        {"a": "no available IPs"},
    ),
    (
        "namespace-selector",
        [
            NS_A,
            pool(
                "team",
                "192.0.2.0/24",
                serviceAllocation={"namespaceSelectors": [{"matchLabels": {"team": "a"}}]},
            ),
            pool("rest", "198.51.100.0/24"),
            service("x", namespace="team-a"),
            service("y"),
        ],
        {"x": ("192.0.2.0",), "y": ("198.51.100.0",)},
    ),
    (
        "service-selector",
        [
            pool(
                "web",
                "192.0.2.0/24",
                serviceAllocation={"serviceSelectors": [{"matchLabels": {"tier": "web"}}]},
            ),
            pool("rest", "198.51.100.0/24"),
            service("w", labels={"tier": "web"}),
            service("o"),
        ],
        {"w": ("192.0.2.0",), "o": ("198.51.100.0",)},
    ),
    (
        "restricted-pool-refuses-explicit-request",
        [
            pool("only-team-a", "192.0.2.0/24", serviceAllocation={"namespaces": ["team-a"]}),
            service("a", loadBalancerIP="192.0.2.5"),
        ],
        {"a": "IPAddressPool only-team-a does not serve this Service (serviceAllocation)"},
    ),
    ("not-loadbalancer-ignored", [pool("p", "192.0.2.0/24"), service("a", type="ClusterIP")], {}),
    ("other-lb-class-ignored", [pool("p", "192.0.2.0/24"), service("a", loadBalancerClass="other")], {}),
]


@pytest.mark.parametrize(("docs", "want"), [pytest.param(c[1], c[2], id=c[0]) for c in CASES])
def test_allocation(docs: list[dict[str, Any]], want: dict[str, Any]) -> None:
    assert run(*docs) == want


P = pool("p", "192.0.2.0/29")


def test_holders_keep_their_ips_whatever_the_order() -> None:
    """A restarted controller starts from the persisted status: `b` keeps .5 although `a`
    (first by name, new) would have been given .0 ... and the first free IP is still .0."""
    got = run(P, service("a"), service("b"), previous={("default", "b"): ("192.0.2.5",)})
    assert got == {"a": ("192.0.2.0",), "b": ("192.0.2.5",)}


def test_status_in_the_manifest_counts_as_held() -> None:
    config, res = (
        parsed(P, service("a"), service("b", ip="192.0.2.0")),
        mlb(P, service("a"), service("b", ip="192.0.2.0")),
    )
    from frrnode.metallb.allocator import previous_ips

    previous = {(s.metadata.namespace, s.metadata.name): previous_ips(s) for s in res.services}
    out = allocate(config.pools, res.services, previous)
    assert out[("default", "b")] == Allocation(("192.0.2.0",), "p")
    assert out[("default", "a")] == Allocation(("192.0.2.1",), "p")


def test_allocation_is_stable_when_services_come_and_go() -> None:
    first = run(P, service("a"), service("b"), service("c"))
    previous = {("default", k): v for k, v in first.items()}
    # `a` is deleted, `0new` sorts first: nobody else moves, the newcomer takes the freed .0.
    second = run(P, service("0new"), service("b"), service("c"), previous=previous)
    assert second == {"0new": ("192.0.2.0",), "b": first["b"], "c": first["c"]}


def test_held_ip_that_is_no_longer_allowed_moves() -> None:
    """Pool shrunk: the held IP is outside every pool, so the Service is given a new one."""
    got = run(pool("p", "192.0.2.0/30"), service("a"), previous={("default", "a"): ("192.0.2.6",)})
    assert got == {"a": ("192.0.2.0",)}


def test_prefer_dual_stack_gains_the_missing_family_from_the_same_pool() -> None:
    docs = [
        pool("p", "192.0.2.0/24", "fc00::/120"),
        service("a", ipFamilies=["IPv4"], ipFamilyPolicy="PreferDualStack"),
    ]
    got = run(*docs, previous={("default", "a"): ("192.0.2.9",)})
    assert got == {"a": ("192.0.2.9", "fc00::")}
