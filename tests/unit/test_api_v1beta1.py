"""The v1beta1 models: JSON names, defaults, durations, CEL rules, status kinds."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from frrnode.api.v1beta1 import (
    BGPSessionState,
    FRRConfiguration,
    FRRK8sConfiguration,
    FRRNodeState,
    Neighbor,
    parse_duration,
    whole_seconds,
)

S = 1_000_000_000


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("180s", 180 * S),
        ("1m30s", 90 * S),
        ("1h", 3600 * S),
        ("500ms", S // 2),
        ("1.5s", 3 * S // 2),
        ("0", 0),
        ("0s", 0),
        ("2h45m", (2 * 3600 + 45 * 60) * S),
        ("10us", 10_000),
        ("1ns", 1),
        (".5s", S // 2),
    ],
)
def test_parse_duration(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", ["", "90", "s", "1x", "-5s", "1 s", "1s ", "1s\n", 90, "1d"])
def test_parse_duration_refuses(text: Any) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_whole_seconds_truncates() -> None:
    assert whole_seconds(parse_duration("3999ms")) == 3
    assert whole_seconds(parse_duration("2.9s")) == 2


def test_json_names_and_defaults() -> None:
    n = Neighbor.model_validate(
        {
            "address": "10.0.0.1",
            "dynamicASN": "internal",
            "sourceaddress": "10.0.0.2",
            "dualStackAddressFamily": True,
            "holdTime": "1m30s",
            "keepaliveTime": "30s",
            "toAdvertise": {"allowed": {"mode": "all"}, "nextHop": {"ipv4": "10.0.0.3"}},
        }
    )
    assert n.dynamic_asn == "internal" and n.source_address == "10.0.0.2"
    assert n.dual_stack_address_family and n.hold_time == 90 * S
    assert n.address_families == ["unicast"]  # schema default
    assert n.to_advertise.allowed.mode == "all" and n.to_receive.allowed.mode == "filtered"
    assert not n.disable_mp and n.port is None and n.local_asn is None


def test_every_spec_field_is_accepted() -> None:
    spec: dict[str, Any] = {
        "bgp": {
            "routers": [
                {
                    "asn": 65000,
                    "id": "1.1.1.1",
                    "vrf": "red",
                    "prefixes": ["10.0.0.0/24"],
                    "imports": [{"vrf": "blue"}],
                    "neighbors": [
                        {
                            "asn": 65001,
                            "sourceaddress": "10.0.0.1",
                            "address": "10.0.0.2",
                            "port": 180,
                            "password": "pw",
                            "passwordSecret": {"name": "s", "namespace": "x"},
                            "holdTime": "90s",
                            "keepaliveTime": "30s",
                            "connectTime": "10s",
                            "ebgpMultiHop": True,
                            "bfdProfile": "p",
                            "enableGracefulRestart": True,
                            "toAdvertise": {
                                "allowed": {"prefixes": ["10.0.0.0/24"], "mode": "filtered"},
                                "withLocalPref": [{"prefixes": ["10.0.0.0/24"], "localPref": 100}],
                                "withCommunity": [{"prefixes": ["10.0.0.0/24"], "community": "1:1"}],
                                "nextHop": {"ipv4": "10.0.0.9", "ipv6": "2001:db8::9"},
                            },
                            "toReceive": {
                                "allowed": {
                                    "mode": "filtered",
                                    "prefixes": [{"prefix": "10.0.0.0/8", "le": 24, "ge": 16}],
                                }
                            },
                            "disableMP": True,
                            "dualStackAddressFamily": True,
                            "localASN": 64999,
                            "addressFamilies": ["unicast", "evpn"],
                        }
                    ],
                    "evpn": {
                        "advertiseVNIs": "All",
                        "advertiseSVI": True,
                        "l2vnis": [{"vni": 1, "rd": "1:1", "importRTs": ["*:1"], "exportRTs": ["1.2.3.4:5"]}],
                        "l3vni": {
                            "vni": 2,
                            "rd": "4200000000:5",
                            "importRTs": [],
                            "exportRTs": [],
                            "advertisePrefixes": ["unicast"],
                        },
                    },
                }
            ],
            "bfdProfiles": [
                {
                    "name": "p",
                    "receiveInterval": 300,
                    "transmitInterval": 300,
                    "detectMultiplier": 3,
                    "echoInterval": 50,
                    "echoMode": True,
                    "passiveMode": True,
                    "minimumTtl": 254,
                }
            ],
        },
        "raw": {"priority": 5, "rawConfig": "x"},
        "nodeSelector": {"matchLabels": {"a": "b"}, "matchExpressions": [{"key": "k", "operator": "Exists"}]},
    }
    obj = FRRConfiguration.model_validate(
        {
            "apiVersion": "frrk8s.metallb.io/v1beta1",
            "kind": "FRRConfiguration",
            "metadata": {"name": "x"},
            "spec": spec,
        }
    )
    dumped = obj.spec.model_dump(by_alias=True, exclude_defaults=True)
    assert dumped["bgp"]["routers"][0]["neighbors"][0]["sourceaddress"] == "10.0.0.1"
    assert obj.spec.bgp.routers[0].evpn is not None
    assert obj.spec.bgp.routers[0].evpn.l3vni is not None


@pytest.mark.parametrize(
    ("rd", "ok"),
    [
        ("65000:100", True),
        ("65000:4294967295", True),  # 2-byte ASN, large local
        ("4200000000:65535", True),
        ("4200000000:65536", False),
        ("1.2.3.4:65535", True),
        ("1.2.3.4:65536", False),
        ("65000", False),
        ("65000:1:2", False),
        ("abc:1", False),
        ("*:100", False),  # RD has no wildcard
        ("4294967296:1", False),
        ("1234567890123456:12345", False),  # longer than 21
    ],
)
def test_route_distinguisher_cel(rd: str, ok: bool) -> None:
    doc = {"vni": 1, "rd": rd}
    from frrnode.api.v1beta1 import L2VNI

    if ok:
        assert L2VNI.model_validate(doc).rd == rd
    else:
        with pytest.raises(ValidationError):
            L2VNI.model_validate(doc)


def test_import_rt_wildcard_allowed_export_not() -> None:
    from frrnode.api.v1beta1 import L2VNI

    assert L2VNI.model_validate({"vni": 1, "importRTs": ["*:100"]}).import_rts == ["*:100"]
    with pytest.raises(ValidationError):
        L2VNI.model_validate({"vni": 1, "exportRTs": ["*:100"]})


def test_connect_time_cel() -> None:
    assert Neighbor.model_validate({"connectTime": "1s"}).connect_time == S
    assert Neighbor.model_validate({"connectTime": "65535s"}).connect_time == 65535 * S
    for bad in ("0s", "65536s", "1500ms"):
        with pytest.raises(ValidationError):
            Neighbor.model_validate({"connectTime": bad})


def test_strict_types_like_the_api_server() -> None:
    for bad in ({"asn": "65000"}, {"asn": True}, {"ebgpMultiHop": "yes"}, {"port": 1.5}):
        with pytest.raises(ValidationError):
            Neighbor.model_validate(bad)


def test_status_kinds() -> None:
    state = FRRNodeState.model_validate(
        {
            "apiVersion": "frrk8s.metallb.io/v1beta1",
            "kind": "FRRNodeState",
            "metadata": {"name": "node1"},
            "status": {
                "runningConfig": "x",
                "lastReloadResult": "success",
                "lastConversionResult": "success",
            },
        }
    )
    assert state.status.last_conversion_result == "success"
    session = BGPSessionState(
        metadata={"name": "node1-abc", "namespace": "frr-k8s-system"},  # type: ignore[arg-type]
        status={
            "bgpStatus": "Established",
            "bfdStatus": "N/A",
            "node": "node1",
            "peer": "10.0.0.1",
            "vrf": "",
        },  # type: ignore[arg-type]
    )
    assert session.model_dump(by_alias=True)["status"]["bgpStatus"] == "Established"
    cfg = FRRK8sConfiguration.model_validate(
        {
            "apiVersion": "frrk8s.metallb.io/v1beta1",
            "kind": "FRRK8sConfiguration",
            "metadata": {"name": "config"},
            "spec": {"logLevel": "debug"},
        }
    )
    assert cfg.spec.log_level == "debug"
    with pytest.raises(ValidationError):
        FRRK8sConfiguration.model_validate(
            {
                "apiVersion": "frrk8s.metallb.io/v1beta1",
                "kind": "FRRK8sConfiguration",
                "metadata": {"name": "c"},
                "spec": {"logLevel": "verbose"},
            }
        )


def test_metadata_ignores_server_fields_but_spec_forbids_unknown() -> None:
    meta = {
        "name": "x",
        "uid": "u",
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "managedFields": [{}],
        "annotations": {"a": "b"},
        "generation": 3,
        "resourceVersion": "42",
    }
    obj = FRRConfiguration.model_validate(
        {"apiVersion": "frrk8s.metallb.io/v1beta1", "kind": "FRRConfiguration", "metadata": meta, "spec": {}}
    )
    assert obj.metadata.generation == 3 and obj.metadata.resource_version == "42"
    with pytest.raises(ValidationError):
        FRRConfiguration.model_validate(
            {
                "apiVersion": "frrk8s.metallb.io/v1beta1",
                "kind": "FRRConfiguration",
                "metadata": {"name": "x"},
                "spec": {"bpg": {}},
            }
        )
