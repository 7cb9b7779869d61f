"""Property tests: any mix of valid, invalid and hostile field values either builds a NodeConfig whose
every string is a single safe token, or fails with ConfigErrors (never another exception), and the
result never depends on the order objects are listed in."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pl_helpers import SETTINGS, config, dump

from frrnode.api.loader import load_documents
from frrnode.errors import ConfigErrors
from frrnode.model import NodeConfig, RawSnippet
from frrnode.pipeline import build_node_config

HOSTILE = ["x\n  neighbor 1.2.3.4 remote-as 1", "x route-map evil", "", " ", "\t", "a\x00", "é", "a" * 300]
GOOD_ADDRESSES = ["192.168.1.2", "192.168.1.3", "2001:db8::1", "::ffff:10.0.0.1"]
BAD_ADDRESSES = ["fe80::1%eth0", "10.0.0.256"]
GOOD_PREFIXES = ["192.169.1.0/24", "192.169.1.1/24", "2001:db8:1::/64"]
BAD_PREFIXES = ["10.0.0.0/33", "::ffff:1.2.3.0/120"]
GOOD_NAMES = ["eth0", "red", "blue"]
BAD_NAMES = ["a-very-long-interface-name", "a/b"]
GOOD_DURATIONS = ["0s", "3s", "90s", "180s", "60s", "1m30s", "500ms"]
GOOD_INTS = [1, 179, 180, 65000, 65001, 4294967295, 16384]


def _plausible(n: dict[str, Any]) -> dict[str, Any]:
    """Satisfy the field-combination rules (R11, R13, R15, R12) so that many examples build."""
    n = dict(n)
    n.pop("interface", None)
    n.pop("bfdProfile", None)
    n.setdefault("address", "192.168.1.2")
    if "dynamicASN" in n:
        n.pop("asn", None)
    else:
        n.setdefault("asn", 65001)
    if ("holdTime" in n) != ("keepaliveTime" in n):
        n.pop("holdTime", None)
        n.pop("keepaliveTime", None)
    return n


def strategy(hostile: bool) -> st.SearchStrategy[list[list[dict[str, Any]]]]:
    """Configurations from value pools: with `hostile`, every field may also be junk."""
    extra = HOSTILE if hostile else []
    addresses = [*GOOD_ADDRESSES, *(BAD_ADDRESSES if hostile else []), *extra]
    prefixes = [*GOOD_PREFIXES, *(BAD_PREFIXES if hostile else []), *extra]
    names = [*GOOD_NAMES, *(BAD_NAMES if hostile else []), *extra]
    durations = GOOD_DURATIONS + (["2s", "70000s", "x"] if hostile else [])
    ints = GOOD_INTS + ([0, 16385, -1, 4294967296] if hostile else [])

    lengths = [8, 24, 28, 32, 64, *(ints if hostile else [])]

    def value(pool: list[Any]) -> st.SearchStrategy[Any]:
        return st.sampled_from(pool)

    neighbor = st.fixed_dictionaries(
        {},
        optional={
            "address": value(addresses),
            "interface": value(names),
            "asn": value(ints),
            "dynamicASN": value(["internal", "external", *(["bogus"] if hostile else [])]),
            "port": value([179, 180, 16384, *(ints if hostile else [])]),
            "sourceaddress": value(addresses + names),
            "password": value(["pw", *(["p w"] if hostile else []), *extra]),
            "holdTime": value(durations),
            "keepaliveTime": value(durations),
            "connectTime": value(["1s", "5s", "60s", *(durations if hostile else [])]),
            "ebgpMultiHop": st.booleans(),
            "bfdProfile": value(["p", *extra]),
            "enableGracefulRestart": st.booleans(),
            "dualStackAddressFamily": st.booleans(),
            "localASN": value(ints),
            "addressFamilies": st.lists(value(["unicast", "evpn"]), max_size=2, unique=True),
            "toAdvertise": st.fixed_dictionaries(
                {},
                optional={
                    "allowed": st.fixed_dictionaries(
                        {},
                        optional={
                            "mode": value(["all", "filtered"]),
                            "prefixes": st.lists(value(prefixes), max_size=3),
                        },
                    ),
                    "nextHop": st.fixed_dictionaries(
                        {}, optional={"ipv4": value(addresses), "ipv6": value(addresses)}
                    ),
                    "withCommunity": st.lists(
                        st.fixed_dictionaries(
                            {
                                "community": value(["65000:1", "large:1:2:3", "65536:1", *HOSTILE]),
                                "prefixes": st.lists(value(prefixes), min_size=1, max_size=2),
                            }
                        ),
                        max_size=2,
                    ),
                    "withLocalPref": st.lists(
                        st.fixed_dictionaries(
                            {
                                "localPref": value(ints),
                                "prefixes": st.lists(value(prefixes), min_size=1, max_size=2),
                            }
                        ),
                        max_size=2,
                    ),
                },
            ),
            "toReceive": st.fixed_dictionaries(
                {
                    "allowed": st.fixed_dictionaries(
                        {},
                        optional={
                            "mode": value(["all", "filtered"]),
                            "prefixes": st.lists(
                                st.fixed_dictionaries(
                                    {"prefix": value(prefixes)},
                                    optional={"le": value(lengths), "ge": value(lengths)},
                                ),
                                max_size=2,
                            ),
                        },
                    )
                }
            ),
        },
    )
    if not hostile:
        neighbor = neighbor.map(_plausible)
    router = st.fixed_dictionaries(
        {
            "asn": value([65000, 65001, *([0] if hostile else [])]),
            "neighbors": st.lists(neighbor, max_size=3),
        },
        optional={
            "vrf": value(names),
            "id": value(["1.1.1.1", "2.2.2.2", *(addresses if hostile else [])]),
            "prefixes": st.lists(value(prefixes), max_size=3),
            "imports": st.lists(st.fixed_dictionaries({"vrf": value(["default", *names])}), max_size=1),
        },
    )
    return st.lists(st.lists(router, min_size=1, max_size=2), min_size=1, max_size=3)


def _strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, RawSnippet):
        return []
    if dataclasses.is_dataclass(obj):
        return [s for f in dataclasses.fields(obj) for s in _strings(getattr(obj, f.name))]
    if isinstance(obj, tuple | list):
        return [s for item in obj for s in _strings(item)]
    return []


def _build(docs: list[dict[str, Any]]) -> NodeConfig | None:
    try:
        return build_node_config(load_documents(dump(*docs)), SETTINGS)
    except ConfigErrors as exc:
        assert exc.errors
        return None


def _check(routers_per_object: list[list[dict[str, Any]]]) -> NodeConfig | None:
    docs = [config(f"c{i}", *routers) for i, routers in enumerate(routers_per_object)]
    result = _build(docs)
    if result is None:
        return None
    for text in _strings(result):
        assert text.isascii() and text.isprintable() and " " not in text, repr(text)
    assert _build(docs[::-1]) == result
    return result


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategy(hostile=True))
def test_hostile_values_build_safe_or_fail_cleanly(routers_per_object: list[list[dict[str, Any]]]) -> None:
    _check(routers_per_object)


BUILT: list[bool] = []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategy(hostile=False))
def test_plausible_values_build_safe_or_fail_cleanly(routers_per_object: list[list[dict[str, Any]]]) -> None:
    BUILT.append(_check(routers_per_object) is not None)


def test_plausible_values_often_build() -> None:
    # Guards the property above against vacuity: a fair share of examples must build.
    if not BUILT:
        test_plausible_values_build_safe_or_fail_cleanly()
    assert sum(BUILT) >= len(BUILT) // 10, (sum(BUILT), len(BUILT))
