"""No string of the API may smuggle an FRR command into the rendered config.

For every string field that can reach FRR (and the agent settings that do), the field is
first given a valid value (the object must build: this proves the harness is sound), then
values that embed a newline or an extra keyword. Each must be refused. `raw.rawConfig` is
the one documented free-text field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pl_helpers import GV, NS, SETTINGS, build, config, errors_of, neighbor, router, secret

from frrnode.pipeline import Settings

N, R, C = neighbor, router, config
V4, V6 = "192.169.1.0/24", "2001:db8:1::/64"
Docs = list[dict[str, Any]]


def _evpn(**fields: Any) -> Docs:
    return [C("a", R(N(addressFamilies=["evpn"]), evpn={"advertiseVNIs": "All", **fields}))]


def _l2(**fields: Any) -> Docs:
    return _evpn(l2vnis=[{"vni": 10, **fields}])


def _adv(**fields: Any) -> Docs:
    return [C("a", R(N(dualStackAddressFamily=True, toAdvertise=fields), prefixes=[V4, V6]))]


# field id -> (valid value, docs for a value)
FIELDS: dict[str, tuple[str, Callable[[str], Docs]]] = {
    "metadata.name": ("a", lambda v: [C(v, R(N()))]),
    "router.id": ("1.1.1.1", lambda v: [C("a", R(N(), id=v))]),
    "router.vrf": ("red", lambda v: [C("a", R(N(), vrf=v))]),
    "router.prefixes": (V4, lambda v: [C("a", R(N(), prefixes=[v]))]),
    "router.imports.vrf": ("red", lambda v: [C("a", R(imports=[{"vrf": v}]), R(vrf=v))]),
    "neighbor.address": ("192.168.1.2", lambda v: [C("a", R(N(address=v)))]),
    "neighbor.interface": ("eth0", lambda v: [C("a", R(N(address=None, interface=v)))]),
    "neighbor.sourceaddress": ("10.0.0.1", lambda v: [C("a", R(N(sourceaddress=v)))]),
    "neighbor.sourceaddress-iface": ("eth0", lambda v: [C("a", R(N(sourceaddress=v)))]),
    "neighbor.password": ("pw", lambda v: [C("a", R(N(password=v)))]),
    "secret.data.password": ("pw", lambda v: [C("a", R(N(passwordSecret={"name": "s"}))), secret("s", v)]),
    "secret.stringData.password": (
        "pw",
        lambda v: [
            C("a", R(N(passwordSecret={"name": "s"}))),
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s", "namespace": NS},
                "type": "kubernetes.io/basic-auth",
                "stringData": {"password": v},
            },
        ],
    ),
    "neighbor.passwordSecret.name": ("s", lambda v: [C("a", R(N(passwordSecret={"name": v}))), secret("s")]),
    "neighbor.bfdProfile": ("p", lambda v: [C("a", R(N(bfdProfile=v)), bfd=[{"name": v}])]),
    "neighbor.dynamicASN": ("external", lambda v: [C("a", R(N(asn=None, dynamicASN=v)))]),
    "neighbor.holdTime": ("90s", lambda v: [C("a", R(N(holdTime=v, keepaliveTime="30s")))]),
    "neighbor.keepaliveTime": ("30s", lambda v: [C("a", R(N(holdTime="90s", keepaliveTime=v)))]),
    "neighbor.connectTime": ("5s", lambda v: [C("a", R(N(connectTime=v)))]),
    "neighbor.addressFamilies": ("unicast", lambda v: [C("a", R(N(addressFamilies=[v])))]),
    "advertise.allowed.mode": ("all", lambda v: _adv(allowed={"mode": v})),
    "advertise.allowed.prefixes": (V4, lambda v: _adv(allowed={"prefixes": [v]})),
    "advertise.nextHop.ipv4": ("10.1.1.1", lambda v: _adv(nextHop={"ipv4": v})),
    "advertise.nextHop.ipv6": ("2001:db8::1", lambda v: _adv(nextHop={"ipv6": v})),
    "advertise.withLocalPref.prefixes": (
        V4,
        lambda v: _adv(allowed={"mode": "all"}, withLocalPref=[{"prefixes": [v], "localPref": 5}]),
    ),
    "advertise.withCommunity.prefixes": (
        V4,
        lambda v: _adv(allowed={"mode": "all"}, withCommunity=[{"prefixes": [v], "community": "1:1"}]),
    ),
    "advertise.withCommunity.community": (
        "65000:1",
        lambda v: _adv(allowed={"mode": "all"}, withCommunity=[{"prefixes": [V4], "community": v}]),
    ),
    "receive.allowed.mode": ("all", lambda v: [C("a", R(N(toReceive={"allowed": {"mode": v}})))]),
    "receive.allowed.prefixes.prefix": (
        "10.0.0.0/8",
        lambda v: [C("a", R(N(toReceive={"allowed": {"prefixes": [{"prefix": v}]}})))],
    ),
    "bfdProfiles.name": ("p", lambda v: [C("a", R(), bfd=[{"name": v}])]),
    "evpn.advertiseVNIs": ("All", lambda v: _evpn(advertiseVNIs=v)),
    "evpn.l2vnis.rd": ("65000:10", lambda v: _l2(rd=v)),
    "evpn.l2vnis.importRTs": ("*:10", lambda v: _l2(importRTs=[v])),
    "evpn.l2vnis.exportRTs": ("65000:10", lambda v: _l2(exportRTs=[v])),
    "evpn.l3vni.advertisePrefixes": (
        "unicast",
        lambda v: [C("a", R(vrf="red", evpn={"l3vni": {"vni": 5, "advertisePrefixes": [v]}}))],
    ),
    "evpn.l3vni.rd": (
        "1.2.3.4:5",
        lambda v: [
            C("a", R(vrf="red", evpn={"l3vni": {"vni": 5, "rd": v, "advertisePrefixes": ["unicast"]}}))
        ],
    ),
    "nodeSelector.matchLabels.value": ("x", lambda v: [C("a", R(N()), selector={"matchLabels": {"k": v}})]),
    "nodeSelector.matchLabels.key": ("k", lambda v: [C("a", R(N()), selector={"matchLabels": {v: "x"}})]),
    "nodeSelector.matchExpressions.values": (
        "x",
        lambda v: [
            C("a", R(N()), selector={"matchExpressions": [{"key": "k", "operator": "NotIn", "values": [v]}]})
        ],
    ),
    "frrk8sconfiguration.logLevel": (
        "debug",
        lambda v: [
            C("a", R(N())),
            {
                "apiVersion": GV,
                "kind": "FRRK8sConfiguration",
                "metadata": {"name": "config", "namespace": NS},
                "spec": {"logLevel": v},
            },
        ],
    ),
}

SETTINGS_FIELDS: dict[str, tuple[str, Callable[[str], Settings]]] = {
    "settings.hostname": ("node1", lambda v: Settings("node1", hostname=v)),
    "settings.always_block": ("10.96.0.0/12", lambda v: Settings("node1", always_block=(v,))),
}


def payloads(valid: str) -> list[str]:
    return [
        f"{valid}\n  neighbor 1.2.3.4 remote-as 1",
        f"{valid}\nrouter bgp 1",
        f"{valid} route-map evil",
        f"{valid}\r\nexit",
        f"{valid}\x00",
        f"{valid}\n",
        "x\n  neighbor 1.2.3.4 remote-as 1",
        "x route-map evil",
    ]


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_valid_value_builds(field: str) -> None:
    valid, docs = FIELDS[field]
    assert errors_of(*docs(valid)) == []


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("index", range(len(payloads(""))))
def test_injection_refused(field: str, index: int) -> None:
    valid, docs = FIELDS[field]
    value = payloads(valid)[index]
    errors = errors_of(*docs(value))
    assert errors, f"{field}={value!r} was accepted"


@pytest.mark.parametrize("field", sorted(SETTINGS_FIELDS))
def test_settings_injection_refused(field: str) -> None:
    valid, settings = SETTINGS_FIELDS[field]
    assert errors_of(C("a", R(N())), settings=settings(valid)) == []
    for value in payloads(valid):
        assert errors_of(C("a", R(N())), settings=settings(value)), f"{field}={value!r} was accepted"


def test_raw_config_is_the_only_free_text() -> None:
    text = "route-map extra permit 10\n  set metric 5\n"
    nc = build(C("a", R(N()), raw={"rawConfig": text}), settings=SETTINGS)
    assert [r.text for r in nc.raw] == [text]
