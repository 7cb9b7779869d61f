"""The API sink of the status model: FRRNodeState and BGPSessionState objects (spec §7).

`agent.status` builds the objects (one model); the file sink writes them to a directory, this
sink to the API server. It is handed the complete desired set after every FRR poll (from the
poll thread) and a task makes the API match it:

- through the status subresource (PUT .../status with the resourceVersion read; a 409 re-reads
  the object and retries), creating the object first when it does not exist;
- only when something changed: the actual objects come from two informers (its FRRNodeState,
  its BGPSessionStates by the node label), so a steady state costs zero writes, and an object
  deleted or edited by someone else is put back;
- one BGPSessionState per (vrf, peer) with `generateName: <node>-`; the objects of neighbors
  that are gone, and duplicates, are deleted.

Every string has FRR's secret arguments redacted before it leaves the process, as in the
status files (`agent.status.status_data`): by position (the argument of `password`,
`key-string` ...), never by searching for known secret values (a short value would punch holes
in unrelated text and reveal itself).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lightkube import AsyncClient
from lightkube.core.exceptions import ApiError

from frrnode.agent.runner import Backoff
from frrnode.agent.status import LABEL_NODE, LABEL_PEER, LABEL_VRF, stable_since, status_data
from frrnode.api.v1beta1 import BGPSessionState, FRRNodeState
from frrnode.kube import resources as r
from frrnode.kube.cache import ObjectStore
from frrnode.kube.client import ListWatch, delete_if_present, status_code
from frrnode.kube.informer import Informer

log = logging.getLogger(__name__)

SessionKey = tuple[str, str]
"""(vrf, peer) as in the labels."""


def status_of(obj: FRRNodeState | BGPSessionState) -> dict[str, Any]:
    """The `.status` of a built object as the file sink writes it (`agent.status.status_data`)."""
    return status_data(obj.status)


def _keep_since(desired: dict[str, Any], actual: dict[str, Any]) -> dict[str, Any]:
    """The stored `establishedSince` for the same connection (`agent.status.stable_since`)."""
    want = desired.get("establishedSince")
    since = stable_since(
        want,
        desired.get("connectionsEstablished"),
        actual.get("establishedSince"),
        actual.get("connectionsEstablished"),
    )
    return desired if since == want else {**desired, "establishedSince": since}


def _session_key(obj: dict[str, Any]) -> SessionKey:
    labels = r.labels_of(obj)
    return labels.get(LABEL_VRF, ""), labels.get(LABEL_PEER, "")


@dataclass
class SinkStats:
    creates: int = 0
    status_writes: int = 0
    deletes: int = 0
    conflicts: int = 0
    errors: int = 0


@dataclass(frozen=True)
class _Desired:
    node: dict[str, Any]
    sessions: dict[SessionKey, dict[str, Any]]


class ApiStatusSink:
    """Keeps this node's status objects in the API equal to the last desired set."""

    def __init__(self, client: AsyncClient, node_name: str, namespace: str):
        self.client = client
        self.node_name = node_name
        self.namespace = namespace
        self.stats = SinkStats()
        self.node_states = ObjectStore(dict)
        self.session_states = ObjectStore(dict)
        self._wake = asyncio.Event()
        self.informers = (
            Informer(
                ListWatch(client, r.FRRNodeState, fields={"metadata.name": node_name}),
                self.node_states,
                self._wake.set,
            ),
            Informer(
                ListWatch(client, r.BGPSessionState, namespace=namespace, labels={LABEL_NODE: node_name}),
                self.session_states,
                self._wake.set,
            ),
        )
        self._desired: _Desired | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ the sink interface

    def write(self, node_state: FRRNodeState | None, sessions: Iterable[BGPSessionState]) -> None:
        """Hand over the desired objects; callable from any thread, never blocks."""
        if node_state is None:
            return
        desired = _Desired(
            node=status_of(node_state),
            sessions={(s.status.vrf, s.status.peer): status_of(s) for s in sessions},
        )
        if self._loop is None:
            self._set(desired)
        else:
            self._loop.call_soon_threadsafe(self._set, desired)

    def _set(self, desired: _Desired) -> None:
        self._desired = desired
        self._wake.set()

    # ------------------------------------------------------------ service (Agent.services)

    def start(self) -> ApiStatusSink:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self.run(), name="status-sink")
        return self

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def run(self) -> None:
        tasks = [asyncio.create_task(i.run()) for i in self.informers]
        backoff = Backoff(initial=0.5, maximum=30.0)
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                if self._desired is None or not all(i.synced.is_set() for i in self.informers):
                    continue
                try:
                    await self.sync(self._desired)
                    backoff.reset()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.stats.errors += 1
                    delay = backoff.next()
                    log.warning("writing status objects failed (%s); again in %.1fs", exc, delay)
                    await asyncio.sleep(delay)
                    self._wake.set()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------ reconciliation

    async def sync(self, desired: _Desired) -> None:
        await self._sync_node(desired.node)
        await self._sync_sessions(desired.sessions)

    async def _sync_node(self, status: dict[str, Any]) -> None:
        actual = self.node_states.objects.get(("", self.node_name))
        if actual is not None and actual.get("status") == status:
            return
        if actual is None:
            actual = await self._create(r.FRRNodeState, {"metadata": {"name": self.node_name}, "spec": {}})
        await self._put_status(r.FRRNodeState, actual, status)

    async def _sync_sessions(self, desired: dict[SessionKey, dict[str, Any]]) -> None:
        by_key: dict[SessionKey, list[dict[str, Any]]] = {}
        for obj in sorted(self.session_states.objects.values(), key=r.name_of):
            by_key.setdefault(_session_key(obj), []).append(obj)
        for key, objs in sorted(by_key.items()):
            extra = objs if key not in desired else objs[1:]  # the neighbor is gone, or duplicates
            for obj in extra:
                await self._delete(obj)
        for key, status in sorted(desired.items()):
            found = by_key.get(key)
            if found:
                obj = found[0]
                status = _keep_since(status, obj.get("status") or {})
                if obj.get("status") == status:
                    continue
            else:
                vrf, peer = key
                labels = {LABEL_NODE: self.node_name, LABEL_PEER: peer, LABEL_VRF: vrf}
                body = {
                    "metadata": {
                        "generateName": f"{self.node_name}-",
                        "namespace": self.namespace,
                        "labels": labels,
                    },
                    "spec": {},
                }
                obj = await self._create(r.BGPSessionState, body)
            await self._put_status(r.BGPSessionState, obj, status)

    async def _create(self, res: Any, body: dict[str, Any]) -> dict[str, Any]:
        kind = res._api_info.resource.kind
        try:
            created = dict(await self.client.create(res({"apiVersion": r.API_VERSION, "kind": kind, **body})))
        except ApiError as exc:
            name = body["metadata"].get("name")  # none with generateName: a 409 is the server's
            if status_code(exc) != 409 or name is None:
                raise
            # Our cache is behind: it exists already.
            created = dict(await self.client.get(res, name))
        else:
            self.stats.creates += 1
            log.info("created %s %s", kind, r.name_of(created))
        return created

    async def _put_status(self, res: Any, obj: dict[str, Any], status: dict[str, Any]) -> None:
        """PUT the status with the version read; on 409 read again and retry."""
        name, namespace = r.name_of(obj), r.namespace_of(obj) or None
        for _ in range(5):
            body = {**obj, "status": status}
            try:
                updated = await self.client.replace(res.Status(body), name, namespace=namespace)
            except ApiError as exc:
                if status_code(exc) != 409:
                    raise
                self.stats.conflicts += 1
                obj = dict(await self.client.get(res, name, namespace=namespace))
                if obj.get("status") == status:
                    return
                continue
            self.stats.status_writes += 1
            store = self.node_states if res is r.FRRNodeState else self.session_states
            store.apply("MODIFIED", dict(updated))  # do not wait for the watch to compare again
            return
        raise RuntimeError(f"status of {name} kept conflicting")

    async def _delete(self, obj: dict[str, Any]) -> None:
        if await delete_if_present(self.client, r.BGPSessionState, r.name_of(obj), r.namespace_of(obj)):
            self.stats.deletes += 1
        self.session_states.apply("DELETED", obj)
