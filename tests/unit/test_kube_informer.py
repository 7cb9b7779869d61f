"""frrnode.kube.informer and cache: list + watch, bookmarks, 410 -> relist, resumed watches,
and the node-scoped FRRConfiguration cache (bodies only for objects selecting the node)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from kube_fakes import FakeListWatch

from frrnode.agent.runner import Backoff
from frrnode.kube.cache import ObjectStore, SelectedConfigs, slim_node
from frrnode.kube.informer import Informer


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def run(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro())  # type: ignore[arg-type]


def spec_for(node: str | None) -> dict[str, Any]:
    selector = {"matchLabels": {"kubernetes.io/hostname": node}} if node else {}
    return {"nodeSelector": selector, "bgp": {"routers": [{"asn": 64512}]}}


def _informer(lw: FakeListWatch, store: Any, changes: list[int]) -> Informer:
    return Informer(lw, store, lambda: changes.append(1), backoff=Backoff(initial=0.01, maximum=0.05))


def test_list_then_watch_with_bookmarks() -> None:
    async def body() -> None:
        lw = FakeListWatch()
        lw.put("a", spec_for(None))
        store = ObjectStore(lambda o: {"spec": o.get("spec")})
        changes: list[int] = []
        inf = _informer(lw, store, changes)
        task = asyncio.create_task(inf.run())
        await asyncio.wait_for(inf.synced.wait(), 5)
        assert set(store.objects) == {("ns", "a")} and inf.resource_version == "1"
        lw.put("b", spec_for("n1"))
        await until(lambda: ("ns", "b") in store.objects)
        lw.bookmark()
        await until(lambda: inf.resource_version == str(lw.rv))
        assert inf.stats.bookmarks == 1
        lw.delete("a")
        await until(lambda: ("ns", "a") not in store.objects)
        assert lw.lists == 1 and len(changes) == 3  # first list, b added, a deleted (not the bookmark)
        task.cancel()

    run(body)


def test_gone_relists_and_sees_deletions_missed_meanwhile() -> None:
    async def body() -> None:
        lw = FakeListWatch()
        lw.put("a", spec_for(None))
        lw.put("b", spec_for(None))
        store = ObjectStore(lambda o: {"spec": o.get("spec")})
        inf = _informer(lw, store, [])
        task = asyncio.create_task(inf.run())
        await asyncio.wait_for(inf.synced.wait(), 5)
        # The watch breaks; while it is down "a" goes and history is compacted.
        lw.drop_watches(refuse=1)
        lw.delete("a")
        lw.compact()
        await until(lambda: lw.lists == 2)
        await until(lambda: set(store.objects) == {("ns", "b")})
        assert inf.stats.gone == 1
        task.cancel()

    run(body)


def test_dropped_watch_resumes_from_last_version_without_relisting() -> None:
    async def body() -> None:
        lw = FakeListWatch()
        lw.put("a", spec_for(None))
        store = ObjectStore(lambda o: {"spec": o.get("spec")})
        inf = _informer(lw, store, [])
        task = asyncio.create_task(inf.run())
        await asyncio.wait_for(inf.synced.wait(), 5)
        lw.put("b", spec_for(None))
        await until(lambda: ("ns", "b") in store.objects)
        lw.drop_watches(refuse=2)
        lw.put("c", spec_for(None))  # happens while the watch is down
        await until(lambda: ("ns", "c") in store.objects)
        assert lw.lists == 1
        assert lw.watch_from[-1] == "2"  # resumed after "b", not from the list's version
        assert inf.stats.errors >= 3
        task.cancel()

    run(body)


def test_failed_list_keeps_the_informer_unsynced() -> None:
    async def body() -> None:
        lw = FakeListWatch()
        lw.put("a", spec_for(None))
        lw.list_failures = 3
        inf = _informer(lw, ObjectStore(dict), [])
        task = asyncio.create_task(inf.run())
        await until(lambda: lw.lists >= 2)
        assert not inf.synced.is_set()
        await asyncio.wait_for(inf.synced.wait(), 5)
        assert lw.lists == 4
        task.cancel()

    run(body)


def test_backoff_grows_with_jitter_and_caps() -> None:
    b = Backoff(initial=1.0, maximum=8.0)
    delays = [b.next() for _ in range(8)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0
    assert all(4.0 <= d <= 8.0 for d in delays[4:])
    assert len({round(d, 6) for d in delays[4:]}) > 1  # jittered, not a fixed cap
    b.reset()
    assert b.next() <= 1.0


def test_node_heartbeats_are_not_changes() -> None:
    store = ObjectStore(slim_node)
    node = {"metadata": {"name": "n1", "labels": {"a": "1"}}, "status": {"heartbeat": 1}}
    assert store.apply("ADDED", node)
    assert not store.apply("MODIFIED", {**node, "status": {"heartbeat": 2}})
    assert store.apply("MODIFIED", {**node, "metadata": {"name": "n1", "labels": {"a": "2"}}})


def test_selected_configs_keep_bodies_only_for_this_node() -> None:
    cache = SelectedConfigs({"kubernetes.io/hostname": "n1"})
    cache.begin()
    for i in range(50):
        cache.stage({"metadata": {"name": f"o{i}", "namespace": "ns"}, "spec": spec_for(f"n{i}")})
    cache.stage({"metadata": {"name": "all", "namespace": "ns"}, "spec": spec_for(None)})
    assert cache.commit()
    assert set(cache.bodies) == {("ns", "o1"), ("ns", "all")}
    assert len(cache.selectors) == 51
    # Edits to other nodes' objects are no change for this node.
    assert not cache.apply(
        "MODIFIED", {"metadata": {"name": "o7", "namespace": "ns"}, "spec": spec_for("n7")}
    )
    assert not cache.apply("DELETED", {"metadata": {"name": "o8", "namespace": "ns"}})
    # An object moving to this node, and away again, is.
    assert cache.apply("MODIFIED", {"metadata": {"name": "o9", "namespace": "ns"}, "spec": spec_for("n1")})
    assert cache.apply("MODIFIED", {"metadata": {"name": "o9", "namespace": "ns"}, "spec": spec_for("n9")})
    # The node is renamed in its labels: o2's body was dropped, so it must be listed again.
    assert cache.set_labels({"kubernetes.io/hostname": "n2"})
    assert cache.missing_bodies and ("ns", "o1") not in cache.bodies


def test_invalid_selector_is_kept_whole() -> None:
    cache = SelectedConfigs({"kubernetes.io/hostname": "n1"})
    bad = {
        "metadata": {"name": "bad", "namespace": "ns"},
        "spec": {"nodeSelector": {"matchLabels": {"a": "@"}}},
    }
    assert cache.apply("ADDED", bad)
    assert ("ns", "bad") in cache.bodies


@pytest.mark.parametrize("during_list", [False, True])
def test_label_change_relists_before_anything_is_built(during_list: bool) -> None:
    async def body() -> None:
        lw = FakeListWatch()
        lw.put("mine", spec_for("n1"))
        lw.put("other", {"nodeSelector": {"matchLabels": {"role": "edge"}}})
        cache = SelectedConfigs({"kubernetes.io/hostname": "n1"})
        inf = _informer(lw, cache, [])
        task = asyncio.create_task(inf.run())
        if during_list:
            await until(lambda: lw.lists == 1)
        else:
            await asyncio.wait_for(inf.synced.wait(), 5)
        cache.set_labels({"kubernetes.io/hostname": "n1", "role": "edge"})
        if cache.missing_bodies:
            inf.request_relist()
        await until(lambda: inf.synced.is_set() and not cache.missing_bodies)
        assert set(cache.bodies) == {("ns", "mine"), ("ns", "other")}
        task.cancel()

    run(body)


LABEL_SETS = [{}, {"a": "1"}, {"a": "2"}, {"a": "1", "b": "x"}, {"b": "y"}, {"kubernetes.io/hostname": "n1"}]
SELECTORS = [
    {},
    {"matchLabels": {"a": "1"}},
    {"matchLabels": {"a": "1", "b": "x"}},
    {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]},
    {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]},
    {"matchExpressions": [{"key": "b", "operator": "Exists"}]},
    {"matchExpressions": [{"key": "b", "operator": "DoesNotExist"}]},
    {"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "In", "values": ["x"]}]},
]


@pytest.mark.parametrize("selector", SELECTORS)
def test_compact_selector_matches_like_the_pipeline(selector: dict[str, Any]) -> None:
    from frrnode.api.v1beta1 import LabelSelector
    from frrnode.pipeline.select import matches

    cache = SelectedConfigs()
    compact = cache._selector({"spec": {"nodeSelector": selector}})
    model = LabelSelector.model_validate(selector)
    for labels in LABEL_SETS:
        assert compact.selects(labels) == matches(model, labels), (selector, labels)


def test_a_silent_watch_timeout_is_logged_by_its_type(caplog: pytest.LogCaptureFixture) -> None:
    """A half-open connection ends the watch with a bare TimeoutError(): the log says so
    instead of an empty "()"; the watch resumes from the same version."""

    class IdleOnce(FakeListWatch):
        async def watch(self, resource_version: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
            if len(self.watch_from) == 0:
                self.watch_from.append(resource_version)
                raise TimeoutError()
            async for item in super().watch(resource_version):
                yield item

    async def body() -> None:
        lw = IdleOnce()
        inf = _informer(lw, ObjectStore(lambda o: o), [])
        task = asyncio.create_task(inf.run())
        await until(lambda: len(lw.watch_from) >= 2)
        task.cancel()
        assert lw.watch_from[:2] == ["0", "0"]

    with caplog.at_level(logging.WARNING, logger="frrnode.kube.informer"):
        run(body)
    assert "watching fake FRRConfiguration failed (TimeoutError)" in caplog.text
