"""The double driven by lightkube (the agent's client library): CRUD, generateName, status
subresource, generation, 409s, selectors, pagination, list + watch from a resourceVersion,
bookmarks, 410 Gone after compaction, server-closed watches, an outage and the way back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import httpx2
import pytest
from apiserver_helpers import GADGET_CRD, WIDGET_CRD
from lightkube import AsyncClient, KubeConfig
from lightkube.core.exceptions import ApiError
from lightkube.generic_resource import create_global_resource, create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.core_v1 import Namespace, Node, Secret
from lightkube.types import PatchType

from frrnode.lab.apiserver import RunningDouble

Widget = create_namespaced_resource("example.com", "v1", "Widget", "widgets")
Gadget = create_global_resource("example.com", "v1", "Gadget", "gadgets")


def run(apiserver: RunningDouble, body: Any) -> Any:
    """Run `body(client)` with a fresh lightkube client in this thread's own event loop."""

    async def main() -> Any:
        client = AsyncClient(KubeConfig.from_file(apiserver.kubeconfig), field_manager="test")
        try:
            return await body(client)
        finally:
            await client.close()

    return asyncio.run(main())


@pytest.fixture(scope="module", autouse=True)
def crds(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> None:
        for crd in (WIDGET_CRD, GADGET_CRD):
            await c.create(CustomResourceDefinition.from_dict(crd))
        for ns in ("lk", "other"):
            await c.create(Namespace(metadata=ObjectMeta(name=ns)))

    run(apiserver, body)


def w(name: str | None = None, ns: str = "lk", labels: dict[str, str] | None = None, **spec: Any) -> Any:
    meta = (
        ObjectMeta(name=name, namespace=ns, labels=labels)
        if name
        else ObjectMeta(generateName="gen-", namespace=ns, labels=labels)
    )
    return Widget(metadata=meta, spec=spec or {"size": 1})


def test_crud_generate_name_and_server_fields(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> None:
        created = await c.create(w(size=2, labels={"a": "b"}))
        name = created.metadata.name
        assert name.startswith("gen-") and len(name) == 9
        assert (
            created.metadata.uid and created.metadata.creationTimestamp and created.metadata.generation == 1
        )
        got = await c.get(Widget, name, namespace="lk")
        assert (
            got.spec == {"size": 2, "mode": "a"}
            and got.metadata.resourceVersion == created.metadata.resourceVersion
        )
        await c.delete(Widget, name, namespace="lk")
        with pytest.raises(ApiError) as err:
            await c.get(Widget, name, namespace="lk")
        assert err.value.status.code == 404 and err.value.status.reason == "NotFound"
        assert err.value.status.message == f'widgets.example.com "{name}" not found'
        with pytest.raises(ApiError) as err:
            await c.create(w("dup"))
            await c.create(w("dup"))
        assert err.value.status.code == 409 and err.value.status.reason == "AlreadyExists"

    run(apiserver, body)


def test_status_subresource_and_generation(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> None:
        created = await c.create(
            Widget(
                metadata=ObjectMeta(name="st", namespace="lk"), spec={"size": 1}, status={"phase": "ignored"}
            )
        )
        assert not created.status  # create drops the status of a kind with a status subresource
        patched = await c.patch(
            Widget.Status,
            "st",
            {"status": {"phase": "Ready"}, "spec": {"size": 9}},
            namespace="lk",
            patch_type=PatchType.MERGE,
        )
        assert patched.status == {"phase": "Ready"} and patched.spec["size"] == 1  # /status ignores spec
        assert patched.metadata.generation == 1  # and a status change does not bump generation
        main = await c.patch(
            Widget,
            "st",
            {"status": {"phase": "Lost"}, "spec": {"size": 3}},
            namespace="lk",
            patch_type=PatchType.MERGE,
        )
        assert main.status == {"phase": "Ready"} and main.spec["size"] == 3  # main ignores status
        assert main.metadata.generation == 2
        # A write that changes nothing is not a write: same resourceVersion.
        again = await c.patch(Widget, "st", {"spec": {"size": 3}}, namespace="lk", patch_type=PatchType.MERGE)
        assert again.metadata.resourceVersion == main.metadata.resourceVersion
        # PUT of the main resource with a new status keeps the old status.
        current = await c.get(Widget, "st", namespace="lk")
        replaced = await c.replace(
            Widget(metadata=current.metadata, spec=current.spec, status={"phase": "X"})
        )
        assert replaced.status == {"phase": "Ready"}
        assert replaced.metadata.resourceVersion == current.metadata.resourceVersion  # a no-op

    run(apiserver, body)


def test_stale_update_is_409_and_custom_resources_need_a_resource_version(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> None:
        first = await c.create(w("cf", size=1))
        await c.patch(Widget, "cf", {"spec": {"size": 2}}, namespace="lk", patch_type=PatchType.MERGE)
        first.spec["size"] = 5
        with pytest.raises(ApiError) as err:
            await c.replace(first)
        assert err.value.status.code == 409 and err.value.status.reason == "Conflict"
        assert err.value.status.message == (
            'Operation cannot be fulfilled on widgets.example.com "cf": the object has been modified; '
            "please apply your changes to the latest version and try again"
        )
        with pytest.raises(ApiError) as err:  # a merge patch carrying a stale resourceVersion
            await c.patch(
                Widget,
                "cf",
                {"metadata": {"resourceVersion": first.metadata.resourceVersion}, "spec": {"size": 3}},
                namespace="lk",
                patch_type=PatchType.MERGE,
            )
        assert err.value.status.code == 409
        no_rv = w("cf", size=7)
        with pytest.raises(ApiError) as err:
            await c.replace(no_rv)
        assert err.value.status.code == 422
        assert (
            'metadata.resourceVersion: Invalid value: "0x0": must be specified for an update'
            in err.value.status.message
        )

    run(apiserver, body)


def test_json_patch_and_apply(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> None:
        await c.create(w("jp", size=1))
        out = await c.patch(
            Widget,
            "jp",
            [
                {"op": "replace", "path": "/spec/size", "value": 4},
                {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
            ],
            namespace="lk",
            patch_type=PatchType.JSON,
        )
        assert out.spec["size"] == 4 and out.metadata.labels == {"x": "y"}
        with pytest.raises(ApiError) as err:
            await c.patch(
                Widget,
                "jp",
                [{"op": "test", "path": "/spec/size", "value": 1}],
                namespace="lk",
                patch_type=PatchType.JSON,
            )
        assert err.value.status.code == 422
        applied = await c.apply(w("ap", size=1, tags=["a"]), field_manager="mgr")
        assert applied.spec == {"size": 1, "tags": ["a"], "mode": "a"}
        applied = await c.apply(w("ap", size=2), field_manager="mgr")
        assert applied.spec == {"size": 2, "mode": "a"}  # a field the manager stopped applying goes away

    run(apiserver, body)


def test_selectors_and_pagination(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> None:
        for i in range(7):
            await c.create(w(f"p{i}", ns="other", labels={"idx": str(i), "even": str(i % 2 == 0).lower()}))
        names = [o.metadata.name async for o in c.list(Widget, namespace="other", chunk_size=3)]
        assert names == [f"p{i}" for i in range(7)]
        even = [o.metadata.name async for o in c.list(Widget, namespace="other", labels={"even": "true"})]
        assert even == ["p0", "p2", "p4", "p6"]
        some = [o.metadata.name async for o in c.list(Widget, namespace="other", labels={"idx": ["1", "5"]})]
        assert some == ["p1", "p5"]
        one = [o.metadata.name async for o in c.list(Widget, namespace="*", fields={"metadata.name": "p3"})]
        assert one == ["p3"]
        with pytest.raises(ApiError) as err:
            _ = [o async for o in c.list(Widget, namespace="other", fields={"spec.size": "1"})]
        assert (
            err.value.status.code == 400
            and "field label not supported: spec.size" in err.value.status.message
        )
        await c.create(Node(metadata=ObjectMeta(name="n1")))
        await c.create(Node(metadata=ObjectMeta(name="n2")))
        nodes = [n.metadata.name async for n in c.list(Node, fields={"metadata.name": "n2"})]
        assert nodes == ["n2"]
        await c.create(Gadget(metadata=ObjectMeta(name="n1"), spec={"x": 1}))
        assert [g.metadata.name async for g in c.list(Gadget)] == ["n1"]

    run(apiserver, body)


async def until(check: Any, timeout: float = 30.0) -> None:
    """Poll `check` in the event loop until it is true (fails after `timeout` seconds)."""

    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def _events(c: AsyncClient, it: AsyncIterator[tuple[str, Any]], n: int) -> list[tuple[str, str]]:
    out = []
    async for kind, obj in it:
        out.append((kind, obj.metadata.name))
        if len(out) == n:
            break
    return out


def test_list_then_watch_from_resource_version(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> None:
        ns = "lk"
        await c.create(w("wa", size=1))
        listing = c.list(Widget, namespace=ns)
        _ = [o async for o in listing]
        rv = listing.resourceVersion
        await c.create(w("wb", size=1))
        await c.patch(Widget, "wa", {"spec": {"size": 2}}, namespace=ns, patch_type=PatchType.MERGE)
        await c.delete(Widget, "wb", namespace=ns)
        events = await _events(c, c.watch(Widget, namespace=ns, resource_version=rv), 3)
        assert events == [("ADDED", "wb"), ("MODIFIED", "wa"), ("DELETED", "wb")]
        # A label selector turns objects entering/leaving the selection into ADDED/DELETED.
        listing = c.list(Widget, namespace=ns)
        _ = [o async for o in listing]
        rv = listing.resourceVersion
        await c.patch(
            Widget, "wa", {"metadata": {"labels": {"sel": "yes"}}}, namespace=ns, patch_type=PatchType.MERGE
        )
        await c.patch(
            Widget, "wa", {"metadata": {"labels": {"sel": "no"}}}, namespace=ns, patch_type=PatchType.MERGE
        )
        events = await _events(
            c, c.watch(Widget, namespace=ns, resource_version=rv, labels={"sel": "yes"}), 2
        )
        assert events == [("ADDED", "wa"), ("DELETED", "wa")]

    run(apiserver, body)


def test_watch_of_compacted_version_is_410(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> None:
        listing = c.list(Secret, namespace="lk")
        _ = [o async for o in listing]
        rv = listing.resourceVersion
        await c.create(Secret(metadata=ObjectMeta(name="s1", namespace="lk"), stringData={"k": "v"}))
        apiserver.compact()
        with pytest.raises(ApiError) as err:
            async for _ev in c.watch(Secret, namespace="lk", resource_version=rv):
                break
        assert err.value.status.code == 410 and err.value.status.reason == "Expired"
        assert "too old resource version" in err.value.status.message
        # A watch from the compaction point or later works.
        latest = c.list(Secret, namespace="lk")
        _ = [o async for o in latest]
        await c.create(Secret(metadata=ObjectMeta(name="s2", namespace="lk")))
        assert await _events(
            c, c.watch(Secret, namespace="lk", resource_version=latest.resourceVersion), 1
        ) == [("ADDED", "s2")]

    run(apiserver, body)


def _raw_watch(apiserver: RunningDouble, query: str) -> Coroutine[Any, Any, list[dict[str, Any]]]:
    """Stream a watch with httpx2 directly (lightkube has no allowWatchBookmarks option)."""
    import json
    import ssl

    from frrnode.lab.apiserver.server import ApiServerDouble

    double: ApiServerDouble = apiserver.double

    async def main() -> list[dict[str, Any]]:
        ctx = ssl.create_default_context(cadata=double.ca.cert_pem.decode())
        events = []
        async with (
            httpx2.AsyncClient(verify=ctx, timeout=30) as http,
            http.stream(
                "GET",
                f"{double.url}/apis/example.com/v1/namespaces/lk/widgets?watch=true&{query}",
                headers={"Authorization": f"Bearer {double.token}"},
            ) as resp,
        ):
            assert resp.status_code == 200
            async for line in resp.aiter_lines():
                events.append(json.loads(line))
                if events[-1]["type"] == "BOOKMARK" and "initial" not in query:
                    break
                if len(events) > 50:
                    break
        return events

    return main()


def test_bookmarks_and_initial_events(apiserver: RunningDouble) -> None:
    rv = str(apiserver.sync(lambda: apiserver.double.store.rv))
    events = asyncio.run(_raw_watch(apiserver, f"resourceVersion={rv}&allowWatchBookmarks=true"))
    assert events[-1]["type"] == "BOOKMARK" and events[-1]["object"]["kind"] == "Widget"
    assert int(events[-1]["object"]["metadata"]["resourceVersion"]) >= int(rv)
    events = asyncio.run(
        _raw_watch(
            apiserver,
            "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
            "&timeoutSeconds=1",
        )
    )
    kinds = [e["type"] for e in events]
    end = next(i for i, e in enumerate(events) if e["type"] == "BOOKMARK")
    assert set(kinds[:end]) <= {"ADDED"} and end > 0
    assert events[end]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_server_closed_watch_ends_the_stream(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> list[str]:
        seen: list[str] = []

        async def consume() -> None:
            from lightkube.types import OnErrorAction, OnErrorResult

            def stop(_e: Exception, _n: int) -> OnErrorResult:
                return OnErrorResult(OnErrorAction.STOP)

            async for kind, obj in c.watch(
                Widget,
                namespace="lk",
                on_error=stop,
                server_timeout=60,
                resource_version=listing.resourceVersion,
            ):
                seen.append(f"{kind} {obj.metadata.name}")

        listing = c.list(Widget, namespace="lk")
        _ = [o async for o in listing]
        task = asyncio.create_task(consume())
        await c.create(w("before-close", size=1))
        await until(lambda: "ADDED before-close" in seen)
        closed = await asyncio.to_thread(apiserver.close_watches)
        assert closed >= 1
        # lightkube reconnects when the server ends a watch: the new stream starts from the last
        # resourceVersion it saw, so the next change arrives exactly once.
        await c.create(w("after-close", size=1))
        await until(lambda: "ADDED after-close" in seen)
        task.cancel()
        return seen

    seen = run(apiserver, body)
    assert seen.count("ADDED after-close") == 1


def test_outage_refuses_connections_then_comes_back(apiserver: RunningDouble) -> None:
    async def body(c: AsyncClient) -> None:
        await c.create(w("before-outage", size=1))
        await asyncio.to_thread(apiserver.go_down)
        with pytest.raises(httpx2.ConnectError):
            await c.get(Widget, "before-outage", namespace="lk")
        await asyncio.to_thread(apiserver.come_back, True)
        got = await c.get(Widget, "before-outage", namespace="lk")
        assert got.spec["size"] == 1  # state survives an outage

    run(apiserver, body)


def test_unauthenticated_is_401(apiserver: RunningDouble) -> None:
    import ssl

    ctx = ssl.create_default_context(cadata=apiserver.double.ca.cert_pem.decode())
    with httpx2.Client(verify=ctx) as http:
        resp = http.get(f"{apiserver.double.url}/api/v1/namespaces")
        assert resp.status_code == 401 and resp.json()["reason"] == "Unauthorized"
        assert http.get(f"{apiserver.double.url}/healthz").text == "ok"
