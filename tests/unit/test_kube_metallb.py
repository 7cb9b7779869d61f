"""MetalLB's Kubernetes-mode loop (kube.metallb): a failed pass is retried, whatever failed."""

from __future__ import annotations

import asyncio

from frrnode.api.loader import Resources
from frrnode.kube import metallb as km
from frrnode.metallb.resources import Settings


class Flaky(km._World):
    """No informers (every kind skipped: synced at once); the first pass cannot reach the API."""

    skipped = (
        km.IPAddressPool, km.BGPAdvertisement, km.BGPPeer, km.BFDProfile, km.Community, km.r.Secret,
        km.ConfigMap, km.Service, km.EndpointSlice, km.r.Node, km.Namespace,
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(None, Settings(), debounce=0.0)  # type: ignore[arg-type]
        self.calls = 0
        self.done = asyncio.Event()

    async def reconcile(self, resources: Resources) -> None:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("connection refused")  # httpx's and the OS's errors alike
        self.done.set()


def test_a_pass_that_cannot_reach_the_api_is_retried_not_fatal() -> None:
    async def body() -> None:
        world = Flaky()
        assert world.informers == [] and world.synced
        stop = asyncio.Event()
        world._changed.set()
        task = asyncio.create_task(world.run(stop))
        await asyncio.wait_for(world.done.wait(), 10)
        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, 5)
        assert world.calls == 2

    asyncio.run(body())
