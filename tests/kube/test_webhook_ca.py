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
