"""KubernetesSource: no snapshot before every cache synced, none for other nodes' objects, the
Node's labels re-evaluated (with a relist when a dropped body is needed)."""

from __future__ import annotations

import asyncio
from typing import Any

from kube_fakes import FakeListWatch

from frrnode.agent.sources import Snapshot
from frrnode.kube.source import KubernetesSource

NS = "frr-k8s-system"


def spec(selector: dict[str, str], asn: int = 64512) -> dict[str, Any]:
    return {
        "nodeSelector": {"matchLabels": selector},
        "bgp": {"routers": [{"asn": asn, "neighbors": [{"address": "172.30.0.2", "asn": 64513}]}]},
    }


class World:
    def __init__(self) -> None:
        self.configs = FakeListWatch("FRRConfiguration")
        self.secrets = FakeListWatch("Secret")
        self.node = FakeListWatch("Node")
        self.frrk8s = FakeListWatch("FRRK8sConfiguration")
        self.node.put("n1", namespace="", metadata_labels=None)
        self.node.objects[("", "n1")]["metadata"]["labels"] = {"zone": "a"}
        self.source = KubernetesSource("n1", NS, self.configs, self.secrets, self.node, self.frrk8s)
        self.got: list[Snapshot] = []

    async def consume(self) -> None:
        async for snap in self.source.snapshots():
            self.got.append(snap)


def names(snap: Snapshot) -> list[str]:
    assert snap.resources is not None, snap.errors
    return sorted(c.metadata.name for c in snap.resources.configurations)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


def test_no_snapshot_until_every_cache_synced_then_only_this_nodes_objects() -> None:
    async def body() -> None:
        w = World()
        for i in range(20):
            w.configs.put(f"node-{i}", spec({"kubernetes.io/hostname": f"n{i}"}), namespace=NS)
        w.configs.put("zone-a", spec({"zone": "a"}), namespace=NS)
        w.secrets.list_failures = 3  # the Secrets cannot be listed for a while
        task = asyncio.create_task(w.consume())
        await settle()
        assert w.got == [] and w.secrets.lists >= 2
        async with asyncio.timeout(5):
            while not w.got:
                await asyncio.sleep(0.01)
        assert names(w.got[0]) == ["node-1", "zone-a"]
        assert len(w.source.configs.bodies) == 2 and len(w.source.configs.selectors) == 21

        # 30 edits to other nodes' objects: not a single snapshot.
        for i in range(30):
            other = 2 + i % 10
            w.configs.put(f"node-{other}", spec({"kubernetes.io/hostname": f"n{other}"}, 64600 + i), NS)
        await settle()
        assert len(w.got) == 1

        # Its own object changes: one new snapshot.
        w.configs.put("node-1", spec({"kubernetes.io/hostname": "n1"}, 64999), namespace=NS)
        await settle()
        assert len(w.got) == 2
        snap = w.got[-1]
        assert snap.resources is not None
        assert {c.spec.bgp.routers[0].asn for c in snap.resources.configurations} == {64999, 64512}
        task.cancel()

    asyncio.run(body())


def test_node_label_change_relists_and_selects_the_dropped_object() -> None:
    async def body() -> None:
        w = World()
        w.configs.put("edge", spec({"role": "edge"}), namespace=NS)
        task = asyncio.create_task(w.consume())
        async with asyncio.timeout(5):
            while not w.got:
                await asyncio.sleep(0.01)
        assert names(w.got[0]) == []
        assert w.source.configs.bodies == {}
        w.node.put("n1", namespace="")
        w.node.objects[("", "n1")]["metadata"]["labels"] = {"role": "edge"}
        w.node.log[-1][2]["metadata"]["labels"] = {"role": "edge"}
        w.node._wake.set()
        async with asyncio.timeout(5):
            while len(w.got) < 2:
                await asyncio.sleep(0.01)
        assert w.configs.lists == 2
        assert all(names(s) in ([], ["edge"]) for s in w.got)
        assert names(w.got[-1]) == ["edge"]
        task.cancel()

    asyncio.run(body())


def test_missing_node_is_a_conversion_error_not_an_empty_world() -> None:
    async def body() -> None:
        w = World()
        w.node.delete("n1", namespace="")
        w.node.log.clear()
        w.configs.put("all", spec({}), namespace=NS)
        task = asyncio.create_task(w.consume())
        async with asyncio.timeout(5):
            while not w.got:
                await asyncio.sleep(0.01)
        assert w.got[0].resources is None
        assert "Node n1 not found" in str(w.got[0].errors[0])
        task.cancel()

    asyncio.run(body())


def test_resync_relists_everything_and_yields_a_snapshot() -> None:
    """`resync()` (SIGHUP): every informer lists again and a snapshot comes even if nothing
    changed; a change the watches never delivered is in it."""

    async def body() -> None:
        w = World()
        w.configs.put("mine", spec({"zone": "a"}), namespace=NS)
        task = asyncio.create_task(w.consume())
        async with asyncio.timeout(5):
            while not w.got:
                await asyncio.sleep(0.01)
        await settle()
        lists = [lw.lists for lw in (w.node, w.configs, w.secrets, w.frrk8s)]
        # An edit the watch missed: in the server's objects, not in its event log.
        w.configs.objects[(NS, "mine")]["spec"] = spec({"zone": "a"}, asn=64999)
        w.source.resync()
        async with asyncio.timeout(5):
            while len(w.got) < 2:
                await asyncio.sleep(0.01)
        assert [lw.lists for lw in (w.node, w.configs, w.secrets, w.frrk8s)] == [n + 1 for n in lists]
        snap = w.got[-1]
        assert snap.resources is not None
        assert [c.spec.bgp.routers[0].asn for c in snap.resources.configurations] == [64999]
        task.cancel()

    asyncio.run(body())
