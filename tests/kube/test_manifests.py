"""config/default: renders with kubectl's kustomize, every object validates against the
Kubernetes 1.32 OpenAPI schemas (strict), the shapes the issue asks for are there, RBAC rules
each say why, and the whole set loads into the API-server double through `kubectl apply -k`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from apiserver_helpers import Kubectl

from frrnode.kube import certs

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
K8S_VERSION = "1.32.0"


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    proc = subprocess.run(
        ["kubectl", "kustomize", str(CONFIG / "default")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def one(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} objects"
    return found[0]


def test_every_object_validates_against_kubernetes_schemas(rendered: list[dict[str, Any]]) -> None:
    kinds = sorted({o["kind"] for o in rendered})
    assert kinds == [
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "CustomResourceDefinition",
        "DaemonSet",
        "Deployment",
        "Namespace",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
        "ValidatingWebhookConfiguration",
    ]
    for obj in rendered:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        if obj["kind"] != "Namespace" and obj["kind"] not in (
            "CustomResourceDefinition",
            "ClusterRole",
            "ClusterRoleBinding",
            "ValidatingWebhookConfiguration",
        ):
            assert obj["metadata"]["namespace"] == "frr-k8s-system", obj["metadata"]["name"]


def test_validation_would_catch_a_bad_object(rendered: list[dict[str, Any]]) -> None:
    ds = yaml.safe_load(yaml.safe_dump(one(rendered, "DaemonSet", "frr-k8s-daemon")))
    ds["spec"]["template"]["spec"]["hostNetwrok"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(ds, K8S_VERSION, strict=True)


def _containers(ds: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in ds["spec"]["template"]["spec"]["containers"]}


def test_daemonset_shape(rendered: list[dict[str, Any]]) -> None:
    ds = one(rendered, "DaemonSet", "frr-k8s-daemon")
    pod = ds["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True and pod["serviceAccountName"] == "frr-k8s-daemon"
    assert ds["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "frr-k8s"
    containers = _containers(ds)
    frr, agent = containers["frr"], containers["frrnode"]
    image, _, tag = frr["image"].rpartition(":")
    assert image == "quay.io/frrouting/frr" and tuple(int(x) for x in tag.split(".")[:2]) >= (9, 1)
    mounts = {c: {m["name"]: m["mountPath"] for m in containers[c]["volumeMounts"]} for c in containers}
    for volume, path in (("frr-sockets", "/var/run/frr"), ("frr-conf", "/etc/frr")):
        assert mounts["frr"][volume] == path and mounts["frrnode"][volume] == path
    args = agent["command"]
    assert args[:3] == ["frrnode", "run", "--kubernetes"]
    assert "--node-name=$(NODE_NAME)" in args and "--namespace=$(NAMESPACE)" in args
    env = {e["name"]: e for e in agent["env"]}
    assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert env["NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    port = {p["name"]: p["containerPort"] for p in agent["ports"]}["metrics"]
    assert f"--metrics-address=0.0.0.0:{port}" in args
    assert agent["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "metrics"}
    assert agent["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    startup = one(rendered, "ConfigMap", "frr-k8s-frr-startup")
    assert "bgpd=yes" in startup["data"]["daemons"] and "bfdd=yes" in startup["data"]["daemons"]


def test_webhook_registration_matches_upstream_and_the_service(rendered: list[dict[str, Any]]) -> None:
    vwc = one(rendered, "ValidatingWebhookConfiguration", "frr-k8s-validating-webhook-configuration")
    (hook,) = vwc["webhooks"]
    assert hook["name"] == "frrconfigurationsvalidationwebhook.metallb.io"
    assert hook["rules"] == [
        {
            "apiGroups": ["frrk8s.metallb.io"],
            "apiVersions": ["v1beta1"],
            "operations": ["CREATE", "UPDATE"],
            "resources": ["frrconfigurations"],
        }
    ]
    assert hook["sideEffects"] == "None" and hook["failurePolicy"] == "Fail"
    assert hook["admissionReviewVersions"] == ["v1"]
    svc_ref = hook["clientConfig"]["service"]
    assert svc_ref == {
        "name": "frr-k8s-webhook-service",
        "namespace": "frr-k8s-system",
        "path": "/validate-frrk8s-metallb-io-v1beta1-frrconfiguration",
    }
    svc = one(rendered, "Service", "frr-k8s-webhook-service")
    deploy = one(rendered, "Deployment", "frr-k8s-webhook-server")
    pod = deploy["spec"]["template"]
    assert all(pod["metadata"]["labels"][k] == v for k, v in svc["spec"]["selector"].items())
    (container,) = pod["spec"]["containers"]
    assert svc["spec"]["ports"] == [{"port": 443, "targetPort": "webhook", "protocol": "TCP"}]
    port = {p["name"]: p["containerPort"] for p in container["ports"]}["webhook"]
    args = container["command"]
    assert args[:2] == ["frrnode", "webhook"] and f"--webhook-port={port}" in args
    assert f"--cert-service-name={svc['metadata']['name']}" in args
    assert f"--webhook-configuration={vwc['metadata']['name']}" in args
    assert container["livenessProbe"]["httpGet"]["scheme"] == "HTTPS"
    assert pod["spec"]["serviceAccountName"] == "frr-k8s-webhook"


def _rules(rendered: list[dict[str, Any]], kind: str, name: str) -> set[tuple[str, str, str]]:
    out = set()
    for rule in one(rendered, kind, name)["rules"]:
        for res in rule["resources"]:
            for verb in rule["verbs"]:
                out.add((res, verb, ",".join(rule.get("resourceNames", []))))
    return out


def test_rbac_is_least_privilege(rendered: list[dict[str, Any]]) -> None:
    agent = _rules(rendered, "ClusterRole", "frr-k8s-daemon-role") | _rules(
        rendered, "Role", "frr-k8s-daemon-role"
    )
    read = {"get", "list", "watch"}
    expected_agent = {
        (r, v, "")
        for r in (
            "nodes",
            "frrconfigurations",
            "frrk8sconfigurations",
            "secrets",
            "frrnodestates",
            "bgpsessionstates",
        )
        for v in read
    } | {
        ("frrnodestates", "create", ""),
        ("bgpsessionstates", "create", ""),
        ("bgpsessionstates", "delete", ""),
        ("frrnodestates/status", "update", ""),
        ("bgpsessionstates/status", "update", ""),
    }
    assert agent == expected_agent
    webhook = _rules(rendered, "ClusterRole", "frr-k8s-webhook-role") | _rules(
        rendered, "Role", "frr-k8s-webhook-role"
    )
    vwc = "frr-k8s-validating-webhook-configuration"
    expected_webhook = {
        (r, v, "")
        for r in ("frrconfigurations", "nodes", "frrnodestates", "pods", "bgpsessionstates")
        for v in read
    } | {
        ("validatingwebhookconfigurations", "get", vwc),
        ("validatingwebhookconfigurations", "update", vwc),
        ("frrnodestates", "delete", ""),
        ("bgpsessionstates", "delete", ""),
        # The self-managed certificate's Secret (kube.certs.load_or_issue), in its namespace.
        ("secrets", "create", ""),
        ("secrets", "get", certs.SECRET_NAME),
        ("secrets", "update", certs.SECRET_NAME),
    }
    assert webhook == expected_webhook
    # Namespaced rights are a Role (only the agent namespace), not a ClusterRole.
    assert not any(
        r in ("secrets", "pods")
        for r, _, _ in _rules(rendered, "ClusterRole", "frr-k8s-daemon-role")
        | _rules(rendered, "ClusterRole", "frr-k8s-webhook-role")
    )


def test_every_rbac_rule_says_why() -> None:
    for path in [*sorted((CONFIG / "rbac").glob("*role*.yaml")), CONFIG / "metallb" / "rbac.yaml"]:
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.startswith("- apiGroups:"):
                assert lines[i - 1].lstrip().startswith("#"), f"{path.name}:{i + 1}: a rule without a comment"


def test_dockerfile_uses_the_same_frr_as_the_daemonset(rendered: list[dict[str, Any]]) -> None:
    text = (ROOT / "Dockerfile").read_text()
    match = re.search(r"^ARG FRR_IMAGE=(\S+)$", text, re.M)
    assert match is not None
    assert match.group(1) == _containers(one(rendered, "DaemonSet", "frr-k8s-daemon"))["frr"]["image"]
    assert "pip install --no-cache-dir /src" in text


def test_loads_into_the_api_server_through_kubectl(kubectl: Kubectl, rendered: list[dict[str, Any]]) -> None:
    out = kubectl("apply", "-k", str(CONFIG / "default"))
    assert "daemonset.apps/frr-k8s-daemon created" in out
    assert (
        "validatingwebhookconfiguration.admissionregistration.k8s.io/"
        "frr-k8s-validating-webhook-configuration created" in out
    )
    again = kubectl("apply", "-k", str(CONFIG / "default"))
    assert all(line.endswith("unchanged") for line in again.splitlines()), again
    for obj in rendered:
        kind, name = obj["kind"].lower(), obj["metadata"]["name"]
        ns = ["-n", obj["metadata"]["namespace"]] if "namespace" in obj["metadata"] else []
        got = kubectl.get(kind, name, *ns)
        assert got["metadata"]["uid"]
    # The webhook it registers is called for FRRConfigurations (nobody serves it here: Fail).
    err = kubectl.fails("apply", "-f", str(ROOT / "examples" / "receive-routes.yaml"))
    assert (
        'failed calling webhook "frrconfigurationsvalidationwebhook.metallb.io": failed to call webhook: '
        'Post "https://frr-k8s-webhook-service.frr-k8s-system.svc:443/'
        'validate-frrk8s-metallb-io-v1beta1-frrconfiguration?timeout=10s"'
    ) in err


# ---------------------------------------------------------------- config/metallb: MetalLB's two processes

MLB = "metallb-system"


@pytest.fixture(scope="module")
def rendered_metallb() -> list[dict[str, Any]]:
    proc = subprocess.run(
        ["kubectl", "kustomize", str(CONFIG / "metallb")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def test_metallb_overlay_adds_to_the_default_set_unchanged(
    rendered: list[dict[str, Any]], rendered_metallb: list[dict[str, Any]]
) -> None:
    default = {_key(o): o for o in rendered}
    overlay = {_key(o): o for o in rendered_metallb}
    assert all(overlay[k] == o for k, o in default.items())  # config/default stays FRR-K8s-compatible
    assert sorted(set(overlay) - set(default)) == [
        ("ClusterRole", "", "metallb-controller"),
        ("ClusterRole", "", "metallb-speaker"),
        ("ClusterRoleBinding", "", "metallb-controller"),
        ("ClusterRoleBinding", "", "metallb-speaker"),
        ("DaemonSet", MLB, "speaker"),
        ("Deployment", MLB, "controller"),
        ("Namespace", "", MLB),
        ("Role", "frr-k8s-system", "metallb-speaker"),
        ("Role", MLB, "metallb-controller"),
        ("Role", MLB, "metallb-speaker"),
        ("RoleBinding", "frr-k8s-system", "metallb-speaker"),
        ("RoleBinding", MLB, "metallb-controller"),
        ("RoleBinding", MLB, "metallb-speaker"),
        ("ServiceAccount", MLB, "controller"),
        ("ServiceAccount", MLB, "speaker"),
    ]
    # MetalLB's CRDs come from MetalLB's own release, not from here.
    assert not [
        o
        for o in rendered_metallb
        if o["kind"] == "CustomResourceDefinition" and o["spec"]["group"] == "metallb.io"
    ]
    for obj in rendered_metallb:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_metallb_controller_and_speaker_shape(rendered_metallb: list[dict[str, Any]]) -> None:
    controller = one(rendered_metallb, "Deployment", "controller")
    # No leader election: exactly one, and never two during a rollout.
    assert controller["spec"]["replicas"] == 1 and controller["spec"]["strategy"] == {"type": "Recreate"}
    (c,) = controller["spec"]["template"]["spec"]["containers"]
    assert c["command"][:3] == ["frrnode", "metallb", "controller"]
    assert c["image"] == "frrnode:0.1.0"
    assert controller["spec"]["template"]["spec"]["serviceAccountName"] == "controller"
    speaker = one(rendered_metallb, "DaemonSet", "speaker")
    pod = speaker["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "speaker" and not pod.get("hostNetwork")
    (s,) = pod["containers"]
    assert (
        s["command"][:3] == ["frrnode", "metallb", "speaker"] and "--node-name=$(NODE_NAME)" in s["command"]
    )
    env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in s["env"]}
    assert env == {
        "NODE_NAME": "spec.nodeName",
        "METALLB_NAMESPACE": "metadata.namespace",
        "HOST_IP": "status.hostIP",
    }
    # The agent's metrics port, on the node's address (the agent runs on the host network).
    agent = _containers(one(rendered_metallb, "DaemonSet", "frr-k8s-daemon"))["frrnode"]
    agent_port = {p["name"]: p["containerPort"] for p in agent["ports"]}["metrics"]
    assert f"--agent-metrics=http://$(HOST_IP):{agent_port}/metrics" in s["command"]
    assert "--frrk8s-namespace=frr-k8s-system" in s["command"]
    for container in (c, s):
        port = {p["name"]: p["containerPort"] for p in container["ports"]}["monitoring"]
        assert f"--metrics-address=0.0.0.0:{port}" in container["command"]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "monitoring"}
        assert "--metallb-namespace=$(METALLB_NAMESPACE)" in container["command"]
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] and sc["capabilities"] == {"drop": ["ALL"]} and sc["readOnlyRootFilesystem"]


def _bound(rendered: list[dict[str, Any]], account: str) -> dict[str, set[tuple[str, str]]]:
    """Namespace ('' = cluster-wide) -> (resource, verb) granted to ServiceAccount `account`."""
    out: dict[str, set[tuple[str, str]]] = {}
    for binding in (o for o in rendered if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        if {"kind": "ServiceAccount", "name": account, "namespace": MLB} not in binding["subjects"]:
            continue
        ns = binding["metadata"].get("namespace", "")
        role = one(rendered, binding["roleRef"]["kind"], binding["roleRef"]["name"]) if not ns else next(
            o for o in rendered
            if o["kind"] == "Role" and o["metadata"]["name"] == binding["roleRef"]["name"]
            and o["metadata"]["namespace"] == ns
        )  # fmt: skip
        for rule in role["rules"]:
            out.setdefault(ns, set()).update((r, v) for r in rule["resources"] for v in rule["verbs"])
    return out


def test_metallb_rbac_is_exactly_what_each_process_reads_and_writes(
    rendered_metallb: list[dict[str, Any]],
) -> None:
    """Read rights = the informers the code starts (kube.metallb), nothing more; writes as listed."""
    from frrnode.kube.metallb import Controller, Speaker
    from frrnode.metallb.resources import Settings as MetalLBSettings

    settings = MetalLBSettings()
    read = ("get", "list", "watch")
    state = {
        ("configurationstates", "get"),
        ("configurationstates", "create"),
        ("configurationstates/status", "update"),
    }
    for account, world, writes in (
        (
            "controller",
            Controller(None, settings),  # type: ignore[arg-type]
            {"": {("services", "patch"), ("services/status", "patch")}, MLB: state},
        ),
        (
            "speaker",
            Speaker(None, "n1", settings),  # type: ignore[arg-type]
            {
                MLB: {
                    ("servicebgpstatuses", "create"),
                    ("servicebgpstatuses", "delete"),
                    ("servicebgpstatuses/status", "update"),
                    *state,
                },  # read rights, from its informers: its own statuses and its FRRConfiguration
                "frr-k8s-system": {("frrconfigurations", v) for v in ("create", "update")},
            },
        ),
    ):
        expected: dict[str, set[tuple[str, str]]] = {ns: set(w) for ns, w in writes.items()}
        for informer in world.informers:
            lw = informer.lw
            ns = "" if lw.namespace in (None, "*") else lw.namespace  # type: ignore[attr-defined]
            plural = lw.resource._api_info.plural  # type: ignore[attr-defined]
            expected.setdefault(ns, set()).update((plural, v) for v in read)
        assert _bound(rendered_metallb, account) == expected, account
    # Secrets and ConfigMaps are read in MetalLB's namespace only.
    for name in ("metallb-controller", "metallb-speaker"):
        assert not {"secrets", "configmaps"} & {
            r for r, _, _ in _rules(rendered_metallb, "ClusterRole", name)
        }


def test_metallb_overlay_loads_into_the_api_server_through_kubectl(
    kubectl: Kubectl, rendered_metallb: list[dict[str, Any]]
) -> None:
    # After config/default (the test above): MetalLB's parts are added, the rest is unchanged.
    out = kubectl("apply", "-k", str(CONFIG / "metallb"))
    assert "deployment.apps/controller created" in out and "daemonset.apps/speaker created" in out
    assert "namespace/frr-k8s-system unchanged" in out
    again = kubectl("apply", "-k", str(CONFIG / "metallb"))
    assert all(line.endswith("unchanged") for line in again.splitlines()), again
    for obj in rendered_metallb:
        kind, name = obj["kind"].lower(), obj["metadata"]["name"]
        ns = ["-n", obj["metadata"]["namespace"]] if "namespace" in obj["metadata"] else []
        assert kubectl.get(kind, name, *ns)["metadata"]["uid"]
