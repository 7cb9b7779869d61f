"""MetalLB through the cached directory source (the loader and metallb branches together): its
kinds reach the stage, nothing MetalLB needs is dropped by the node filter, the stage runs on
every new snapshot and a touch still parses nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from mlb_helpers import adv, endpoints, node, peer, pool, secret, service
from pl_helpers import config, dump, neighbor, router
from source_helpers import RunningSource, write_atomic

from frrnode.agent.sources import DirectorySource
from frrnode.api.loader import Resources, load_paths
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.metallb.api import KINDS
from frrnode.metallb.resources import Settings as MetalLBSettings
from frrnode.metallb.stage import MetalLBStage
from frrnode.pipeline import Settings, build_node_config

NS = "frr-k8s-system"
MLB = MetalLBSettings(frrk8s_namespace=NS)


def write(path: Path, *docs: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump_all(docs))


def metallb_dir(root: Path) -> None:
    """One object per file, as a kubelet volume or a GitOps checkout would hold them."""
    write(root / "peer-r1.yaml", peer("r1", "172.30.0.2", passwordSecret={"name": "r1-pw"}))
    write(root / "peer-r2.yaml", peer("r2", "172.30.0.3", 64514, nodeSelectors=[{"matchLabels": {"z": "b"}}]))
    write(root / "pool.yaml", pool("demo", "192.0.2.10-192.0.2.19"))
    write(root / "adv.yaml", adv("both", ipAddressPools=["demo"]))
    write(root / "secret.yaml", secret("r1-pw", "s3cret"))
    write(root / "web.yaml", service("web"), endpoints("web", "n2"))  # an endpoint on another node
    write(root / "nodes.yaml", node("n1", z="a"), node("n2", z="b"))
    (root / "receive.yaml").write_text(
        dump(
            config(
                "receive",
                router(
                    neighbor(
                        address="172.30.0.2",
                        asn=64513,
                        password="s3cret",
                        toReceive={"allowed": {"mode": "all"}},
                    ),
                    asn=64512,
                ),
            )
        )
    )


def stage_source(root: Path, stage: MetalLBStage, **kwargs: Any) -> DirectorySource:
    return DirectorySource(
        root,
        namespace=NS,
        node=stage.node,
        extra_kinds=KINDS,
        secret_namespaces=(MLB.namespace,),
        transform=stage.apply,
        **kwargs,
    )


def metallb_config(resources: Resources | None) -> dict[str, Any]:
    assert resources is not None
    [obj] = [c for c in resources.configurations if c.metadata.name == "metallb-n1"]
    return obj.model_dump(by_alias=True, exclude_none=True)


def test_metallb_objects_and_services_reach_the_stage_with_no_skipped_notes(tmp_path: Path) -> None:
    metallb_dir(tmp_path)
    stage = MetalLBStage("n1", MLB)
    snapshot = stage_source(tmp_path, stage).load()
    assert snapshot.resources is not None, snapshot.errors
    # The controller saw the Service, the speaker its EndpointSlice (ready on n2: announced).
    assert [a.ips for a in stage.state.allocations.values()] == [("192.0.2.10",)]
    assert [(a.namespace, a.service, a.peers) for a in stage.state.announcements] == [
        ("default", "web", ("r1",))
    ]
    neighbors = metallb_config(snapshot.resources)["spec"]["bgp"]["routers"][0]["neighbors"]
    assert [n["address"] for n in neighbors] == ["172.30.0.2"]  # r2 selects z=b only
    assert neighbors[0]["password"] == "s3cret"  # the Secret in MetalLB's namespace
    # MetalLB's kinds are not "not used by frrnode", nor its Secret "in another namespace".
    assert snapshot.notes == ()

    # The stage off: the same directory, its kinds skipped with a note each.
    plain = DirectorySource(tmp_path, namespace=NS, node="n1").load()
    assert plain.resources is not None and not plain.resources.extra
    assert sum("not used by frrnode" in n for n in plain.notes) == 6
    assert any("Secret/metallb-system/r1-pw is in namespace" in n for n in plain.notes)


def test_the_node_filter_keeps_what_the_stage_needs(tmp_path: Path) -> None:
    """The cached, node-filtered snapshot gives the stage and the pipeline the same result as
    a full load, also where MetalLB's controller looks at other nodes: two advertisements of
    one pool with different localPref conflict only if a node has both (here n2, another node)."""
    metallb_dir(tmp_path)
    write(
        tmp_path / "adv.yaml",
        adv("a", ipAddressPools=["demo"], localPref=100, nodeSelectors=[{"matchLabels": {"z": "a"}}]),
        adv("b", ipAddressPools=["demo"], localPref=200, nodeSelectors=[{"matchLabels": {"x": "1"}}]),
    )
    for n2 in ({"z": "b"}, {"z": "a", "x": "1"}):
        write(tmp_path / "nodes.yaml", node("n1", z="a"), node("n2", **n2))
        cached_stage, full_stage = MetalLBStage("n1", MLB), MetalLBStage("n1", MLB)
        snapshot = stage_source(tmp_path, cached_stage).load()
        full = full_stage.apply(load_paths([tmp_path], default_namespace=NS, extra_kinds=KINDS))
        assert snapshot.resources is not None
        assert [str(e) for e in cached_stage.state.controller_errors] == [
            str(e) for e in full_stage.state.controller_errors
        ]
        assert cached_stage.state.allocations == full_stage.state.allocations
        settings = Settings("n1", namespace=NS)
        assert build_node_config(snapshot.resources, settings) == build_node_config(full, settings)
    assert "local preference" in str(full_stage.state.controller_errors)  # n2 with both: rejected
    # Other nodes are kept for their labels only.
    assert snapshot.resources is not None
    assert {n.name: n.labels for n in snapshot.resources.nodes}["n2"]["x"] == "1"


def test_the_stage_runs_on_every_new_snapshot_and_a_touch_parses_nothing(tmp_path: Path) -> None:
    metallb_dir(tmp_path)
    stage = MetalLBStage("n1", MLB)
    src = stage_source(tmp_path, stage, resync=0.5)
    with RunningSource(src) as run:
        run.next()
        parses, passes = src.cache.parses, stage.state.passes
        assert passes == 1
        (tmp_path / "web.yaml").touch()
        time.sleep(1.5)  # the touch and a few resyncs
        assert (src.cache.parses, stage.state.passes) == (parses, passes)
        # A second Service: the new snapshot goes through the stage, which gives it an IP.
        write_atomic(tmp_path / "db.yaml", yaml.safe_dump(service("db")))
        run.wait_for(lambda s: len(stage.state.allocations) == 2)
        assert stage.state.passes == passes + 1 and src.cache.parses == parses + 1


def test_a_transform_error_is_an_error_snapshot(tmp_path: Path) -> None:
    (tmp_path / "receive.yaml").write_text(dump(config("receive", router(neighbor()))))

    def refuse(resources: Resources) -> Resources:
        raise ConfigErrors([ConfigError("refused by the stage")])

    snapshot = DirectorySource(tmp_path, namespace=NS, node="n1", transform=refuse).load()
    assert snapshot.resources is None and "refused by the stage" in str(snapshot.errors[0])
