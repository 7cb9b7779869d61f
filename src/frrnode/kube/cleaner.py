"""The status cleaner (spec §7.3): status objects of nodes without an agent are deleted.

The nodes that have an agent are those of the agent pods (the DaemonSet's, found by a label
selector in the namespace). Every FRRNodeState named after another node is deleted, and so is
every BGPSessionState labelled with another node (upstream relies on an owner reference to
the pod for those; the agent does not set one, so that a restarted pod keeps its objects).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lightkube import AsyncClient

from frrnode.agent.status import LABEL_NODE
from frrnode.kube import resources as r
from frrnode.kube.cache import ObjectStore
from frrnode.kube.client import ListWatch, delete_if_present
from frrnode.kube.informer import Informer

log = logging.getLogger(__name__)

DEFAULT_AGENT_SELECTOR = "app.kubernetes.io/component=frr-k8s"


def parse_selector(text: str) -> dict[str, str]:
    """`k=v,k2=v2` (equality only)."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ValueError(f"expected key=value, got {part!r}")
        out[key.strip()] = value.strip()
    return out


def _slim_pod(obj: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": r.name_of(obj)}, "node": str((obj.get("spec") or {}).get("nodeName") or "")}


def _slim_state(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": r.name_of(obj), "namespace": r.namespace_of(obj), "labels": r.labels_of(obj)}
    }


class StatusCleaner:
    def __init__(self, client: AsyncClient, namespace: str, agent_selector: dict[str, str]):
        self.client = client
        self.pods = ObjectStore(_slim_pod)
        self.node_states = ObjectStore(_slim_state)
        self.session_states = ObjectStore(_slim_state)
        self._wake = asyncio.Event()
        self.informers = (
            Informer(
                ListWatch(client, r.Pod, namespace=namespace, labels=agent_selector),
                self.pods,
                self._wake.set,
            ),
            Informer(ListWatch(client, r.FRRNodeState), self.node_states, self._wake.set),
            Informer(
                ListWatch(client, r.BGPSessionState, namespace=namespace), self.session_states, self._wake.set
            ),
        )

    @property
    def synced(self) -> bool:
        return all(i.synced.is_set() for i in self.informers)

    def orphans(self) -> list[tuple[Any, str, str | None]]:
        """(kind, name, namespace) of every status object of a node without an agent pod."""
        nodes = {p["node"] for p in self.pods.objects.values() if p["node"]}
        out: list[tuple[Any, str, str | None]] = []
        for (_, name), _obj in sorted(self.node_states.objects.items()):
            if name not in nodes:
                out.append((r.FRRNodeState, name, None))
        for (ns, name), obj in sorted(self.session_states.objects.items()):
            if obj["metadata"]["labels"].get(LABEL_NODE) not in nodes:
                out.append((r.BGPSessionState, name, ns))
        return out

    async def clean(self) -> None:
        for kind, name, namespace in self.orphans():
            if await delete_if_present(self.client, kind, name, namespace):
                log.info("deleted %s %s: its node has no agent", kind._api_info.resource.kind, name)

    async def run(self) -> None:
        tasks = [asyncio.create_task(i.run()) for i in self.informers]
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                if self.synced:
                    try:
                        await self.clean()
                    except Exception as exc:  # the next change tries again
                        log.warning("cleaning status objects failed: %s", exc)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
