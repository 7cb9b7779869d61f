"""`frrnode metallb render` and `frrnode validate` / `frrnode render` with MetalLB objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from mlb_corpus import CORPUS
from mlb_helpers import adv, endpoints, node, peer, pool, service
from pl_helpers import config, neighbor, router
from typer.testing import CliRunner

from frrnode.cli import app

runner = CliRunner()
CASE = CORPUS / "frrk8s" / "TestLargeCommunities"
NS = ["--metallb-namespace", "testnamespace"]


def extras(text: str) -> dict[str, Any]:
    meta = {"name": "bgpextras", "namespace": "metallb-system"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"extras": text}}


def write(tmp_path: Path, name: str, *docs: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs))
    return path


def test_render_prints_metallbs_object() -> None:
    result = runner.invoke(
        app,
        [
            "metallb",
            "render",
            str(CASE / "input.yaml"),
            "--node",
            "testnodename",
            *NS,
            "--frrk8s-namespace",
            "testnamespace",
        ],
    )
    assert result.exit_code == 0, result.stderr
    obj = yaml.safe_load(result.stdout)
    expected = json.loads((CASE / "expected_api.yaml").read_text())
    assert (obj["apiVersion"], obj["kind"]) == ("frrk8s.metallb.io/v1beta1", "FRRConfiguration")
    assert obj["metadata"] == expected["metadata"] and obj["spec"] == expected["spec"]


def test_render_json_is_the_golden_format() -> None:
    args = [
        "metallb",
        "render",
        str(CASE / "input.yaml"),
        "--node",
        "testnodename",
        *NS,
        "--json",
        "--frrk8s-namespace",
        "testnamespace",
    ]
    result = runner.invoke(app, args)
    assert result.stdout == (CASE / "expected_api.yaml").read_text() + "\n"


def test_render_native_appends_bgpextras(tmp_path: Path) -> None:
    write(
        tmp_path,
        "m.yaml",
        node("n1"),
        peer("r1", "172.30.0.2"),
        extras("route-map 172.30.0.2-in permit 20\n  match ip address prefix-list allowed"),
    )
    result = runner.invoke(app, ["metallb", "render", str(tmp_path), "--node", "n1", "--native"])
    assert result.exit_code == 0, result.stderr
    assert "route-map 172.30.0.2-in deny 20\n" in result.stdout
    assert result.stdout.endswith(
        "\n\nroute-map 172.30.0.2-in permit 20\n  match ip address prefix-list allowed\n"
    )
    assert "hostname n1\n" in result.stdout


def test_frrk8s_mode_refuses_bgpextras(tmp_path: Path) -> None:
    write(
        tmp_path, "m.yaml", node("n1"), peer("r1", "172.30.0.2"), extras("route-map 172.30.0.2-in permit 20")
    )
    result = runner.invoke(app, ["metallb", "render", str(tmp_path), "--node", "n1"])
    assert result.exit_code == 1
    assert "frrnode migrate bgpextras" in " ".join(result.stderr.split())


def test_validate_names_file_object_and_field(tmp_path: Path) -> None:
    write(
        tmp_path,
        "metallb.yaml",
        node("n1"),
        pool("p", "192.0.2.0/24"),
        peer("r1", "172.30.0.2", holdTime="2s"),
    )
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    err = " ".join(result.stderr.split())
    assert f"{tmp_path}/metallb.yaml#2 BGPPeer/metallb-system/r1 spec.holdTime: invalid hold time 2s" in err


def test_validate_merges_metallbs_object_with_the_users(tmp_path: Path) -> None:
    """A user object giving MetalLB's peer another ASN: MetalLB's webhooks never see it."""
    write(
        tmp_path, "metallb.yaml", node("n1"), pool("p", "192.0.2.0/24"), peer("r1", "172.30.0.2", asn=64513)
    )
    user = {
        "apiVersion": "frrk8s.metallb.io/v1beta1",
        "kind": "FRRConfiguration",
        "metadata": {"name": "receive", "namespace": "frr-k8s-system"},
        "spec": {
            "bgp": {
                "routers": [
                    {
                        "asn": 64512,
                        "neighbors": [
                            {"address": "172.30.0.2", "asn": 64999, "toReceive": {"allowed": {"mode": "all"}}}
                        ],
                    }
                ]
            }
        },
    }
    write(tmp_path, "user.yaml", user)
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    err = " ".join(result.stderr.split())
    assert "conflict between FRRConfiguration/frr-k8s-system/metallb-n1" in err
    assert "64513 != 64999" in err or "64999 != 64513" in err


def test_validate_ok_counts_metallb_objects(tmp_path: Path) -> None:
    write(
        tmp_path,
        "metallb.yaml",
        node("n1"),
        pool("p", "192.0.2.0/24"),
        peer("r1", "172.30.0.2"),
        adv("a"),
        service("s"),
        endpoints("s", "n1"),
    )
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    # The summary line goes to stdout.
    assert "1 IPAddressPool(s), 1 BGPAdvertisement(s), 1 BGPPeer(s), 1 Service(s)" in result.stdout


def test_render_includes_metallbs_announcements(tmp_path: Path) -> None:
    write(
        tmp_path,
        "metallb.yaml",
        node("n1"),
        pool("p", "192.0.2.0/24"),
        peer("r1", "172.30.0.2"),
        adv("a"),
        service("s", annotations={"metallb.io/loadBalancerIPs": "192.0.2.10"}),
        endpoints("s", "n1"),
    )
    result = runner.invoke(app, ["render", str(tmp_path), "--node", "n1"])
    assert result.exit_code == 0, result.stderr
    assert "ip prefix-list 172.30.0.2-allowed-ipv4 seq 1 permit 192.0.2.10/32" in result.stdout
    assert "network 192.0.2.10/32" in result.stdout


def test_render_reads_as_the_nodes_agent_with_metallbs_stage(tmp_path: Path) -> None:
    """`render` filters as the node's agent does (another node's invalid FRRConfiguration is not
    its problem) and keeps what MetalLB's stage needs: its objects, the Service and its
    EndpointSlice, and the other Nodes' labels: two advertisements of one pool with different
    localPref are refused once another node (n2) has both."""
    write(
        tmp_path,
        "metallb.yaml",
        pool("p", "192.0.2.0/24"),
        peer("r1", "172.30.0.2"),
        adv("a", ipAddressPools=["p"], localPref=100, nodeSelectors=[{"matchLabels": {"z": "a"}}]),
        adv("b", ipAddressPools=["p"], localPref=200, nodeSelectors=[{"matchLabels": {"x": "1"}}]),
        service("s", annotations={"metallb.io/loadBalancerIPs": "192.0.2.10"}),
        endpoints("s", "n1"),
    )
    on_n2 = {"matchLabels": {"kubernetes.io/hostname": "n2"}}
    write(tmp_path, "other.yaml", config("other", router(neighbor(typo=1)), selector=on_n2))
    write(tmp_path, "nodes.yaml", node("n1", z="a"), node("n2", z="b"))
    result = runner.invoke(app, ["render", str(tmp_path), "--node", "n1"])
    assert result.exit_code == 0, result.stderr
    assert "network 192.0.2.10/32" in result.stdout

    write(tmp_path, "nodes.yaml", node("n1", z="a"), node("n2", z="a", x="1"))
    result = runner.invoke(app, ["render", str(tmp_path), "--node", "n1"])
    assert result.exit_code == 1
    assert "local preference" in result.stderr

    # MetalLB's objects are always validated: an invalid one blocks every node.
    write(tmp_path, "nodes.yaml", node("n1", z="a"), node("n2", z="b"))
    write(tmp_path, "bad.yaml", pool("q", "192.0.2.0/24", typo=1))
    result = runner.invoke(app, ["render", str(tmp_path), "--node", "n1"])
    assert result.exit_code == 1
    assert "IPAddressPool/metallb-system/q spec.typo" in " ".join(result.stderr.split())


def test_validate_warns_about_ignored_fields(tmp_path: Path) -> None:
    write(
        tmp_path, "m.yaml", node("n1"), peer("r1", "172.30.0.2", sourceAddress="172.30.0.1", disableMP=True)
    )
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    err = " ".join(result.stderr.split())
    assert "warning BGPPeer/metallb-system/r1 spec.disableMP: deprecated, it has no effect" in err
    assert "warning BGPPeer/metallb-system/r1 spec.sourceAddress: ignored in frr-k8s mode" in err


def test_validate_refuses_metallb_objects_outside_its_namespace(tmp_path: Path) -> None:
    elsewhere = pool("p", "192.0.2.0/24")
    elsewhere["metadata"]["namespace"] = "default"
    write(tmp_path, "m.yaml", node("n1"), elsewhere)
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    err = " ".join(result.stderr.split())
    assert (
        "IPAddressPool/default/p metadata.namespace: MetalLB objects must be in namespace 'metallb-system'"
        in err
    )
