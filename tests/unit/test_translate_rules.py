"""Every validation rule R1-R44 of spec §2.3, every schema limit of §1.2 and every gap check we add.

Each case asserts the error names the object and the exact JSON field path (and, for merge
conflicts, the second object and its path too).
"""

from __future__ import annotations

from typing import Any

import pytest
from pl_helpers import NS, build, config, errors_of, neighbor, node, ref, router, secret

from frrnode.errors import ConflictError

N, R, C = neighbor, router, config
R0 = "spec.bgp.routers[0]"
N0 = f"{R0}.neighbors[0]"
V4, V6 = "192.169.1.0/24", "2001:db8:1::/64"
ADV = f"{N0}.toAdvertise"


def adv(**fields: Any) -> dict[str, Any]:
    return {"toAdvertise": fields}


def lp(*entries: tuple[list[str], int]) -> dict[str, Any]:
    return adv(allowed={"mode": "all"}, withLocalPref=[{"prefixes": p, "localPref": v} for p, v in entries])


def comm(*entries: tuple[list[str], str]) -> dict[str, Any]:
    return adv(allowed={"mode": "all"}, withCommunity=[{"prefixes": p, "community": c} for p, c in entries])


def sel(prefix: str, le: int | None = None, ge: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"prefix": prefix}
    if le is not None:
        out["le"] = le
    if ge is not None:
        out["ge"] = ge
    return {"toReceive": {"allowed": {"prefixes": [out]}}}


def evpn_router(vrf: str = "", **evpn: Any) -> dict[str, Any]:
    return R(vrf=vrf or None, evpn=evpn)


L3 = {"vni": 3000, "advertisePrefixes": ["unicast"]}
EVPN_N = N(addressFamilies=["evpn"])

# (docs, object name, path, message fragment[, (other object, other path)])
CASES = [
    # ---- R1-R44 (spec §2.3)
    pytest.param(
        [C("a", R(prefixes=["foo"]))],
        "a",
        f"{R0}.prefixes[0]",
        "unknown ipfamily",
        id="R1-router-prefix-not-cidr",
    ),
    pytest.param(
        [C("a", R(imports=[{"vrf": "red"}]))],
        "a",
        f"{R0}.imports[0].vrf",
        "imports vrf red which is not defined",
        id="R2-import-undefined-vrf",
    ),
    pytest.param(
        [C("a", R(vrf="red", imports=[{"vrf": "default"}]))],
        "a",
        f"{R0}.imports[0].vrf",
        "vrf  not found",
        id="R3-import-default-without-default-router",
    ),
    pytest.param(
        [C("a", R(N(address="192.168.1.300")))],
        "a",
        f"{N0}.address",
        "failed to find ipfamily",
        id="R4-neighbor-address-not-ip",
    ),
    pytest.param(
        [C("a", R(N(**lp(([V6], 100))), prefixes=[V4, V6]))],
        "a",
        f"{ADV}.withLocalPref[0].prefixes[0]",
        "not compatible with the ipfamily",
        id="R5-localpref-prefix-wrong-family",
    ),
    pytest.param(
        [C("a", R(N(**lp(([V4], 100), ([V4], 200))), prefixes=[V4]))],
        "a",
        f"{ADV}.withLocalPref[1].prefixes[0]",
        "both local preference 100 and 200",
        id="R6-prefix-two-localprefs",
    ),
    pytest.param(
        [C("a", R(N(**comm(([V6], "65000:1"))), prefixes=[V4, V6]))],
        "a",
        f"{ADV}.withCommunity[0].prefixes[0]",
        "not compatible with the ipfamily",
        id="R7-community-prefix-wrong-family",
    ),
    pytest.param(
        [C("a", R(N(**adv(allowed={"prefixes": [V6]})), prefixes=[V4, V6]))],
        "a",
        f"{ADV}.allowed.prefixes[0]",
        "invalid allowed prefixes",
        id="R8-allowed-prefix-wrong-family",
    ),
    pytest.param(
        [C("a", R(N(**adv(allowed={"prefixes": ["192.170.1.0/24"]})), prefixes=[V4]))],
        "a",
        f"{ADV}.allowed.prefixes[0]",
        "trying to advertise non configured prefix 192.170.1.0/24",
        id="R9-advertise-unconfigured-prefix",
    ),
    pytest.param(
        [C("a", R(N(**adv(allowed={"prefixes": ["192.169.1.0/24"]})), prefixes=["192.169.1.1/24"]))],
        "a",
        f"{ADV}.allowed.prefixes[0]",
        "non configured prefix",
        id="R9-exact-string-match",
    ),
    pytest.param(
        [C("a", R(N(asn=65000, localASN=65010)))],
        "a",
        f"{N0}.localASN",
        "localASN is not supported for iBGP",
        id="R10-localasn-ibgp",
    ),
    pytest.param(
        [C("a", R(N(address=None)))],
        "a",
        N0,
        "has no address and no interface",
        id="R11-no-address-no-interface",
    ),
    pytest.param(
        [C("a", R(N(interface="eth0")))],
        "a",
        f"{N0}.interface",
        "both Address and Interface",
        id="R11-address-and-interface",
    ),
    pytest.param(
        [C("a", R(N(bfdProfile="nope")))],
        "a",
        f"{N0}.bfdProfile",
        "referencing non existing BFDProfile nope",
        id="R12-unknown-bfd-profile",
    ),
    pytest.param(
        [C("a", R(N(bfdProfile="p")), bfd=[]), C("b", R(), bfd=[{"name": "p"}])],
        "a",
        f"{N0}.bfdProfile",
        "non existing BFDProfile",
        id="R12-bfd-profile-of-other-object",
    ),
    pytest.param([C("a", R(N(asn=None)))], "a", f"{N0}.asn", "has no ASN or DynamicASN", id="R13-no-asn"),
    pytest.param(
        [C("a", R(N(dynamicASN="external")))],
        "a",
        f"{N0}.dynamicASN",
        "both ASN and DynamicASN",
        id="R13-asn-and-dynamic-asn",
    ),
    pytest.param(
        [C("a", R(N(asn=None, dynamicASN="foo")))],
        "a",
        f"{N0}.dynamicASN",
        "'internal' or 'external'",
        id="R14-invalid-dynamic-asn",
    ),
    pytest.param(
        [C("a", R(N(holdTime="90s")))],
        "a",
        f"{N0}.keepaliveTime",
        "both must be set or none",
        id="R15-hold-without-keepalive",
    ),
    pytest.param(
        [C("a", R(N(keepaliveTime="30s")))],
        "a",
        f"{N0}.holdTime",
        "both must be set or none",
        id="R15-keepalive-without-hold",
    ),
    pytest.param(
        [C("a", R(N(holdTime="2s", keepaliveTime="1s")))],
        "a",
        f"{N0}.holdTime",
        "must be 0 or >=3s",
        id="R16-hold-time-below-3s",
    ),
    pytest.param(
        [C("a", R(N(holdTime="90s", keepaliveTime="91s")))],
        "a",
        f"{N0}.keepaliveTime",
        "must be lower than holdTime",
        id="R17-keepalive-above-hold",
    ),
    pytest.param(
        [C("a", R(N(password="x", passwordSecret={"name": "s"}))), secret("s")],
        "a",
        f"{N0}.passwordSecret",
        "both cleartext password and secret ref",
        id="R18-password-and-secret",
    ),
    pytest.param(
        [C("a", R(N(passwordSecret={"name": "s"})))],
        "a",
        f"{N0}.passwordSecret.name",
        "secret s not found for neighbor 65001@192.168.1.2",
        id="R19-secret-missing",
    ),
    pytest.param(
        [C("a", R(N(passwordSecret={"name": "s"}))), secret("s", ns="other")],
        "a",
        f"{N0}.passwordSecret.name",
        "secret s not found",
        id="R19-secret-in-other-namespace",
    ),
    pytest.param(
        [C("a", R(N(passwordSecret={"name": "s"}))), secret("s", type_="Opaque")],
        "a",
        f"{N0}.passwordSecret.name",
        "secret type mismatch",
        id="R20-secret-wrong-type",
    ),
    pytest.param(
        [C("a", R(N(passwordSecret={"name": "s"}))), secret("s", password=None)],
        "a",
        f"{N0}.passwordSecret.name",
        "password field not specified",
        id="R21-secret-without-password",
    ),
    pytest.param(
        [C("a", R(N(**adv(nextHop={"ipv4": "foo"}))))],
        "a",
        f"{ADV}.nextHop.ipv4",
        "invalid ipv4 next hop foo",
        id="R22-next-hop-v4-invalid",
    ),
    pytest.param(
        [C("a", R(N(**adv(nextHop={"ipv4": "2001:db8::1"}))))],
        "a",
        f"{ADV}.nextHop.ipv4",
        "invalid ipv4 next hop",
        id="R22-next-hop-v4-is-v6",
    ),
    pytest.param(
        [C("a", R(N(address="2001:db8::2", **adv(nextHop={"ipv4": "10.1.1.1"}))))],
        "a",
        f"{ADV}.nextHop.ipv4",
        "without an ipv4 address family",
        id="R22-next-hop-v4-on-v6-neighbor",
    ),
    pytest.param(
        [C("a", R(N(**adv(nextHop={"ipv6": "10.1.1.1"}))))],
        "a",
        f"{ADV}.nextHop.ipv6",
        "invalid ipv6 next hop",
        id="R23-next-hop-v6-invalid",
    ),
    pytest.param(
        [C("a", R(N(**adv(nextHop={"ipv6": "2001:db8::1"}))))],
        "a",
        f"{ADV}.nextHop.ipv6",
        "without an ipv6 address family",
        id="R23-next-hop-v6-on-v4-neighbor",
    ),
    pytest.param(
        [
            C(
                "a",
                R(
                    N(**lp((["192.169.1.0/24"], 100), (["192.169.2.0/24"], 100))),
                    prefixes=[V4, "192.169.2.0/24"],
                ),
            )
        ],
        "a",
        f"{ADV}.withLocalPref[1].localPref",
        "local preference 100 is already defined",
        id="R24-localpref-twice",
    ),
    pytest.param(
        [
            C(
                "a",
                R(
                    N(
                        **adv(
                            allowed={"prefixes": [V4]},
                            withLocalPref=[{"prefixes": ["192.169.2.0/24"], "localPref": 1}],
                        )
                    ),
                    prefixes=[V4, "192.169.2.0/24"],
                ),
            )
        ],
        "a",
        f"{ADV}.withLocalPref[0].prefixes[0]",
        "associated to non existing prefix",
        id="R25-localpref-prefix-not-advertised",
    ),
    pytest.param(
        [C("a", R(N(**lp(([V4, V4], 100))), prefixes=[V4]))],
        "a",
        f"{ADV}.withLocalPref[0].prefixes[1]",
        "already defined for local preference 100",
        id="R26-localpref-prefix-twice",
    ),
    pytest.param(
        [C("a", R(N(**comm(([V4], "65536:1"))), prefixes=[V4]))],
        "a",
        f"{ADV}.withCommunity[0].community",
        "invalid community 65536:1",
        id="R27-community-out-of-range",
    ),
    pytest.param(
        [C("a", R(N(**comm(([V4], "no-export"))), prefixes=[V4]))],
        "a",
        f"{ADV}.withCommunity[0].community",
        "invalid community format",
        id="R27-community-well-known-name",
    ),
    pytest.param(
        [C("a", R(N(**comm(([V4], "large:1:2"))), prefixes=[V4]))],
        "a",
        f"{ADV}.withCommunity[0].community",
        "invalid community",
        id="R27-large-community-short",
    ),
    pytest.param(
        [
            C(
                "a",
                R(
                    N(**comm(([V4], "65000:100"), (["192.169.2.0/24"], "65000:0100"))),
                    prefixes=[V4, "192.169.2.0/24"],
                ),
            )
        ],
        "a",
        f"{ADV}.withCommunity[1].community",
        "community 65000:0100 is already defined",
        id="R28-community-twice-normalised",
    ),
    pytest.param(
        [
            C(
                "a",
                R(
                    N(
                        **adv(
                            allowed={"prefixes": [V4]},
                            withCommunity=[{"prefixes": ["192.169.2.0/24"], "community": "1:1"}],
                        )
                    ),
                    prefixes=[V4, "192.169.2.0/24"],
                ),
            )
        ],
        "a",
        f"{ADV}.withCommunity[0].prefixes[0]",
        "not in the advertisement list",
        id="R29-community-prefix-not-advertised",
    ),
    pytest.param(
        [C("a", R(N(**comm(([V4, V4], "1:1"))), prefixes=[V4]))],
        "a",
        f"{ADV}.withCommunity[0].prefixes[1]",
        "already defined for community 1:1",
        id="R30-community-prefix-twice",
    ),
    pytest.param(
        [C("a", R(N(**sel("foo"))))],
        "a",
        f"{N0}.toReceive.allowed.prefixes[0].prefix",
        "failed to parse prefix foo",
        id="R31-receive-prefix-invalid",
    ),
    pytest.param(
        [C("a", R(N(**sel("10.0.0.0/8", le=20, ge=24))))],
        "a",
        f"{N0}.toReceive.allowed.prefixes[0].ge",
        "ge 24 is bigger than le 20",
        id="R32-ge-above-le",
    ),
    pytest.param(
        [C("a", R(N(**sel("10.0.0.0/24", le=20))))],
        "a",
        f"{N0}.toReceive.allowed.prefixes[0].le",
        "cidr mask 24 is bigger than le 20",
        id="R32-mask-above-le",
    ),
    pytest.param(
        [C("a", R(N(**sel("10.0.0.0/24", ge=16))))],
        "a",
        f"{N0}.toReceive.allowed.prefixes[0].ge",
        "cidr mask 24 is bigger than ge 16",
        id="R32-mask-above-ge",
    ),
    pytest.param(
        [C("a", R(), bfd=[{"name": "p"}, {"name": "p"}])],
        "a",
        "spec.bgp.bfdProfiles[1].name",
        "duplicate bfd profile name p in config a",
        id="R33-bfd-profile-twice-in-object",
    ),
    pytest.param(
        [C("a", R(), bfd=[{"name": "p", "receiveInterval": 100}]), C("b", R(), bfd=[{"name": "p"}])],
        "a",
        "spec.bgp.bfdProfiles[0]",
        "duplicate bfd profile name p with different values",
        ("b", "spec.bgp.bfdProfiles[0]"),
        id="R34-bfd-profile-differs-across-objects",
    ),
    pytest.param(
        [C("a", R(N())), C("b", R(N(), asn=65100))],
        "a",
        f"{R0}.asn",
        "different asns (65000 != 65100) specified for same vrf",
        ("b", f"{R0}.asn"),
        id="R35-router-asn-conflict",
    ),
    pytest.param(
        [C("a", R(id="1.1.1.1")), C("b", R(id="2.2.2.2"))],
        "a",
        f"{R0}.id",
        "different router ids (1.1.1.1 != 2.2.2.2)",
        ("b", f"{R0}.id"),
        id="R36-router-id-conflict",
    ),
    pytest.param(
        [C("a", R(N(), N(asn=65002)))],
        "a",
        f"{N0}.asn",
        "multiple asns specified for 192.168.1.2",
        ("a", f"{R0}.neighbors[1].asn"),
        id="R37-duplicate-neighbor-in-one-router",
    ),
    pytest.param(
        [C("a", R(N(**lp(([V4], 100))), prefixes=[V4])), C("b", R(N(**lp(([V4], 200))), prefixes=[V4]))],
        "a",
        f"{ADV}.withLocalPref[0].localPref",
        "multiple local prefs (100 != 200) specified for prefix 192.169.1.0/24",
        ("b", f"{ADV}.withLocalPref[0].localPref"),
        id="R38-localpref-conflict-across-objects",
    ),
    pytest.param(
        [
            C("a", R(N(**adv(nextHop={"ipv4": "10.1.1.1"})))),
            C("b", R(N(**adv(nextHop={"ipv4": "10.1.1.2"})))),
        ],
        "a",
        f"{ADV}.nextHop.ipv4",
        "multiple next hops (10.1.1.1 != 10.1.1.2)",
        ("b", f"{ADV}.nextHop.ipv4"),
        id="R39-next-hop-conflict",
    ),
    pytest.param(
        [C("a", evpn_router(advertiseVNIs="All"))],
        "a",
        f"{R0}.evpn",
        "require at least one neighbor with evpn address family",
        id="R40-evpn-without-evpn-neighbor",
    ),
    pytest.param(
        [C("a", R(N(), vrf="red", evpn={"l3vni": L3}))],
        "a",
        f"{R0}.evpn.l3vni",
        "l3vni can only be configured on routers with no neighbors",
        id="R41-l3vni-with-neighbors",
    ),
    pytest.param(
        [C("a", R(EVPN_N, evpn={"l2vnis": [{"vni": 3000}]}), evpn_router("red", l3vni=L3))],
        "a",
        f"{R0}.evpn.l2vnis[0].vni",
        "duplicate VNI 3000",
        ("a", "spec.bgp.routers[1].evpn.l3vni.vni"),
        id="R42-duplicate-vni-across-vrfs",
    ),
    pytest.param(
        [C("a", R(EVPN_N, evpn={"advertiseSVI": True})), C("b", R(EVPN_N, evpn={"advertiseSVI": False}))],
        "a",
        f"{R0}.evpn.advertiseSVI",
        "different advertiseSVI",
        ("b", f"{R0}.evpn.advertiseSVI"),
        id="R43-evpn-merge-conflict",
    ),
    pytest.param(
        [
            C("a", R(EVPN_N, evpn={"l2vnis": [{"vni": 5, "importRTs": ["1:1"]}]})),
            C("b", R(EVPN_N, evpn={"l2vnis": [{"vni": 4}, {"vni": 5}]})),
        ],
        "a",
        f"{R0}.evpn.l2vnis[0].importRTs",
        "mixing implicit and explicit",
        ("b", f"{R0}.evpn.l2vnis[1].importRTs"),
        id="R43-evpn-rt-implicit-explicit",
    ),
    pytest.param(
        [C("a", R(), selector={"matchLabels": {"app": "@"}})],
        "a",
        "spec.nodeSelector.matchLabels['app']",
        "invalid label value",
        id="R44-invalid-selector-value",
    ),
    pytest.param(
        [C("a", R(), selector={"matchExpressions": [{"key": "k", "operator": "Gt", "values": ["1"]}]})],
        "a",
        "spec.nodeSelector.matchExpressions[0].operator",
        "not a valid label selector operator",
        id="R44-invalid-selector-operator",
    ),
    pytest.param(
        [C("a", R(), selector={"matchExpressions": [{"key": "k", "operator": "In"}]})],
        "a",
        "spec.nodeSelector.matchExpressions[0].values",
        "must be non-empty",
        id="R44-in-without-values",
    ),
    pytest.param(
        [C("a", R(EVPN_N, evpn={"l2vnis": [{"vni": 5}, {"vni": 5}]}))],
        "a",
        f"{R0}.evpn.l2vnis[1].vni",
        "duplicate VNI 5",
        id="R42-duplicate-vni-in-one-list",
    ),
    # ---- schema limits (§1.2, CRD + CEL)
    pytest.param(
        [C("a", R(evpn={"l2vnis": [{"vni": 1, "rd": "65000"}]}))],
        "a",
        f"{R0}.evpn.l2vnis[0].rd",
        "RD must contain exactly one colon",
        id="schema-rd-without-colon",
    ),
    pytest.param(
        [C("a", R(evpn={"l2vnis": [{"vni": 1, "rd": "65000:x"}]}))],
        "a",
        f"{R0}.evpn.l2vnis[0].rd",
        "local administrator must be a number",
        id="schema-rd-local-not-number",
    ),
    pytest.param(
        [C("a", R(evpn={"l2vnis": [{"vni": 1, "rd": "4200000000:70000"}]}))],
        "a",
        f"{R0}.evpn.l2vnis[0].rd",
        "4-byte ASN",
        id="schema-rd-4byte-asn-large-local",
    ),
    pytest.param(
        [C("a", R(evpn={"l2vnis": [{"vni": 1, "rd": "1.2.3.4:70000"}]}))],
        "a",
        f"{R0}.evpn.l2vnis[0].rd",
        "IPv4 global administrator",
        id="schema-rd-ipv4-large-local",
    ),
    pytest.param(
        [C("a", R(evpn={"l2vnis": [{"vni": 1, "exportRTs": ["*:100"]}]}))],
        "a",
        f"{R0}.evpn.l2vnis[0].exportRTs[0]",
        "either an IPv4 address or a number",
        id="schema-export-rt-wildcard",
    ),
    pytest.param(
        [C("a", R(evpn={"l2vnis": [{"vni": 0}]}))],
        "a",
        f"{R0}.evpn.l2vnis[0].vni",
        "greater than or equal to 1",
        id="schema-vni-zero",
    ),
    pytest.param(
        [C("a", R(evpn={"l3vni": {"vni": 5}}))],
        "a",
        f"{R0}.evpn.l3vni.advertisePrefixes",
        "required",
        id="schema-l3vni-without-advertise-prefixes",
    ),
    pytest.param(
        [C("a", R(evpn={"advertiseVNIs": "Some"}))],
        "a",
        f"{R0}.evpn.advertiseVNIs",
        "'Disabled' or 'All'",
        id="schema-advertise-vnis-enum",
    ),
    pytest.param(
        [C("a", R(N(addressFamilies=["multicast"])))],
        "a",
        f"{N0}.addressFamilies[0]",
        "'unicast' or 'evpn'",
        id="schema-address-family-enum",
    ),
    pytest.param(
        [C("a", R(N(connectTime="1500ms")))],
        "a",
        f"{N0}.connectTime",
        "whole number of seconds",
        id="schema-connect-time-fraction",
    ),
    pytest.param(
        [C("a", R(N(connectTime="65536s")))],
        "a",
        f"{N0}.connectTime",
        "between 1 seconds to 65535",
        id="schema-connect-time-too-big",
    ),
    pytest.param(
        [C("a", R(N(holdTime="soon", keepaliveTime="1s")))],
        "a",
        f"{N0}.holdTime",
        "invalid duration",
        id="schema-duration-syntax",
    ),
    pytest.param(
        [C("a", R(N(port=16385)))], "a", f"{N0}.port", "less than or equal to 16384", id="schema-port-max"
    ),
    pytest.param(
        [C("a", R(N(localASN=0)))],
        "a",
        f"{N0}.localASN",
        "greater than or equal to 1",
        id="schema-local-asn-zero",
    ),
    pytest.param(
        [C("a", R(N(asn=4294967296)))],
        "a",
        f"{N0}.asn",
        "less than or equal to 4294967295",
        id="schema-asn-max",
    ),
    pytest.param(
        [C("a", R(N(**sel("10.0.0.0/8", le=129))))],
        "a",
        f"{N0}.toReceive.allowed.prefixes[0].le",
        "less than or equal to 128",
        id="schema-le-max",
    ),
    pytest.param(
        [C("a", R(N(**adv(withLocalPref=[{"prefixes": [V4], "localPref": 4294967296}]))))],
        "a",
        f"{ADV}.withLocalPref[0].localPref",
        "less than or equal to 4294967295",
        id="gap-localpref-range",
    ),
    pytest.param(
        [C("a", R(N(**adv(withLocalPref=[{"prefixes": [], "localPref": 1}]))))],
        "a",
        f"{ADV}.withLocalPref[0].prefixes",
        "at least 1 item",
        id="schema-localpref-min-items",
    ),
    pytest.param(
        [C("a", *[R(vrf=f"v{i}") for i in range(51)])],
        "a",
        "spec.bgp.routers",
        "at most 50 items",
        id="schema-routers-max-items",
    ),
    pytest.param(
        [C("a", R(), bfd=[{"name": "p", "receiveInterval": 5}])],
        "a",
        "spec.bgp.bfdProfiles[0].receiveInterval",
        "greater than or equal to 10",
        id="schema-bfd-interval-min",
    ),
    pytest.param(
        [C("a", R(), bfd=[{"name": "p", "minimumTtl": 255}])],
        "a",
        "spec.bgp.bfdProfiles[0].minimumTtl",
        "less than or equal to 254",
        id="schema-bfd-min-ttl-max",
    ),
    pytest.param(
        [C("a", R(), selector={"labelSelector": {"foo": "bar"}})],
        "a",
        "spec.nodeSelector.labelSelector",
        "unknown field",
        id="schema-typo-labelSelector",
    ),
    pytest.param(
        [C("a", R(N(toAdvertise={"allowed": {"prefix": [V4]}})))],
        "a",
        f"{ADV}.allowed.prefix",
        "unknown field",
        id="schema-typo-allowed-prefix",
    ),
    pytest.param(
        [C("a", R(N(sourceAddress="10.0.0.1")))],
        "a",
        f"{N0}.sourceAddress",
        "unknown field",
        id="schema-typo-sourceAddress-camel",
    ),
    pytest.param([C("a", R(N(asn="65001")))], "a", f"{N0}.asn", "valid integer", id="schema-asn-string"),
    # ---- gaps issue #2 lists (not validated upstream)
    pytest.param(
        [C("a", R(id="2001:db8::1"))], "a", f"{R0}.id", "must be an IPv4 address", id="gap-router-id-ipv6"
    ),
    pytest.param(
        [C("a", R(id="router1"))], "a", f"{R0}.id", "must be an IPv4 address", id="gap-router-id-name"
    ),
    pytest.param([C("a", R(asn=0))], "a", f"{R0}.asn", "between 1 and 4294967295", id="gap-router-asn-zero"),
    pytest.param([C("a", R(N(port=0)))], "a", f"{N0}.port", "between 1 and 16384", id="gap-port-zero"),
    pytest.param(
        [C("a", R(N(**sel("10.0.0.0/8", le=33))))],
        "a",
        f"{N0}.toReceive.allowed.prefixes[0].le",
        "le 33 is bigger than the address length 32",
        id="gap-le-beyond-ipv4",
    ),
    pytest.param(
        [C("a", R(N(**sel("10.0.0.0/8", ge=40))))],
        "a",
        f"{N0}.toReceive.allowed.prefixes[0].ge",
        "ge 40 is bigger than the address length 32",
        id="gap-ge-beyond-ipv4",
    ),
    pytest.param(
        [C("a", R(N(sourceaddress="not an ip")))],
        "a",
        f"{N0}.sourceaddress",
        "must be an IP address or an interface name",
        id="gap-source-address",
    ),
    pytest.param(
        [C("a", R(vrf="a-very-long-vrf-name"))],
        "a",
        f"{R0}.vrf",
        "at most 15 characters",
        id="gap-vrf-name-too-long",
    ),
    pytest.param(
        [C("a", R(vrf="red/blue"))], "a", f"{R0}.vrf", "must not contain '/'", id="gap-vrf-name-slash"
    ),
    pytest.param(
        [C("a", R(N(address=None, interface="eth 0")))],
        "a",
        f"{N0}.interface",
        "without whitespace",
        id="gap-interface-name-space",
    ),
    pytest.param(
        [C("a", R(N(bfdProfile="a b")), bfd=[{"name": "a b"}])],
        "a",
        "spec.bgp.bfdProfiles[0].name",
        "invalid bfd profile name",
        id="gap-bfd-profile-name",
    ),
    pytest.param(
        [C("a", R(N(password="two words")))],
        "a",
        f"{N0}.password",
        "without whitespace",
        id="gap-password-whitespace",
    ),
    pytest.param(
        [C("a", R(N(password="x" * 81)))],
        "a",
        f"{N0}.password",
        "at most 80 bytes",
        id="gap-password-too-long",
    ),
    pytest.param(
        [C("a", R(N(passwordSecret={"name": "s"}))), secret("s", password="a\nb")],
        "a",
        f"{N0}.passwordSecret.name",
        "invalid password in the secret",
        id="gap-secret-password-newline",
    ),
    pytest.param(
        [C("a", R(N(holdTime="70000s", keepaliveTime="60s")))],
        "a",
        f"{N0}.holdTime",
        "at most 65535s",
        id="gap-hold-time-too-big",
    ),
    pytest.param(
        [C("a", R(N(address="fe80::1%eth0")))],
        "a",
        f"{N0}.address",
        "for a link-local peer use `interface: eth0`",
        id="gap-address-with-zone",
    ),
    pytest.param(
        [C("a", R(prefixes=["::ffff:10.0.0.0/104"]))],
        "a",
        f"{R0}.prefixes[0]",
        "unknown ipfamily",
        id="gap-ipv4-mapped-prefix",
    ),
]


@pytest.mark.parametrize(
    ("docs", "name", "path", "fragment", "other"),
    [pytest.param(*p.values[:4], p.values[4] if len(p.values) > 4 else None, id=p.id) for p in CASES],
)
def test_rule(
    docs: list[dict[str, Any]], name: str, path: str, fragment: str, other: tuple[str, str] | None
) -> None:
    errors = errors_of(*docs)
    assert errors, "the input must be refused"
    matching = [e for e in errors if e.obj == ref(name) and e.path == path]
    assert matching, f"no error at {ref(name)} {path}; got:\n" + "\n".join(map(str, errors))
    assert any(fragment in e.message for e in matching), "\n".join(e.message for e in matching)
    if other is not None:
        conflicts = [e for e in matching if isinstance(e, ConflictError)]
        assert conflicts, "a merge problem must be a ConflictError"
        assert any(e.other == ref(other[0]) and e.other_path == other[1] for e in conflicts), [
            str(e) for e in conflicts
        ]
        text = str(conflicts[0])
        assert str(ref(name)) in text and str(ref(other[0])) in text


def test_missing_secret_is_transient() -> None:
    errors = errors_of(C("a", R(N(passwordSecret={"name": "s"}))))
    assert len(errors) == 1 and errors[0].transient


def test_errors_carry_file_and_document() -> None:
    errors = errors_of(C("ok", R()), C("a", R(N(address="x"))))
    assert [str(e.location) for e in errors] == ["test.yaml#1"]


def test_all_errors_of_all_objects_are_reported() -> None:
    errors = errors_of(C("a", R(N(address="x"), N(asn=None, address="10.0.0.9"))), C("b", R(prefixes=["y"])))
    assert {(e.obj.name if e.obj else "", e.path) for e in errors} == {
        ("a", f"{N0}.address"),
        ("a", f"{R0}.neighbors[1].asn"),
        ("b", f"{R0}.prefixes[0]"),
    }


def test_policy_checked_even_when_the_secret_is_missing() -> None:
    adv = {"allowed": {"prefixes": ["10.9.0.0/16"]}}
    errors = errors_of(C("a", R(N(passwordSecret={"name": "s"}, toAdvertise=adv))))
    assert sorted(e.path for e in errors) == [
        f"{N0}.passwordSecret.name",
        f"{N0}.toAdvertise.allowed.prefixes[0]",
    ]


def test_secret_is_read_from_the_agent_namespace_only() -> None:
    docs = [C("a", R(N(passwordSecret={"name": "s", "namespace": "other"}))), secret("s", "pw1")]
    assert build(*docs).routers[0].neighbors[0].password == "pw1"
    # `passwordSecret.namespace` is ignored (quirk 8): a Secret elsewhere is not found.
    docs = [C("a", R(N(passwordSecret={"name": "s", "namespace": "other"}))), secret("s", "pw1", ns="other")]
    assert [e.path for e in errors_of(*docs)] == [f"{N0}.passwordSecret.name"]


def test_valid_minimal_object_has_no_errors() -> None:
    assert errors_of(C("a", R(N())), node("node1")) == []
    assert NS == "frr-k8s-system"
