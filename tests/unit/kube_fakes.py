"""A scripted list/watch endpoint for unit tests of the informers (the API-server double is
tested elsewhere): a versioned object store with an event log, compaction (410) and failures."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

from frrnode.kube.client import Gone


class FakeListWatch:
    def __init__(self, kind: str = "FRRConfiguration") -> None:
        self.kind = kind
        self.rv = 0
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.log: list[tuple[int, str, dict[str, Any]]] = []
        self.compacted = 0
        self.list_failures = 0
        self.watch_failures = 0
        self.lists = 0
        self.watch_from: list[str] = []
        self.list_resource_version = ""
        self.generation = 0
        self._wake = asyncio.Event()

    def describe(self) -> str:
        return f"fake {self.kind}"

    def _bump(self, event: str, obj: dict[str, Any]) -> None:
        self.rv += 1
        obj = copy.deepcopy(obj)
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        self.log.append((self.rv, event, obj))
        self._wake.set()

    def put(self, name: str, spec: dict[str, Any] | None = None, namespace: str = "ns", **extra: Any) -> None:
        obj = {"kind": self.kind, "metadata": {"name": name, "namespace": namespace}, **extra}
        if spec is not None:
            obj["spec"] = spec
        event = "MODIFIED" if (namespace, name) in self.objects else "ADDED"
        self._bump(event, obj)
        self.objects[(namespace, name)] = self.log[-1][2]

    def delete(self, name: str, namespace: str = "ns") -> None:
        obj = self.objects.pop((namespace, name))
        self._bump("DELETED", obj)

    def bookmark(self) -> None:
        self.rv += 1
        self.log.append((self.rv, "BOOKMARK", {"metadata": {"resourceVersion": str(self.rv)}}))
        self._wake.set()

    def compact(self) -> None:
        """Forget the event log: a watch from an older version gets 410."""
        self.compacted = self.rv
        self.log = []

    async def list(self) -> AsyncIterator[dict[str, Any]]:
        self.lists += 1
        if self.list_failures:
            self.list_failures -= 1
            raise ConnectionError("list refused")
        version = str(self.rv)
        for key in sorted(self.objects):
            await asyncio.sleep(0)
            yield copy.deepcopy(self.objects[key])
        self.list_resource_version = version

    async def watch(self, resource_version: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        self.watch_from.append(resource_version)
        if self.watch_failures:
            self.watch_failures -= 1
            raise ConnectionError("connection reset")
        since = int(resource_version)
        generation = self.generation
        if since < self.compacted:
            raise Gone(f"too old resource version: {since} ({self.compacted})")
        while True:
            pending = [e for e in self.log if e[0] > since]
            for rv, event, obj in pending:
                since = rv
                yield event, copy.deepcopy(obj)
            if since < self.compacted:
                raise Gone("compacted while watching")
            self._wake.clear()
            await self._wake.wait()
            if self.generation != generation:
                raise ConnectionError("connection reset by peer")

    def drop_watches(self, refuse: int = 0) -> None:
        """Every open watch fails, as when the server goes away; the next `refuse` watches too."""
        self.generation += 1
        self.watch_failures += refuse
        self._wake.set()
