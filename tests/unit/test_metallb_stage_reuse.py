"""The MetalLB stage in the agent's loop does not defeat the pipeline's per-object cache: a pass
whose MetalLB inputs are the previous pass's objects computes nothing, and an equal result is the
same `metallb-<node>` object, so the pipeline reuses its translation (bench/source.py --metallb
measures the effect at 3,000 nodes)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from mlb_helpers import adv, endpoints, load, node, peer, pool, service
from pl_helpers import config, neighbor, router

from frrnode.api.loader import Resources, load_documents
from frrnode.api.v1beta1 import FRRConfiguration
from frrnode.metallb import embedded, status
from frrnode.metallb.resources import Settings
from frrnode.pipeline import PipelineCache, build_node_config
from frrnode.pipeline import Settings as PipelineSettings

NS = "frr-k8s-system"
SETTINGS = Settings(frrk8s_namespace=NS)
DOCS = [
    node("n1"),
    node("n2"),
    pool("p", "192.0.2.0/28"),
    peer("r1", "172.29.0.2"),
    adv("a"),
    service("web"),
    endpoints("web", "n1"),
]


def metallb_object(resources: Resources) -> FRRConfiguration:
    [obj] = [c for c in resources.configurations if c.metadata.name == "metallb-n1"]
    return obj


def user_object(asn: int) -> Resources:
    import yaml

    doc = config("user", router(neighbor(address="10.9.9.9", asn=asn), asn=64512))
    return load_documents(yaml.safe_dump(doc), default_namespace=NS)


def test_same_inputs_compute_nothing_and_give_the_same_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dumps: list[str] = []
    real_dump = status._dump
    monkeypatch.setattr(status, "_dump", lambda obj: dumps.append(obj["kind"]) or real_dump(obj))
    stage, writer = embedded.build("n1", SETTINGS, tmp_path)
    run = embedded.transform(stage, writer)
    metallb = load(*DOCS)
    cache = PipelineCache()
    settings = PipelineSettings("n1", namespace=NS)

    def snapshot(asn: int) -> Resources:
        """What the directory source hands over: MetalLB's very objects, and a user object."""
        user = user_object(asn)
        return replace(
            metallb, configurations=user.configurations, locations={**metallb.locations, **user.locations}
        )

    first = run(snapshot(65001))
    build_node_config(first, settings, cache)
    assert stage.state.passes == 1 and dumps  # the status files written once
    written, misses = len(dumps), cache.misses

    # Another owner's object changed, nothing MetalLB reads did: no pass, no status written, and
    # the pipeline translates only the changed object.
    second = run(snapshot(65002))
    assert stage.state.passes == 1 and len(dumps) == written
    assert metallb_object(second) is metallb_object(first)
    build_node_config(second, settings, cache)
    assert cache.misses == misses + 1

    # A MetalLB input changed (another node relabeled) without changing the result: a pass, the
    # same object, and no status file serialized again.
    nodes = load(node("n1"), node("n2", zone="b")).nodes
    third = run(replace(snapshot(65002), nodes=nodes))
    assert stage.state.passes == 2 and len(dumps) == written
    assert metallb_object(third) is metallb_object(first)

    # A MetalLB change: a new object, and only what changed is written.
    more = load(*DOCS, service("db"), endpoints("db", "n1"))
    fourth = run(replace(more, configurations=second.configurations[:1]))
    assert stage.state.passes == 3
    assert metallb_object(fourth) is not metallb_object(first)
    assert "192.0.2.1/32" in str(metallb_object(fourth).spec.bgp.routers[0].prefixes)
    assert dumps[written:] == ["Service", "ServiceBGPStatus"]  # db's files; web's unchanged
