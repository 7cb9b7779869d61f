"""The generated CRDs served by the API-server double and driven by the real kubectl: the
examples apply, a misspelt field is refused, schema limits answer with the API server's
messages, defaults are filled in, printer columns show."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from apiserver_helpers import Kubectl, dump, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def installed(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", str(ROOT / "config" / "crd" / "bases"))
    kubectl("create", "namespace", "frr-k8s-system")
    wait_for(
        "the CRDs to be discovered",
        lambda: "frrconfigurations" in kubectl("api-resources", "--api-group=frrk8s.metallb.io"),
    )


def frrconfig(name: str, neighbor: dict[str, object]) -> str:
    return dump(
        {
            "apiVersion": "frrk8s.metallb.io/v1beta1",
            "kind": "FRRConfiguration",
            "metadata": {"name": name, "namespace": "frr-k8s-system"},
            "spec": {"bgp": {"routers": [{"asn": 64512, "neighbors": [neighbor]}]}},
        }
    )


def test_examples_apply_and_get_defaults(kubectl: Kubectl) -> None:
    out = kubectl("apply", "-f", str(ROOT / "examples"))
    assert "frrconfiguration.frrk8s.metallb.io/receive-from-routers created" in out
    obj = kubectl.get("frrconfiguration", "receive-from-routers", "-n", "frr-k8s-system")
    first = obj["spec"]["bgp"]["routers"][0]["neighbors"][0]
    assert first["toReceive"]["allowed"]["prefixes"] == [{"prefix": "10.100.0.0/24"}]
    assert first["toReceive"]["allowed"]["mode"] == "filtered"  # schema default
    assert first["disableMP"] is False and first["addressFamilies"] == ["unicast"]
    assert kubectl("get", "frrconfigurations", "-A", "-o", "name").split() == [
        "frrconfiguration.frrk8s.metallb.io/metallb-node-a",
        "frrconfiguration.frrk8s.metallb.io/receive-from-routers",
    ]


def test_misspelt_field_is_refused(kubectl: Kubectl) -> None:
    bad = frrconfig("typo", {"address": "10.0.0.1", "asn": 65001, "toRecieve": {"allowed": {"mode": "all"}}})
    err = kubectl.fails("apply", "-f", "-", stdin=bad)
    assert (
        'FRRConfiguration in version "v1beta1" cannot be handled as a FRRConfiguration: strict decoding '
        'error: unknown field "spec.bgp.routers[0].neighbors[0].toRecieve"'
    ) in err


def test_schema_limits(kubectl: Kubectl) -> None:
    err = kubectl.fails(
        "apply",
        "-f",
        "-",
        stdin=frrconfig(
            "limits",
            {
                "address": "10.0.0.1",
                "asn": 65001,
                "port": 20000,
                "dynamicASN": "sometimes",
                "toReceive": {"allowed": {"prefixes": [{"prefix": "10.0.0.0/8", "le": 200}]}},
            },
        ),
    )
    assert 'The FRRConfiguration "limits" is invalid:' in err
    n = "spec.bgp.routers[0].neighbors[0]"
    assert f"{n}.port: Invalid value: 20000: {n}.port in body should be less than or equal to 16384" in err
    assert f'{n}.dynamicASN: Unsupported value: "sometimes": supported values: "internal", "external"' in err
    assert f"{n}.toReceive.allowed.prefixes[0].le in body should be less than or equal to 128" in err


def test_bgp_session_state_printer_columns(kubectl: Kubectl) -> None:
    state = {
        "apiVersion": "frrk8s.metallb.io/v1beta1",
        "kind": "BGPSessionState",
        "metadata": {
            "generateName": "node1-",
            "namespace": "frr-k8s-system",
            "labels": {"frrk8s.metallb.io/node": "node1"},
        },
    }
    name = kubectl("create", "-f", "-", "-o", "name", stdin=dump(state)).strip().split("/")[1]
    kubectl(
        "patch",
        "bgpsessionstate",
        name,
        "-n",
        "frr-k8s-system",
        "--subresource=status",
        "--type=merge",
        "-p",
        yaml.safe_dump(
            {
                "status": {
                    "node": "node1",
                    "peer": "172.30.0.2",
                    "vrf": "",
                    "bgpStatus": "Established",
                    "bfdStatus": "N/A",
                    "acceptedPrefixes": 1,
                }
            }
        ),
    )
    table = kubectl("get", "bgpsessionstates", "-n", "frr-k8s-system").splitlines()
    assert table[0].split() == ["NAME", "NODE", "PEER", "VRF", "BGP", "BFD"]
    assert table[1].split() == [name, "node1", "172.30.0.2", "Established", "N/A"]


def test_node_state_is_cluster_scoped(kubectl: Kubectl) -> None:
    state = {"apiVersion": "frrk8s.metallb.io/v1beta1", "kind": "FRRNodeState", "metadata": {"name": "node1"}}
    kubectl("apply", "-f", "-", stdin=dump(state))
    assert kubectl("get", "frrnodestates", "-o", "name").split() == ["frrnodestate.frrk8s.metallb.io/node1"]
