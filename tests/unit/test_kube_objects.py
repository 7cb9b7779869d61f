"""kube.resources.ObjectCache: API objects read as the manifest loader reads a `List` of them,
each validated once while it does not change (a pass costs what changed)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from frrnode.api.loader import Resources, load_documents
from frrnode.errors import ConfigErrors
from frrnode.kube.resources import ObjectCache
from frrnode.metallb.api import KINDS


def config(name: str, asn: int = 64512, **neighbor: Any) -> dict[str, Any]:
    return {
        "apiVersion": "frrk8s.metallb.io/v1beta1",
        "kind": "FRRConfiguration",
        "metadata": {"name": name, "namespace": "frr-k8s-system", "resourceVersion": "1"},
        "spec": {
            "bgp": {
                "routers": [{"asn": asn, "neighbors": [{"address": "172.30.0.2", "asn": 64513, **neighbor}]}]
            }
        },
    }


def service(name: str, ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": ip}]}},
    }


NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a", "labels": {"zone": "a"}}}
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "pw", "namespace": "frr-k8s-system"},
    "type": "kubernetes.io/basic-auth",
    "data": {"password": "c2VjcmV0"},
}


def as_list(items: list[dict[str, Any]]) -> Resources:
    """What the agent read before: the objects as one JSON `List` document."""
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    return load_documents(text, file="", extra_kinds=KINDS)


def dumped(res: Resources) -> list[Any]:
    groups = (res.configurations, res.secrets, res.nodes, res.extra)
    return [[o.model_dump() for o in group] for group in groups] + [sorted(map(str, res.locations))]


def test_same_objects_as_the_loader_reads_from_a_list() -> None:
    items = [NODE, SECRET, config("a"), config("b", 64512, holdTime="90s"), service("web", "192.0.2.10")]
    assert dumped(ObjectCache(KINDS).resources(items)) == dumped(as_list(items))


def test_same_errors_as_the_loader_reads_from_a_list() -> None:
    items = [NODE, config("a"), config("bad", asn="x"), config("a")]  # a wrong type, a duplicate
    with pytest.raises(ConfigErrors) as ours:
        ObjectCache(KINDS).resources(items)
    with pytest.raises(ConfigErrors) as theirs:
        as_list(items)
    assert [str(e) for e in ours.value.errors] == [str(e) for e in theirs.value.errors]
    assert len(ours.value.errors) == 2


def test_an_unchanged_object_is_not_validated_again_and_stays_the_same_object() -> None:
    cache = ObjectCache(KINDS)
    items = [NODE, config("a"), config("b"), service("web", "192.0.2.10")]
    first = cache.resources(items)
    assert cache.parses == 4
    again = cache.resources([dict(i) for i in items])  # equal dicts (a relist): still no parse
    assert cache.parses == 4
    assert all(x is y for x, y in zip(first.configurations, again.configurations, strict=True))
    assert again.extra[0] is first.extra[0] and again.nodes[0] is first.nodes[0]

    edited = config("b", 64512, holdTime="30s")
    third = cache.resources([NODE, config("a"), edited])  # b changed, the Service is gone
    assert cache.parses == 5
    assert third.configurations[0] is first.configurations[0]
    assert third.configurations[1] is not first.configurations[1]
    assert third.configurations[1].spec.bgp.routers[0].neighbors[0].hold_time == 30 * 10**9  # ns
    assert third.extra == []
