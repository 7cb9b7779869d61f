"""The in-cluster configuration (`make_client` without --kubeconfig, as in the DaemonSet) against
the API-server double: the service-account directory kubelet mounts (token, namespace, ca.crt),
the API server from KUBERNETES_SERVICE_HOST/PORT, and a token that kubelet rotates while the
agent runs (bound tokens last about an hour; the old one stops working)."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace, Secret

from frrnode.kube.client import make_client
from frrnode.lab.apiserver import RunningDouble
from frrnode.lab.apiserver.server import ADMIN

NAMESPACE = "frr-k8s-incluster"


@pytest.fixture
def service_account(apiserver: RunningDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount, and the env it sets;
    KUBECONFIG points nowhere, so a broken in-cluster path cannot fall back to another config."""
    token = secrets.token_hex(16)
    apiserver.sync(apiserver.double.http_knobs.tokens.__setitem__, token, ADMIN)
    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    (sa / "token").write_text(token)
    (sa / "namespace").write_text(NAMESPACE)
    (sa / "ca.crt").write_bytes(apiserver.double.ca.cert_pem)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", apiserver.double.host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(apiserver.double.port))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    return sa


def test_in_cluster_client_uses_the_service_account_and_survives_token_rotation(
    apiserver: RunningDouble, service_account: Path
) -> None:
    tokens = apiserver.double.http_knobs.tokens
    old = (service_account / "token").read_text()

    async def main() -> None:
        client = make_client(service_account=service_account)
        try:
            await client.create(Namespace(metadata=ObjectMeta(name=NAMESPACE)))
            # No namespace given: the service account's namespace is the default.
            await client.create(Secret(metadata=ObjectMeta(name="before"), stringData={"password": "x"}))
            assert (await client.get(Secret, "before", namespace=NAMESPACE)).metadata.namespace == NAMESPACE

            # kubelet writes a new token; the old one is revoked. The next request gets a 401,
            # the client reads the file again and retries with the new token.
            new = secrets.token_hex(16)
            apiserver.sync(tokens.__setitem__, new, ADMIN)
            (service_account / "token").write_text(new)
            apiserver.sync(tokens.pop, old)
            got = await client.get(Secret, "before")
            assert got.metadata.name == "before"
            await client.create(Secret(metadata=ObjectMeta(name="after"), stringData={"password": "y"}))

            # A token that is revoked and not replaced is an error, not a silent success.
            apiserver.sync(tokens.pop, new)
            with pytest.raises(ApiError) as info:
                await client.get(Secret, "after")
            assert info.value.status.code == 401
        finally:
            await client.close()

    asyncio.run(main())
