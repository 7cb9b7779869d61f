"""Loading manifests: multi-document files, directories, error locations and paths, core kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from frrnode.api.core import Secret
from frrnode.api.loader import json_path, load_documents, load_paths
from frrnode.errors import ConfigErrors, Location
from frrnode.model import ObjectRef

FRRC = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: {name}
  namespace: frr-k8s-system
spec:
  bgp:
    routers:
    - asn: 65000
      neighbors:
      - address: 192.168.1.2
        asn: {asn}
"""


def test_multi_document_string() -> None:
    text = (
        FRRC.format(name="a", asn=1)
        + "---\n"
        + FRRC.format(name="b", asn=2)
        + "---\n"
        + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
    )
    res = load_documents(text, "x.yaml")
    assert [c.metadata.name for c in res.configurations] == ["a", "b"]
    assert res.locations[ObjectRef("FRRConfiguration", "frr-k8s-system", "b")] == Location("x.yaml", 1)
    assert len(res.notes) == 1 and "ConfigMap" in res.notes[0]


def test_error_has_file_document_object_and_path() -> None:
    text = FRRC.format(name="a", asn=1) + "---\n" + FRRC.format(name="b", asn='"x"')
    with pytest.raises(ConfigErrors) as exc:
        load_documents(text, "f.yaml")
    [error] = exc.value.errors
    assert error.location == Location("f.yaml", 1)
    assert error.obj == ObjectRef("FRRConfiguration", "frr-k8s-system", "b")
    assert error.path == "spec.bgp.routers[0].neighbors[0].asn"
    assert str(error).startswith(
        "f.yaml#1 FRRConfiguration/frr-k8s-system/b spec.bgp.routers[0].neighbors[0].asn:"
    )


def test_all_errors_collected_across_documents() -> None:
    bad = FRRC.format(name="a", asn=1).replace("asn: 1", "asn: 1\n        typo: 2")
    text = bad + "---\n" + FRRC.format(name="b", asn=-1) + "---\n- not a mapping\n---\nkind: X\n"
    with pytest.raises(ConfigErrors) as exc:
        load_documents(text, "f.yaml")
    got = [(e.location.document, e.path) for e in exc.value.errors]
    assert got == [
        (0, "spec.bgp.routers[0].neighbors[0].typo"),
        (1, "spec.bgp.routers[0].neighbors[0].asn"),
        (2, ""),
        (3, ""),
    ]
    assert exc.value.errors[0].message == "unknown field"


def test_directory_sorted_recursive_yaml_only(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.yaml").write_text(FRRC.format(name="b", asn=1))
    (tmp_path / "a.yml").write_text(FRRC.format(name="a", asn=1))
    (tmp_path / "sub" / "c.yaml").write_text(FRRC.format(name="c", asn=1))
    (tmp_path / "ignored.txt").write_text("not yaml: [")
    res = load_paths([tmp_path])
    assert [c.metadata.name for c in res.configurations] == ["a", "b", "c"]


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: [\n")
    with pytest.raises(ConfigErrors) as exc:
        load_paths([path])
    assert "invalid YAML (line" in exc.value.errors[0].message
    assert exc.value.errors[0].location.file == str(path)


def test_invalid_yaml_in_a_later_document_names_it() -> None:
    with pytest.raises(ConfigErrors) as exc:
        load_documents(FRRC.format(name="a", asn=1) + "---\na: [\n", "f.yaml")
    assert [e.location for e in exc.value.errors] == [Location("f.yaml", 1)]


def test_duplicate_object_is_an_error() -> None:
    text = FRRC.format(name="a", asn=1) + "---\n" + FRRC.format(name="a", asn=2)
    with pytest.raises(ConfigErrors) as exc:
        load_documents(text, "f.yaml")
    assert "duplicate object" in exc.value.errors[0].message


def test_wrong_api_version_for_known_kind() -> None:
    text = FRRC.format(name="a", asn=1).replace("v1beta1", "v1alpha1")
    with pytest.raises(ConfigErrors) as exc:
        load_documents(text)
    assert exc.value.errors[0].path == "apiVersion"


def test_communities_are_not_sexagesimal() -> None:
    # YAML 1.1 reads 65000:10 as a base-60 integer; the Kubernetes YAML reader does not.
    text = (
        FRRC.format(name="a", asn=1)
        + "        toAdvertise:\n          withCommunity:\n"
        + ("          - community: 65000:10\n            prefixes: [10.0.0.0/24]\n")
    )
    res = load_documents(text)
    community = res.configurations[0].spec.bgp.routers[0].neighbors[0].to_advertise.with_community[0]
    assert community.community == "65000:10"


def test_list_kind_and_default_namespace() -> None:
    text = """\
apiVersion: v1
kind: List
items:
- apiVersion: frrk8s.metallb.io/v1beta1
  kind: FRRConfiguration
  metadata: {name: a}
- apiVersion: v1
  kind: Node
  metadata: {name: n1, labels: {zone: a}}
  status: {addresses: []}
"""
    res = load_documents(text, default_namespace="frr-k8s-system")
    assert res.configurations[0].metadata.namespace == "frr-k8s-system"
    assert res.nodes[0].labels == {"zone": "a"} and res.nodes[0].metadata.namespace == ""


def test_secret_data_and_string_data() -> None:
    text = """\
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: frr-k8s-system}
type: kubernetes.io/basic-auth
data: {password: cHc=, other: eA==}
stringData: {other: y}
"""
    secret = load_documents(text).secrets[0]
    assert isinstance(secret, Secret)
    assert secret.get("password") == b"pw" and secret.get("other") == b"y" and secret.get("none") is None
    with pytest.raises(ConfigErrors) as exc:
        load_documents(text.replace("cHc=", "not base64!"))
    assert exc.value.errors[0].path == "data"


def test_invalid_object_names() -> None:
    with pytest.raises(ConfigErrors) as exc:
        load_documents(FRRC.format(name="Bad_Name", asn=1))
    assert exc.value.errors[0].path == "metadata.name"


def test_json_path() -> None:
    assert (
        json_path(("spec", "bgp", "routers", 0, "neighbors", 1, "asn"))
        == "spec.bgp.routers[0].neighbors[1].asn"
    )
    assert json_path(("spec", "x", "function-after[_check(), str]")) == "spec.x"
    assert json_path(("metadata", "labels", "a.b/c")) == "metadata.labels['a.b/c']"
