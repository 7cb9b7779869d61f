"""`KubernetesSource`: the agent's `Source` on the API server.

Four informers: the FRRConfigurations and Secrets of the agent namespace, this node's Node
(field selector `metadata.name`) and the FRRK8sConfiguration `config`. A snapshot is built only
when every cache has synced (a half-listed world must never wipe FRR) and only when something
that matters to this node changed: an edit to an object selecting another node, or a Node
heartbeat, wakes nobody.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from lightkube import AsyncClient

from frrnode.agent.sources import Snapshot
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.kube import resources as r
from frrnode.kube.cache import ObjectStore, SelectedConfigs, slim_node, slim_object, slim_secret
from frrnode.kube.client import ListWatch
from frrnode.kube.informer import Informer, ListWatcher

log = logging.getLogger(__name__)

HOSTNAME_LABEL = "kubernetes.io/hostname"


class KubernetesSource:
    def __init__(
        self,
        node_name: str,
        namespace: str,
        configs_lw: ListWatcher,
        secrets_lw: ListWatcher,
        node_lw: ListWatcher,
        frrk8s_lw: ListWatcher,
    ):
        self.node_name = node_name
        self.namespace = namespace
        self.node = ObjectStore(slim_node)
        self.configs = SelectedConfigs(self._labels())
        self.secrets = ObjectStore(slim_secret)
        self.frrk8s = ObjectStore(lambda obj: slim_object(obj, "FRRK8sConfiguration"))
        self._changed = asyncio.Event()
        self._objects = r.ObjectCache()
        """Unchanged objects stay the same Python objects: the pipeline's cache goes by identity."""
        self.node_informer = Informer(node_lw, self.node, self._node_changed)
        self.configs_informer = Informer(configs_lw, self.configs, lambda: self._change("FRRConfiguration"))
        self.informers = (
            self.node_informer,
            self.configs_informer,
            Informer(secrets_lw, self.secrets, lambda: self._change("Secret")),
            Informer(frrk8s_lw, self.frrk8s, lambda: self._change("FRRK8sConfiguration")),
        )

    @classmethod
    def from_client(
        cls, client: AsyncClient, node_name: str, namespace: str, page_size: int = 500
    ) -> KubernetesSource:
        return cls(
            node_name,
            namespace,
            configs_lw=ListWatch(client, r.FRRConfiguration, namespace=namespace, page_size=page_size),
            secrets_lw=ListWatch(client, r.Secret, namespace=namespace, page_size=page_size),
            node_lw=ListWatch(client, r.Node, fields={"metadata.name": node_name}),
            frrk8s_lw=ListWatch(
                client, r.FRRK8sConfiguration, namespace=namespace, fields={"metadata.name": "config"}
            ),
        )

    def _node_obj(self) -> dict[str, Any] | None:
        return self.node.objects.get(("", self.node_name))

    def _labels(self) -> dict[str, str]:
        # The kubelet always sets the hostname label; the pipeline assumes it likewise.
        node = self._node_obj()
        return {HOSTNAME_LABEL: self.node_name, **(r.labels_of(node) if node else {})}

    def _change(self, what: str) -> None:
        log.debug("%s changed for node %s", what, self.node_name)
        self._changed.set()

    def _node_changed(self) -> None:
        if self.configs.set_labels(self._labels()) and self.configs.missing_bodies:
            log.info("node %s labels changed: listing FRRConfigurations again", self.node_name)
            self.configs_informer.request_relist()
        self._change("Node")

    @property
    def synced(self) -> bool:
        return all(i.synced.is_set() for i in self.informers) and not self.configs.missing_bodies

    def snapshot(self) -> Snapshot:
        """The current world as the pipeline's `Resources` (only what concerns this node)."""
        node = self._node_obj()
        if node is None:
            return Snapshot(
                resources=None,
                errors=(ConfigError(f"Node {self.node_name} not found", path="metadata.name"),),
            )
        items: list[dict[str, Any]] = [node]
        items += [obj for _, obj in sorted(self.secrets.objects.items())]
        items += [obj for (_, name), obj in sorted(self.frrk8s.objects.items()) if name == "config"]
        items += [obj for _, obj in sorted(self.configs.bodies.items())]
        try:
            return Snapshot(resources=self._objects.resources(items))
        except ConfigErrors as exc:
            return Snapshot(resources=None, errors=tuple(exc.errors))

    def resync(self) -> None:
        """List everything again (SIGHUP): each informer rebuilds its cache from a fresh list
        (no snapshot until all are in again), then a snapshot is yielded even if nothing
        changed. Call from the event loop that runs `snapshots()`."""
        log.info("relisting what concerns node %s from the API server", self.node_name)
        for informer in self.informers:
            informer.request_relist()

    async def snapshots(self) -> AsyncIterator[Snapshot]:
        # The Node first: the FRRConfigurations are then listed with the right labels at once.
        tasks = [asyncio.create_task(self.node_informer.run(), name="informer-node")]
        try:
            await self.node_informer.synced.wait()
            tasks += [asyncio.create_task(i.run(), name=f"informer-{i.name}") for i in self.informers[1:]]
            while True:
                await self._changed.wait()
                self._changed.clear()
                if self.synced:
                    yield self.snapshot()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
