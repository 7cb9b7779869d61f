"""The double driven by the real kubectl: discovery of CRD kinds, apply/get/label/delete, watch,
server-side field validation, printer columns, cluster-scoped kinds, errors as kubectl shows them."""

from __future__ import annotations

import pytest
import yaml
from apiserver_helpers import GADGET_CRD, WIDGET_CRD, Kubectl, dump, wait_for

from frrnode.lab.apiserver import RunningDouble


@pytest.fixture(scope="module", autouse=True)
def crds(apiserver: RunningDouble, tmp_path_factory: pytest.TempPathFactory) -> None:
    kubectl = Kubectl(apiserver.kubeconfig, tmp_path_factory.mktemp("cache"))
    kubectl("apply", "-f", "-", stdin=dump(WIDGET_CRD, GADGET_CRD))


def widget(name: str, ns: str, **spec: object) -> str:
    return dump(
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": name, "namespace": ns},
            "spec": spec,
        }
    )


def test_discovery_lists_crd_kinds(kubectl: Kubectl) -> None:
    out = kubectl("api-resources", "--api-group=example.com", "-o", "wide")
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "widgets" in lines and "wd" in lines["widgets"] and "true" in lines["widgets"]
    assert "gadgets" in lines and "false" in lines["gadgets"]
    assert "Established" in kubectl(
        "get", "crd", "widgets.example.com", "-o", "jsonpath={.status.conditions[*].type}"
    )
    assert "v1.32" in kubectl("version")


def test_apply_get_label_delete(kubectl: Kubectl, namespace: str) -> None:
    assert "widget.example.com/w1 created" in kubectl(
        "apply", "-f", "-", stdin=widget("w1", namespace, size=3)
    )
    obj = kubectl.get("widget", "w1", "-n", namespace)
    meta = obj["metadata"]
    assert obj["spec"] == {"size": 3, "mode": "a"}  # the schema default was applied
    assert meta["generation"] == 1 and meta["uid"] and meta["creationTimestamp"] and meta["resourceVersion"]
    assert "kubectl.kubernetes.io/last-applied-configuration" in meta["annotations"]

    assert "unchanged" in kubectl("apply", "-f", "-", stdin=widget("w1", namespace, size=3))
    assert "configured" in kubectl("apply", "-f", "-", stdin=widget("w1", namespace, size=4, tags=["x"]))
    after = kubectl.get("widget", "w1", "-n", namespace)
    assert after["spec"]["size"] == 4 and after["metadata"]["generation"] == 2
    # Removing a field from the applied file removes it from the object (three-way merge patch).
    kubectl("apply", "-f", "-", stdin=widget("w1", namespace, size=4))
    assert "tags" not in kubectl.get("widget", "w1", "-n", namespace)["spec"]

    assert "labeled" in kubectl("label", "widget", "w1", "-n", namespace, "team=blue")
    labelled = kubectl.get("widget", "w1", "-n", namespace)
    assert labelled["metadata"]["labels"] == {"team": "blue"}
    assert labelled["metadata"]["generation"] == 3  # metadata changes do not bump generation
    assert kubectl("get", "wd", "-n", namespace, "-l", "team=blue", "-o", "name").split() == [
        "widget.example.com/w1"
    ]
    assert kubectl("get", "wd", "-n", namespace, "-l", "team!=blue", "-o", "name").split() == []
    assert kubectl(
        "get", "wd", "-n", namespace, "--field-selector", "metadata.name=w1", "-o", "name"
    ).split() == ["widget.example.com/w1"]

    table = kubectl("get", "widgets", "-n", namespace).splitlines()
    assert table[0].split() == ["NAME", "SIZE", "MODE", "PHASE"]
    assert table[1].split() == ["w1", "4", "a"]

    assert 'widget.example.com "w1" deleted' in kubectl("delete", "widget", "w1", "-n", namespace)
    err = kubectl.fails("get", "widget", "w1", "-n", namespace)
    assert 'Error from server (NotFound): widgets.example.com "w1" not found' in err


def test_generation_from_metadata_only_edits_stays(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", stdin=widget("g", namespace, size=1))
    kubectl("annotate", "widget", "g", "-n", namespace, "note=x")
    assert kubectl.get("widget", "g", "-n", namespace)["metadata"]["generation"] == 1


def test_misspelt_field_refused_by_kubectl_apply(kubectl: Kubectl, namespace: str) -> None:
    bad = widget("typo", namespace, size=1, colour="red")
    err = kubectl.fails("apply", "-f", "-", stdin=bad)
    assert (
        'Error from server (BadRequest): error when creating "STDIN": Widget in version "v1" cannot be '
        'handled as a Widget: strict decoding error: unknown field "spec.colour"'
    ) in err
    assert kubectl("get", "widgets", "-n", namespace, "-o", "name").strip() == ""
    # On an existing object the patch is refused too, with the patch path's wording.
    kubectl("apply", "-f", "-", stdin=widget("typo", namespace, size=1))
    err = kubectl.fails("apply", "-f", "-", stdin=bad)
    assert 'strict decoding error: unknown field "spec.colour"' in err
    assert "colour" not in kubectl.get("widget", "typo", "-n", namespace)["spec"]
    # Without strict validation the field is pruned and reported as a warning.
    out = kubectl.run(
        "apply", "--validate=warn", "-f", "-", stdin=widget("loose", namespace, size=1, colour="red")
    )
    assert out.returncode == 0 and 'unknown field "spec.colour"' in out.stderr
    assert "colour" not in kubectl.get("widget", "loose", "-n", namespace)["spec"]
    # Fields under x-kubernetes-preserve-unknown-fields are kept.
    kubectl("apply", "-f", "-", stdin=widget("free", namespace, size=1, extra={"anything": {"goes": 1}}))
    assert kubectl.get("widget", "free", "-n", namespace)["spec"]["extra"] == {"anything": {"goes": 1}}


def test_schema_errors_as_kubectl_shows_them(kubectl: Kubectl, namespace: str) -> None:
    err = kubectl.fails(
        "apply", "-f", "-", stdin=widget("big", namespace, size=11, mode="c", tags=["a", "b", "c"])
    )
    assert 'The Widget "big" is invalid:' in err
    assert "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10" in err
    assert 'spec.mode: Unsupported value: "c": supported values: "a", "b"' in err
    assert "spec.tags: Too many: 3: must have at most 2 items" in err
    err = kubectl.fails("apply", "-f", "-", stdin=widget("nosize", namespace))
    assert "spec.size: Required value" in err
    err = kubectl.fails("apply", "-f", "-", stdin=widget("net", namespace, size=1, cidr="10.0.0.300/24"))
    assert 'spec.cidr in body must be of type cidr: "10.0.0.300/24"' in err
    err = kubectl.fails("apply", "-f", "-", stdin=widget("Bad_Name", namespace, size=1))
    assert 'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain' in err


def test_get_watch_streams_changes(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", stdin=widget("w", namespace, size=1))
    proc = kubectl.popen(
        "get",
        "widgets",
        "-n",
        namespace,
        "--watch",
        "-o",
        'jsonpath={.spec.size}{"\\n"}',
        "--request-timeout=30s",
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "1"  # the initial list
        kubectl("apply", "-f", "-", stdin=widget("w", namespace, size=2))
        assert proc.stdout.readline().strip() == "2"
        kubectl("apply", "-f", "-", stdin=widget("w2", namespace, size=7))
        assert proc.stdout.readline().strip() == "7"
    finally:
        proc.kill()
        proc.wait()


def test_get_watch_table_output(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", stdin=widget("w", namespace, size=1))
    proc = kubectl.popen("get", "widgets", "-n", namespace, "--watch", "--request-timeout=30s")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().split() == ["NAME", "SIZE", "MODE", "PHASE"]
        assert proc.stdout.readline().split() == ["w", "1", "a"]
        kubectl("label", "widget", "w", "-n", namespace, "x=y")
        assert proc.stdout.readline().split() == ["w", "1", "a"]
    finally:
        proc.kill()
        proc.wait()


def test_cluster_scoped_kinds(kubectl: Kubectl) -> None:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kn1", "labels": {"rack": "r1"}}}
    gadget = {
        "apiVersion": "example.com/v1",
        "kind": "Gadget",
        "metadata": {"name": "kn1"},
        "spec": {"a": 1},
        "status": {"lost": True},
    }
    kubectl("apply", "-f", "-", stdin=dump(node, gadget))
    assert kubectl("get", "nodes", "-l", "rack=r1", "-o", "name").split() == ["node/kn1"]
    got = kubectl.get("gadget", "kn1")
    assert "namespace" not in got["metadata"]
    assert "status" not in got  # create ignores the status of a kind with a status subresource
    kubectl("delete", "node", "kn1")
    kubectl("delete", "gadget", "kn1")


def test_namespace_must_exist_and_deleting_it_deletes_its_objects(kubectl: Kubectl) -> None:
    err = kubectl.fails("apply", "-f", "-", stdin=widget("w", "nowhere", size=1))
    assert 'namespaces "nowhere" not found' in err
    kubectl("create", "namespace", "doomed")
    kubectl("apply", "-f", "-", stdin=widget("w", "doomed", size=1))
    kubectl("delete", "namespace", "doomed")
    wait_for(
        "the widget to go with its namespace",
        lambda: "NotFound" in kubectl.run("get", "widget", "w", "-n", "doomed").stderr,
    )


def test_secret_string_data_and_configmap_strategic_merge(kubectl: Kubectl, namespace: str) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": namespace},
        "type": "kubernetes.io/basic-auth",
        "stringData": {"password": "pw"},
    }
    kubectl("apply", "-f", "-", stdin=dump(secret))
    got = kubectl.get("secret", "s", "-n", namespace)
    assert got["data"] == {"password": "cHc="} and "stringData" not in got
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": namespace},
        "data": {"a": "1", "b": "2"},
    }
    kubectl("apply", "-f", "-", stdin=dump(cm))
    cm["data"] = {"a": "1", "c": "3"}
    kubectl("apply", "-f", "-", stdin=dump(cm))
    assert kubectl.get("cm", "c", "-n", namespace)["data"] == {"a": "1", "c": "3"}


def test_generate_name_with_kubectl_create(kubectl: Kubectl, namespace: str) -> None:
    obj = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"generateName": "node1-", "namespace": namespace},
        "spec": {"size": 1},
    }
    out = kubectl("create", "-f", "-", "-o", "name", stdin=dump(obj))
    name = out.strip().split("/")[1]
    assert name.startswith("node1-") and len(name) == len("node1-") + 5
    listed = yaml.safe_load(kubectl("get", "widgets", "-n", namespace, "-o", "yaml"))
    assert [i["metadata"]["name"] for i in listed["items"]] == [name]


def test_apply_of_a_builtin_kind_uses_strategic_merge(kubectl: Kubectl, namespace: str) -> None:
    def deployment(image: str, env: list[dict[str, str]], sidecar: bool) -> str:
        containers: list[dict[str, object]] = [{"name": "main", "image": image, "env": env}]
        if sidecar:
            containers.append({"name": "side", "image": "side:1"})
        return dump(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "d", "namespace": namespace},
                "spec": {
                    "selector": {"matchLabels": {"app": "d"}},
                    "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": containers}},
                },
            }
        )

    kubectl(
        "apply",
        "-f",
        "-",
        stdin=deployment("main:1", [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], True),
    )
    # Someone else adds a container-level field kubectl apply does not own: it must survive.
    kubectl(
        "patch",
        "deployment",
        "d",
        "-n",
        namespace,
        "--type=strategic",
        "-p",
        '{"spec":{"template":{"spec":{"containers":[{"name":"main","workingDir":"/w"}]}}}}',
    )
    kubectl("apply", "-f", "-", stdin=deployment("main:2", [{"name": "B", "value": "3"}], False))
    got = kubectl.get("deployment", "d", "-n", namespace)
    (main,) = got["spec"]["template"]["spec"]["containers"]
    assert main["name"] == "main" and main["image"] == "main:2" and main["workingDir"] == "/w"
    assert main["env"] == [{"name": "B", "value": "3"}]
    assert got["metadata"]["generation"] == 3


def test_owner_references_cascade(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", stdin=widget("owner", namespace, size=1))
    uid = kubectl.get("widget", "owner", "-n", namespace)["metadata"]["uid"]
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "owned",
            "namespace": namespace,
            "ownerReferences": [
                {"apiVersion": "example.com/v1", "kind": "Widget", "name": "owner", "uid": uid}
            ],
        },
    }
    kubectl("apply", "-f", "-", stdin=dump(cm))
    kubectl("delete", "widget", "owner", "-n", namespace)
    assert "NotFound" in kubectl.run("get", "cm", "owned", "-n", namespace).stderr


def test_explain_reads_the_crd_schema(kubectl: Kubectl) -> None:
    out = kubectl("explain", "widgets.spec.mode")
    assert "KIND:       Widget" in out and "FIELD: mode <string>" in out
    assert out.split("ENUM:")[1].split()[:2] == ["a", "b"]
