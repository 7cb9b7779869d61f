"""The self-managed CA bundle goes into the webhook's entry of the ValidatingWebhookConfiguration,
read and replaced through the API server (the double, lightkube as in `frrnode webhook`)."""

from __future__ import annotations

import asyncio
import base64

from apiserver_helpers import Kubectl, dump

from frrnode.kube import certs
from frrnode.kube.client import make_client
from frrnode.lab.apiserver import RunningDouble

NAME = "ca-test-configuration"


def configuration(webhook: str) -> str:
    hook = {
        "name": webhook,
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "clientConfig": {"service": {"name": "svc", "namespace": "frr-k8s-system", "path": "/v"}},
        "rules": [
            {
                "apiGroups": ["example.com"],
                "apiVersions": ["v1"],
                "operations": ["CREATE"],
                "resources": ["nothing"],
            }
        ],
    }
    return dump(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": NAME},
            "webhooks": [hook],
        }
    )


def patch(apiserver: RunningDouble, webhook: str, ca: bytes) -> bool:
    async def body() -> bool:
        client = make_client(apiserver.kubeconfig)
        try:
            return await certs.patch_ca_bundle(client, NAME, webhook, ca)
        finally:
            await client.close()

    return asyncio.run(body())


def test_ca_bundle_is_patched_only_into_the_named_webhook(apiserver: RunningDouble, kubectl: Kubectl) -> None:
    ca = certs.issue("svc", "frr-k8s-system").ca_pem
    assert not patch(apiserver, "frrconfigurationsvalidationwebhook.metallb.io", ca)  # no such object
    kubectl.apply(configuration("someone-else.example.com"))
    # The object exists but has no entry of that name: nothing patched, and it says so.
    assert not patch(apiserver, "frrconfigurationsvalidationwebhook.metallb.io", ca)
    kubectl.apply(configuration("frrconfigurationsvalidationwebhook.metallb.io"))
    assert patch(apiserver, "frrconfigurationsvalidationwebhook.metallb.io", ca)
    (hook,) = kubectl.get("validatingwebhookconfiguration", NAME)["webhooks"]
    assert base64.b64decode(hook["clientConfig"]["caBundle"]) == ca


def run(apiserver: RunningDouble, *calls: tuple[str, str]) -> list[certs.Issued]:
    """`load_or_issue(service, namespace)` for each call, all at once, through the double."""

    async def body() -> list[certs.Issued]:
        client = make_client(apiserver.kubeconfig)
        try:
            return list(await asyncio.gather(*(certs.load_or_issue(client, svc, ns) for svc, ns in calls)))
        finally:
            await client.close()

    return asyncio.run(body())


def kept(kubectl: Kubectl, namespace: str) -> tuple[bytes, str]:
    secret = kubectl.get("secret", certs.SECRET_NAME, "-n", namespace)
    return base64.b64decode(secret["data"]["ca.crt"]), secret["metadata"]["resourceVersion"]


def test_the_self_managed_certificate_is_kept_in_a_secret(apiserver: RunningDouble, kubectl: Kubectl) -> None:
    """A restarted webhook serves the certificate the API server already trusts (no window in
    which the configuration's CA bundle and the served certificate disagree); a certificate
    that is about to expire, or is for another Service, is replaced."""
    ns = "ca-kept"
    kubectl("create", "namespace", ns)
    (first,) = run(apiserver, ("svc", ns))
    ca, version = kept(kubectl, ns)
    assert ca == first.ca_pem
    (again,) = run(apiserver, ("svc", ns))  # a restart
    assert again == first and kept(kubectl, ns) == (ca, version)  # read, not written

    (other,) = run(apiserver, ("other-svc", ns))  # renamed Service: its names are not in the SAN
    assert other.ca_pem != ca and kept(kubectl, ns)[0] == other.ca_pem

    expiring = certs.issue("svc", ns, days=10)
    data = {"tls.crt": expiring.cert_pem, "tls.key": expiring.key_pem, "ca.crt": expiring.ca_pem}
    kubectl("delete", "secret", certs.SECRET_NAME, "-n", ns)
    kubectl.apply(
        dump(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": certs.SECRET_NAME, "namespace": ns},
                "type": "kubernetes.io/tls",
                "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
            }
        )
    )
    (renewed,) = run(apiserver, ("svc", ns))
    assert renewed.ca_pem != expiring.ca_pem and kept(kubectl, ns)[0] == renewed.ca_pem


def test_two_webhooks_starting_at_once_end_with_one_certificate(
    apiserver: RunningDouble, kubectl: Kubectl
) -> None:
    ns = "ca-race"
    kubectl("create", "namespace", ns)
    one, two = run(apiserver, ("svc", ns), ("svc", ns))
    assert one == two and kept(kubectl, ns)[0] == one.ca_pem
