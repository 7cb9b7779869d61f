"""Validating admission through webhooks stored in ValidatingWebhookConfigurations, checked with
the real kubectl: HTTPS with the caBundle, service references (mapped to a local port) and
URLs, AdmissionReview v1 contents, denials and warnings as kubectl prints them, rules and
selectors, failurePolicy Fail/Ignore, timeouts."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apiserver_helpers import WIDGET_CRD, Kubectl, Webhook, dump

from frrnode.lab.apiserver import RunningDouble

NAME = "widgets.validation.example.com"


@pytest.fixture(scope="module")
def webhook(apiserver: RunningDouble, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    kubectl = Kubectl(apiserver.kubeconfig, tmp_path_factory.mktemp("cache"))
    kubectl("apply", "-f", "-", stdin=dump(WIDGET_CRD))
    hook = Webhook(apiserver.double.ca, ["wh.hooks.svc"])
    port = apiserver.call(hook.start(tmp_path_factory.mktemp("webhook")))
    apiserver.set_service_endpoint("wh", "hooks", "127.0.0.1", port)
    yield hook
    apiserver.call(hook.stop())


@pytest.fixture
def hook(webhook: Webhook, kubectl: Kubectl) -> Iterator[Webhook]:
    """The webhook, reset, with no configuration registered after the test."""
    webhook.reviews.clear()
    webhook.decide = lambda _req: {"allowed": True}
    webhook.delay = 0.0
    yield webhook
    kubectl("delete", "validatingwebhookconfigurations", "--all")


def config(apiserver: RunningDouble, **overrides: Any) -> str:
    hook: dict[str, Any] = {
        "name": NAME,
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "failurePolicy": "Fail",
        "clientConfig": {
            "service": {"name": "wh", "namespace": "hooks", "path": "/validate"},
            "caBundle": base64.b64encode(apiserver.double.ca.cert_pem).decode(),
        },
        "rules": [
            {
                "apiGroups": ["example.com"],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["widgets"],
            }
        ],
    }
    hook.update(overrides)
    return dump(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "widgets-validation"},
            "webhooks": [hook],
        }
    )


def widget(name: str, ns: str, size: int = 1, labels: dict[str, str] | None = None) -> str:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return dump({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": meta, "spec": {"size": size}})


def deny(message: str) -> Any:
    return lambda _req: {"allowed": False, "status": {"code": 403, "reason": "Forbidden", "message": message}}


def test_denial_reaches_kubectl_in_the_real_format(
    apiserver: RunningDouble, hook: Webhook, kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-f", "-", stdin=config(apiserver))
    hook.decide = deny("resource is invalid for node n1")
    err = kubectl.fails("apply", "-f", "-", stdin=widget("w", namespace))
    assert (
        f'Error from server (Forbidden): error when creating "STDIN": admission webhook "{NAME}" denied the '
        "request: resource is invalid for node n1"
    ) in err
    assert "NotFound" in kubectl.run("get", "widget", "w", "-n", namespace).stderr


def test_admission_review_contents_and_operations(
    apiserver: RunningDouble, hook: Webhook, kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-f", "-", stdin=config(apiserver))
    kubectl("apply", "-f", "-", stdin=widget("w", namespace, size=1))
    kubectl("apply", "-f", "-", stdin=widget("w", namespace, size=2))
    kubectl("delete", "widget", "w", "-n", namespace)  # DELETE is not in the rules: not sent
    ops = [r["request"]["operation"] for r in hook.reviews]
    assert ops == ["CREATE", "UPDATE"]
    create, update = (r["request"] for r in hook.reviews)
    assert (
        hook.reviews[0]["apiVersion"] == "admission.k8s.io/v1"
        and hook.reviews[0]["kind"] == "AdmissionReview"
    )
    assert create["kind"] == {"group": "example.com", "version": "v1", "kind": "Widget"}
    assert create["resource"] == {"group": "example.com", "version": "v1", "resource": "widgets"}
    assert create["name"] == "w" and create["namespace"] == namespace and create["uid"]
    assert create["object"]["spec"] == {"size": 1, "mode": "a"} and create["oldObject"] is None
    assert create["userInfo"]["username"] == "kubernetes-admin" and create["dryRun"] is False
    assert update["object"]["spec"]["size"] == 2 and update["oldObject"]["spec"]["size"] == 1
    assert update["options"]["kind"] == "UpdateOptions"


def test_status_writes_and_other_kinds_are_not_sent(
    apiserver: RunningDouble, hook: Webhook, kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-f", "-", stdin=config(apiserver))
    kubectl("apply", "-f", "-", stdin=widget("w", namespace))
    kubectl(
        "patch",
        "widget",
        "w",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"phase":"Ready"}}',
    )
    kubectl("create", "configmap", "c", "-n", namespace)
    assert [r["request"]["operation"] for r in hook.reviews] == ["CREATE"]


def test_warnings_are_shown_by_kubectl(
    apiserver: RunningDouble, hook: Webhook, kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-f", "-", stdin=config(apiserver))
    hook.decide = lambda _req: {"allowed": True, "warnings": ["disableMP is deprecated"]}
    out = kubectl.run("apply", "-f", "-", stdin=widget("w", namespace))
    assert out.returncode == 0 and "Warning: disableMP is deprecated" in out.stderr


def test_failure_policy_fail_and_ignore(
    apiserver: RunningDouble, hook: Webhook, kubectl: Kubectl, namespace: str
) -> None:
    broken = {
        "service": {"name": "nobody", "namespace": "hooks", "path": "/validate"},
        "caBundle": base64.b64encode(apiserver.double.ca.cert_pem).decode(),
    }
    kubectl("apply", "-f", "-", stdin=config(apiserver, clientConfig=broken))
    err = kubectl.fails("apply", "-f", "-", stdin=widget("w", namespace))
    assert (
        f'Error from server (InternalError): error when creating "STDIN": Internal error occurred: failed '
        f'calling webhook "{NAME}": failed to call webhook: Post '
        '"https://nobody.hooks.svc:443/validate?timeout=10s"'
    ) in err
    kubectl("apply", "-f", "-", stdin=config(apiserver, clientConfig=broken, failurePolicy="Ignore"))
    kubectl("apply", "-f", "-", stdin=widget("w", namespace))


def test_untrusted_certificate_fails(
    apiserver: RunningDouble, hook: Webhook, kubectl: Kubectl, namespace: str
) -> None:
    from frrnode.tls import CertificateAuthority

    other = CertificateAuthority("someone-else")
    cc = {
        "service": {"name": "wh", "namespace": "hooks", "path": "/validate"},
        "caBundle": base64.b64encode(other.cert_pem).decode(),
    }
    kubectl("apply", "-f", "-", stdin=config(apiserver, clientConfig=cc))
    err = kubectl.fails("apply", "-f", "-", stdin=widget("w", namespace))
    assert "failed calling webhook" in err and "certificate" in err
    assert hook.reviews == []


def test_timeout(apiserver: RunningDouble, hook: Webhook, kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", stdin=config(apiserver, timeoutSeconds=1))
    hook.delay = 3.0
    err = kubectl.fails("apply", "-f", "-", stdin=widget("w", namespace))
    assert "/validate?timeout=1s" in err and "context deadline exceeded" in err


def test_url_client_config_and_selectors(
    apiserver: RunningDouble, hook: Webhook, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    # A URL: the certificate must name the URL's host.
    url_hook = Webhook(apiserver.double.ca, ["127.0.0.1"], path="/check")
    port = apiserver.call(url_hook.start(tmp_path))
    try:
        url_hook.decide = deny("from the url hook")
        cc = {
            "url": f"https://127.0.0.1:{port}/check",
            "caBundle": base64.b64encode(apiserver.double.ca.cert_pem).decode(),
        }
        kubectl(
            "apply",
            "-f",
            "-",
            stdin=config(apiserver, clientConfig=cc, objectSelector={"matchLabels": {"checked": "yes"}}),
        )
        kubectl("apply", "-f", "-", stdin=widget("unchecked", namespace))  # objectSelector does not match
        err = kubectl.fails("apply", "-f", "-", stdin=widget("checked", namespace, labels={"checked": "yes"}))
        assert "denied the request: from the url hook" in err
        assert len(url_hook.reviews) == 1
    finally:
        apiserver.call(url_hook.stop())
    kubectl(
        "apply",
        "-f",
        "-",
        stdin=config(
            apiserver,
            namespaceSelector={
                "matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["elsewhere"]}
                ]
            },
        ),
    )
    hook.decide = deny("never")
    kubectl("apply", "-f", "-", stdin=widget("other-ns", namespace))
    assert hook.reviews == []


def test_dry_run_is_sent_as_dry_run(
    apiserver: RunningDouble, hook: Webhook, kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-f", "-", stdin=config(apiserver))
    kubectl("apply", "--dry-run=server", "-f", "-", stdin=widget("dry", namespace))
    assert [r["request"]["dryRun"] for r in hook.reviews] == [True]
    assert "NotFound" in kubectl.run("get", "widget", "dry", "-n", namespace).stderr
    with_effects = config(apiserver)
    kubectl("apply", "-f", "-", stdin=with_effects.replace("sideEffects: None", "sideEffects: Some"))
    err = kubectl.fails("apply", "--dry-run=server", "-f", "-", stdin=widget("dry", namespace))
    assert "does not support dry run" in err
