"""PipelineCache: the agent's per-object reuse gives the same NodeConfig as no cache, translates
only what changed, and keeps nothing of old snapshots alive."""

from __future__ import annotations

import gc
import weakref

import pytest
from pl_helpers import SETTINGS, config, dump, neighbor, router, secret

from frrnode.api.loader import Resources, load_documents
from frrnode.errors import ConfigErrors
from frrnode.pipeline import PipelineCache, Settings, build_node_config

ON_NODE1 = {"matchLabels": {"kubernetes.io/hostname": "node1"}}
ON_NODE2 = {"matchLabels": {"kubernetes.io/hostname": "node2"}}


def load(*docs: dict[str, object]) -> Resources:
    return load_documents(dump(*docs))  # type: ignore[arg-type]


def combine(*parts: Resources) -> Resources:
    out = Resources()
    for part in parts:
        out.configurations += part.configurations
        out.secrets += part.secrets
        out.nodes += part.nodes
    return out


def test_unchanged_objects_are_not_translated_again_and_the_result_is_the_same() -> None:
    resources = load(
        config("a", router(neighbor(address="192.168.1.2")), selector=ON_NODE1),
        config("b", router(neighbor(address="192.168.1.3")), selector=ON_NODE1),
        config("elsewhere", router(neighbor(address="192.168.1.4")), selector=ON_NODE2),
    )
    cache = PipelineCache()
    first = build_node_config(resources, SETTINGS, cache)
    assert (cache.misses, cache.hits) == (2, 0)  # only the 2 objects selecting node1
    second = build_node_config(resources, SETTINGS, cache)
    assert (cache.misses, cache.hits) == (2, 2)
    assert first == second == build_node_config(resources, SETTINGS)


def test_a_new_version_of_an_object_is_translated_again() -> None:
    kept = load(config("a", router(neighbor(address="192.168.1.2")), selector=ON_NODE1))
    cache = PipelineCache()
    build_node_config(
        combine(kept, load(config("b", router(neighbor(address="192.168.1.3", asn=65001))))), SETTINGS, cache
    )
    edited = load(config("b", router(neighbor(address="192.168.1.3", asn=65009))))
    node = build_node_config(combine(kept, edited), SETTINGS, cache)
    assert (cache.misses, cache.hits) == (3, 1)
    assert {n.address: n.remote_as for n in node.routers[0].neighbors}["192.168.1.3"] == "65009"


def test_a_replaced_secret_is_used_at_once() -> None:
    pw_config = load(config("a", router(neighbor(passwordSecret={"name": "s"}))))
    cache = PipelineCache()
    node = build_node_config(combine(pw_config, load(secret("s", "one"))), SETTINGS, cache)
    assert node.routers[0].neighbors[0].password == "one"
    node = build_node_config(combine(pw_config, load(secret("s", "two"))), SETTINGS, cache)
    assert node.routers[0].neighbors[0].password == "two"
    with pytest.raises(ConfigErrors, match="secret s not found"):
        build_node_config(pw_config, SETTINGS, cache)


def test_changed_node_labels_select_again() -> None:
    resources = load(config("a", router(neighbor()), selector={"matchLabels": {"zone": "a"}}))
    cache = PipelineCache()
    zone_a = Settings(node_name="node1", node_labels={"zone": "a"})
    zone_b = Settings(node_name="node1", node_labels={"zone": "b"})
    assert build_node_config(resources, zone_a, cache).routers
    assert not build_node_config(resources, zone_b, cache).routers
    assert build_node_config(resources, zone_a, cache).routers


def test_an_invalid_object_stays_an_error_on_every_pass() -> None:
    resources = load(config("bad", router(neighbor(address="10.0.0.256")), selector=ON_NODE1))
    cache = PipelineCache()
    for _ in range(2):
        with pytest.raises(ConfigErrors, match=r"10\.0\.0\.256"):
            build_node_config(resources, SETTINGS, cache)


def test_the_cache_keeps_no_object_of_an_old_snapshot_alive() -> None:
    cache = PipelineCache()
    old = load(
        config("a", router(neighbor()), selector=ON_NODE1), config("b", router(neighbor()), selector=ON_NODE2)
    )
    watch = [weakref.ref(c) for c in old.configurations]
    build_node_config(old, SETTINGS, cache)
    del old
    gc.collect()
    assert [w() for w in watch] == [None, None]
    # A new object (possibly at a freed address) is never taken for the old one.
    new = load(config("a", router(neighbor(asn=65009)), selector=ON_NODE1))
    assert build_node_config(new, SETTINGS, cache).routers[0].neighbors[0].remote_as == "65009"
