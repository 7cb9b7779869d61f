"""The admission webhook: decisions from the informer caches (every error, both objects of a
conflict), AdmissionReview v1 over real HTTPS, /healthz, and certificate reload."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import aiohttp

from frrnode.kube import certs
from frrnode.kube.admission import AdmissionIndex
from frrnode.kube.webhook import WEBHOOK_PATH, WebhookServer

NS = "frr-k8s-system"


def node(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **labels}}}


def config(
    name: str, asn: int, selector: dict[str, str] | None = None, namespace: str = NS, **extra: Any
) -> dict:
    neighbor = {"address": "172.30.0.2", "asn": asn, **extra}
    return {
        "apiVersion": "frrk8s.metallb.io/v1beta1",
        "kind": "FRRConfiguration",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "nodeSelector": {"matchLabels": selector or {}},
            "bgp": {"routers": [{"asn": 64512, "neighbors": [neighbor]}]},
        },
    }


def index() -> AdmissionIndex:
    idx = AdmissionIndex(NS)
    idx.nodes.begin()
    for n in (node("n1", zone="a"), node("n2", zone="b")):
        idx.nodes.stage(n)
    idx.nodes.commit()
    idx.configs.begin()
    idx.configs.stage(config("on-n1", 64513, {"kubernetes.io/hostname": "n1"}))
    idx.configs.commit()
    return idx


def test_conflict_names_both_objects_and_fields() -> None:
    verdict = index().review("CREATE", config("everywhere", 64999))
    assert not verdict.allowed
    assert len(verdict.errors) == 1
    msg = verdict.message
    assert "FRRConfiguration/frr-k8s-system/on-n1 spec.bgp.routers[0].neighbors[0].asn" in msg
    assert "FRRConfiguration/frr-k8s-system/everywhere spec.bgp.routers[0].neighbors[0].asn" in msg
    assert "64999 != 64513" in msg


def test_same_object_targeting_another_node_is_admitted() -> None:
    idx = index()
    assert idx.review("CREATE", config("elsewhere", 64999, {"zone": "b"})).allowed
    # Updating the existing object itself is no conflict with its old version.
    assert idx.review("UPDATE", config("on-n1", 64999, {"kubernetes.io/hostname": "n1"})).allowed
    # Re-targeting an admitted object onto n1 is refused.
    assert not idx.review("UPDATE", config("elsewhere", 64999, {"zone": "a"})).allowed


def test_every_error_of_the_object_with_its_path() -> None:
    bad = config("bad", 64513, {"kubernetes.io/hostname": "n1"})
    bad["spec"]["bgp"]["routers"][0]["prefixes"] = ["not-a-cidr"]
    bad["spec"]["bgp"]["routers"][0]["neighbors"][0]["address"] = "300.1.1.1"
    verdict = index().review("CREATE", bad)
    assert not verdict.allowed and len(verdict.errors) >= 2
    assert "spec.bgp.routers[0].prefixes[0]" in verdict.message
    assert "spec.bgp.routers[0].neighbors[0].address" in verdict.message


def test_misspelt_field_and_selector_errors() -> None:
    typo = config("typo", 64513)
    typo["spec"]["nodeSelector"] = {"labelSelector": {"a": "b"}}
    verdict = index().review("CREATE", typo)
    assert not verdict.allowed and "spec.nodeSelector.labelSelector: unknown field" in verdict.message
    wrong = config("wrong", 64513, {"app": "@"})
    assert "invalid nodeSelector" in index().review("CREATE", wrong).message


def test_missing_secret_is_admitted_delete_always() -> None:
    idx = index()
    ref = config("with-secret", 64513, {"kubernetes.io/hostname": "n1"}, passwordSecret={"name": "nope"})
    assert idx.review("CREATE", ref).allowed
    assert idx.review("DELETE", config("everywhere", 64999)).allowed


def test_deleted_objects_and_nodes_leave_the_caches() -> None:
    idx = index()
    idx.configs.apply("DELETED", config("on-n1", 64513))
    assert idx.review("CREATE", config("everywhere", 64999)).allowed
    idx.configs.apply("ADDED", config("on-n2", 64513, {"kubernetes.io/hostname": "n2"}))
    assert not idx.review("CREATE", config("everywhere", 64999)).allowed
    idx.nodes.apply("DELETED", node("n2"))
    assert idx.review("CREATE", config("everywhere", 64999)).allowed


def test_warnings_disable_mp_and_graceful_restart() -> None:
    idx = index()
    old = config("on-n1", 64513, {"kubernetes.io/hostname": "n1"})
    new = config("on-n1", 64513, {"kubernetes.io/hostname": "n1"}, enableGracefulRestart=True, disableMP=True)
    verdict = idx.review("UPDATE", new, old)
    assert verdict.allowed
    assert any("disableMP is deprecated" in w for w in verdict.warnings)
    assert any("Graceful restart configuration changed" in w for w in verdict.warnings)


def _client_ssl(ca: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca))
    return ctx


def test_https_review_healthz_and_certificate_reload(tmp_path: Path) -> None:
    async def body() -> None:
        certs.write_issued(certs.issue("svc", NS), tmp_path)
        cert = certs.ReloadingCert(tmp_path)
        server = WebhookServer(index(), lambda: True, cert.context, host="127.0.0.1", port=0)
        await server.start()
        base = f"https://localhost:{server.port}"
        first_ca = tmp_path / "first-ca.crt"
        first_ca.write_bytes((tmp_path / certs.CA_FILE).read_bytes())
        try:
            async with aiohttp.ClientSession() as http:
                review = {
                    "apiVersion": "admission.k8s.io/v1",
                    "kind": "AdmissionReview",
                    "request": {
                        "uid": "u-1",
                        "operation": "CREATE",
                        "namespace": NS,
                        "object": config("everywhere", 64999),
                    },
                }
                async with http.post(base + WEBHOOK_PATH, json=review, ssl=_client_ssl(first_ca)) as resp:
                    answer = await resp.json()
                assert answer["kind"] == "AdmissionReview" and answer["response"]["uid"] == "u-1"
                assert answer["response"]["allowed"] is False
                assert answer["response"]["status"]["code"] == 403
                assert "on-n1" in answer["response"]["status"]["message"]
                async with http.get(base + "/healthz", ssl=_client_ssl(first_ca)) as resp:
                    assert resp.status == 200 and await resp.json() == {"status": "ok"}
                async with http.post(base + "/healthz", ssl=_client_ssl(first_ca)) as resp:
                    assert resp.status == 405

                # A new pair (new CA) lands in the directory: served without a restart.
                certs.write_issued(certs.issue("svc", NS), tmp_path)
                assert cert.reload()
            async with aiohttp.ClientSession() as http:
                second_ca = tmp_path / certs.CA_FILE
                async with http.get(base + "/healthz", ssl=_client_ssl(second_ca)) as resp:
                    assert resp.status == 200
                failed = False
                try:
                    async with http.get(base + "/healthz", ssl=_client_ssl(first_ca)) as resp:
                        pass
                except aiohttp.ClientConnectorCertificateError:
                    failed = True
                assert failed, "the old certificate is still served"
        finally:
            await server.stop()

    asyncio.run(body())


def test_many_nodes_merge_once_per_alike_group_and_say_so() -> None:
    idx = AdmissionIndex(NS)
    idx.nodes.begin()
    for i in range(40):
        idx.nodes.stage(node(f"m{i}"))
    idx.nodes.commit()
    idx.configs.begin()
    for i in range(40):
        obj = config(f"own-{i}", 64513, {"kubernetes.io/hostname": f"m{i}"})
        obj["spec"]["bgp"]["routers"][0]["prefixes"] = [f"192.0.2.{i}/32"]  # differs per node
        idx.configs.stage(obj)
    idx.configs.commit()
    ok = idx.review("CREATE", config("all-same-asn", 64513))
    assert ok.allowed and ok.nodes == 40 and ok.merges == 1
    bad = idx.review("CREATE", config("all-other-asn", 64999))
    assert not bad.allowed and bad.merges == 1 and len(bad.errors) == 1
    assert "the same with 39 more object(s) like FRRConfiguration/frr-k8s-system/own-0" in bad.message


def test_existing_conflicts_are_not_blamed_on_a_new_object() -> None:
    idx = index()
    # Two existing objects already disagree on n1 (admitted before the webhook existed).
    idx.configs.apply("ADDED", config("old-conflict", 64777, {"kubernetes.io/hostname": "n1"}))
    unrelated = config("unrelated", 64513, {"kubernetes.io/hostname": "n1"})
    unrelated["spec"]["bgp"]["routers"][0]["neighbors"][0]["address"] = "172.30.0.9"
    verdict = idx.review("CREATE", unrelated)
    assert verdict.allowed, verdict.message
    verdict = idx.review("CREATE", config("third-asn", 64888, {"kubernetes.io/hostname": "n1"}))
    assert not verdict.allowed and "third-asn" in verdict.message
