"""MetalLB in Kubernetes mode: the controller (one per cluster) and the speaker (one per node).

Both keep informer caches of MetalLB's objects (in its namespace), Services, EndpointSlices,
Nodes and Namespaces, and run the same code as the embedded stage (`frrnode.metallb`) on them
once every cache has synced and after each change (coalesced):
- the controller allocates the LoadBalancer IPs (`allocate`, starting from each Service's
  status, so IPs never move because it restarted) and writes them to the Services' status
  (subresource) with the annotation `metallb.io/ip-allocated-from-pool`;
- the speaker announces from its node: it writes the FRRConfiguration `metallb-<node>` (spec
  only, as MetalLB's reconciler) in the frr-k8s namespace, where frrnode's agent merges it,
  and one ServiceBGPStatus per Service it announces.
Each part also keeps its ConfigurationState (`controller`, `speaker-<node>`, spec §6.2) on
whether the last MetalLB configuration it read was valid, with every error in `errorSummary`
(the last good configuration stays in use meanwhile).
Writes happen only when something differs from what the API server has; the speaker knows
what the server has of its own objects from watches, not from a GET or LIST per pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from lightkube import AsyncClient
from lightkube.core.exceptions import ApiError
from lightkube.core.resource import ResourceDef
from lightkube.types import PatchType

from frrnode.agent.runner import Backoff
from frrnode.api.loader import Resources
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.kube import resources as r
from frrnode.kube.cache import ObjectStore
from frrnode.kube.client import ListWatch, delete_if_present
from frrnode.kube.informer import Informer
from frrnode.metallb import api, frrk8s
from frrnode.metallb.allocator import POOL_ANNOTATION, Allocation, allocate, previous_ips
from frrnode.metallb.config import parse
from frrnode.metallb.resources import MetalLBResources, Settings
from frrnode.metallb.speaker import handles
from frrnode.metallb.stage import MetalLBStage, StageState
from frrnode.metallb.status import ERROR_ANNOTATION, bgp_status, configuration_state

log = logging.getLogger(__name__)


IPAddressPool = r.namespaced_kind("metallb.io", "v1beta1", "IPAddressPool", "ipaddresspools")
BGPAdvertisement = r.namespaced_kind("metallb.io", "v1beta1", "BGPAdvertisement", "bgpadvertisements")
BGPPeer = r.namespaced_kind("metallb.io", "v1beta2", "BGPPeer", "bgppeers")
BFDProfile = r.namespaced_kind("metallb.io", "v1beta1", "BFDProfile", "bfdprofiles")
Community = r.namespaced_kind("metallb.io", "v1beta1", "Community", "communities")
ServiceBGPStatus = r.namespaced_kind("metallb.io", "v1beta1", "ServiceBGPStatus", "servicebgpstatuses")
ServiceBGPStatusStatus = r.status_subresource(ServiceBGPStatus)
ConfigurationState = r.namespaced_kind("metallb.io", "v1beta1", "ConfigurationState", "configurationstates")
ConfigurationStateStatus = r.status_subresource(ConfigurationState)
ConfigMap = r.namespaced_kind("", "v1", "ConfigMap", "configmaps")
Service = r.namespaced_kind("", "v1", "Service", "services")
ServiceStatus = r.status_subresource(Service)
EndpointSlice = r.namespaced_kind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices")
Namespace = r.cluster_kind("", "v1", "Namespace", "namespaces")
_FRRConfiguration: Any = r.FRRConfiguration

_DROPPED_META = ("managedFields", "ownerReferences", "finalizers", "creationTimestamp")


def _slimmer(api_version: str, kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The object as the loader reads it (list items come without apiVersion/kind)."""

    def slim(obj: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        out["metadata"] = {k: v for k, v in r.meta(obj).items() if k not in _DROPPED_META}
        if kind == "Node":
            out.pop("spec", None)
            out["status"] = {"conditions": (obj.get("status") or {}).get("conditions", [])}
            for c in out["status"]["conditions"]:  # heartbeats must not wake anybody
                c.pop("lastHeartbeatTime", None)
        return {"apiVersion": api_version, "kind": kind, **out}

    return slim


def _resource_key(res: Any) -> tuple[str, str]:
    d: ResourceDef = res._api_info.resource
    return (f"{d.group}/{d.version}" if d.group else d.version, d.kind)


class _World:
    """Informer caches of everything MetalLB reads, and a coalescing reconcile loop."""

    skipped: tuple[Any, ...] = ()
    """Kinds this part does not read (so its RBAC role need not grant them)."""
    component = ""
    """`controller` or `speaker`: which ConfigurationState this part keeps."""
    node = ""

    def __init__(self, client: AsyncClient, settings: Settings, debounce: float = 0.2):
        self.client = client
        self.settings = settings
        self.debounce = debounce
        self._objects = r.ObjectCache(api.KINDS)
        self._state_written: dict[str, Any] | None = None
        """The ConfigurationState status last written (or found) on the server."""
        self._changed = asyncio.Event()
        self.stores: dict[tuple[str, str], ObjectStore] = {}
        self.informers: list[Informer] = []
        ns = settings.namespace
        for res, namespace in (
            (IPAddressPool, ns), (BGPAdvertisement, ns), (BGPPeer, ns), (BFDProfile, ns), (Community, ns),
            (r.Secret, ns), (ConfigMap, ns), (Service, "*"), (EndpointSlice, "*"), (r.Node, None),
            (Namespace, None),
        ):  # fmt: skip
            if res in self.skipped:
                continue
            key = _resource_key(res)
            store = ObjectStore(_slimmer(*key))
            self.stores[key] = store
            self.informers.append(
                Informer(ListWatch(client, res, namespace=namespace), store, self._changed.set)
            )
        self.state = StageState("")
        """What /metrics reports (`kube.metallb_metrics`): the speaker's stage state, or the
        controller's pools, allocations and configuration errors."""

    @property
    def synced(self) -> bool:
        return all(i.synced.is_set() for i in self.informers)

    def resources(self) -> Resources:
        items = [obj for store in self.stores.values() for _, obj in sorted(store.objects.items())]
        return self._objects.resources(items)

    async def reconcile(self, resources: Resources) -> None:
        raise NotImplementedError

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(i.run(), name=f"metallb-{i.name}") for i in self.informers]
        stopper = asyncio.create_task(stop.wait())
        backoff = Backoff(initial=1.0, maximum=30.0)
        try:
            while not stop.is_set():
                changed = asyncio.create_task(self._changed.wait())
                await asyncio.wait([changed, stopper], return_when=asyncio.FIRST_COMPLETED)
                changed.cancel()
                if stop.is_set():
                    break
                await asyncio.sleep(self.debounce)
                self._changed.clear()
                if not self.synced:
                    continue
                try:
                    try:
                        resources = self.resources()
                    except ConfigErrors as exc:
                        log.error("MetalLB objects refused: %s", exc)
                        self.state.updates += 1
                        self.state.update_errors += 1
                        await self.write_state(exc.errors)
                        continue
                    await self.reconcile(resources)
                    backoff.reset()
                except Exception as exc:  # refused, or no API server at all: never fatal
                    self.state.update_errors += 1
                    delay = backoff.next()
                    log.warning("API write failed (%s), retrying in %.1fs", exc, delay)
                    await asyncio.wait([stopper], timeout=delay)
                    self._changed.set()
        finally:
            for task in (*tasks, stopper):
                task.cancel()
            await asyncio.gather(*tasks, stopper, return_exceptions=True)

    async def write_state(self, errors: Sequence[ConfigError]) -> None:
        """This part's ConfigurationState says whether its configuration is valid (and why not).
        `lastTransitionTime` moves only when the condition's status does, as for any
        `metav1.Condition`."""
        if not self.component:
            return
        ns = self.settings.namespace
        body = configuration_state(self.component, self.node, list(errors), ns)
        name, status = body["metadata"]["name"], body["status"]
        if self._state_written is not None and _without_times(self._state_written) == status:
            return
        try:
            current = dict(await self.client.get(ConfigurationState, name, namespace=ns))
        except ApiError as exc:
            if exc.status.code != 404:
                raise
            current = {**dict(await self.client.create(ConfigurationState(body))), "status": {}}
        old = current.get("status") or {}
        if _without_times(old) != status:
            before = {c.get("type"): c for c in old.get("conditions") or []}
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            for condition in status["conditions"]:
                previous = before.get(condition["type"]) or {}
                same = previous.get("status") == condition["status"] and previous.get("lastTransitionTime")
                condition["lastTransitionTime"] = previous["lastTransitionTime"] if same else now
            await self.client.replace(
                ConfigurationStateStatus({**current, "status": status}), name, namespace=ns
            )
            log.info("ConfigurationState %s/%s: %s", ns, name, status["result"])
            old = status
        self._state_written = old


def _without_times(status: dict[str, Any]) -> dict[str, Any]:
    conditions = [
        {k: v for k, v in c.items() if k != "lastTransitionTime"} for c in status.get("conditions") or []
    ]
    return {**status, "conditions": conditions} if "conditions" in status else status


class Controller(_World):
    """IP allocation for the whole cluster; writes Service status and the pool annotation."""

    skipped = (EndpointSlice,)  # endpoints decide who announces, not who gets an IP
    component = "controller"

    async def reconcile(self, resources: Resources) -> None:
        res = MetalLBResources.from_resources(resources, self.settings)
        config, errors = parse(res, self.settings)
        self.state.passes += 1
        self.state.updates += 1
        self.state.update_errors += bool(errors)
        self.state.controller_errors = errors
        await self.write_state(errors)
        if config is None:
            log.error("MetalLB configuration rejected, keeping the current IPs: %s", ConfigErrors(errors))
            return
        self.state.loaded, self.state.pools = True, dict(config.pools)
        services = [s for s in res.services if handles(s, self.settings)]
        previous = {(s.metadata.namespace, s.metadata.name): previous_ips(s) for s in services}
        self.state.allocations = allocate(config.pools, services, previous)
        for service in services:
            key = (service.metadata.namespace, service.metadata.name)
            await self._write(service, self.state.allocations[key])

    async def _write(self, service: api.Service, alloc: Allocation) -> None:
        ns, name = service.metadata.namespace, service.metadata.name
        if previous_ips(service) != alloc.ips:
            ingress = {"ingress": [{"ip": ip} for ip in alloc.ips]} if alloc.ips else {"ingress": None}
            await self.client.patch(ServiceStatus, name, {"status": {"loadBalancer": ingress}}, namespace=ns,
                                    patch_type=PatchType.MERGE)  # fmt: skip
            log.info("Service %s/%s: %s", ns, name, ", ".join(alloc.ips) or alloc.error)
        annotations = service.metadata.annotations
        wanted = {POOL_ANNOTATION: alloc.pool or None, ERROR_ANNOTATION: alloc.error or None}
        if any(annotations.get(k) != v for k, v in wanted.items()):
            await self.client.patch(Service, name, {"metadata": {"annotations": wanted}}, namespace=ns,
                                    patch_type=PatchType.MERGE)  # fmt: skip


class Speaker(_World):
    """One node's announcements: `metallb-<node>` and the node's ServiceBGPStatus objects."""

    skipped = (Namespace,)  # namespace labels only choose pools for allocation (the controller's)
    component = "speaker"

    def __init__(self, client: AsyncClient, node: str, settings: Settings, debounce: float = 0.2):
        super().__init__(client, settings, debounce)
        self.node = node
        self.stage = MetalLBStage(node, settings, allocate=False)
        self.state = self.stage.state
        self._written: tuple[Any, str] | None = None
        """(spec written, resourceVersion the server gave it): the server adds CRD defaults to
        the spec, so "unchanged" means "still the version we wrote", not "equal spec"."""
        # What it writes is watched too (not read as input): a pass compares with these caches
        # instead of a GET and a LIST per pass, which 3,000 speakers would send on every change
        # of any Service or EndpointSlice; an edit or deletion by someone else starts a pass
        # that puts MetalLB's version back.
        self.own_configuration = ObjectStore(_slimmer(*_resource_key(_FRRConfiguration)))
        self.own_statuses = ObjectStore(_slimmer(*_resource_key(ServiceBGPStatus)))
        mine = {"metadata.name": frrk8s.object_name(node)}
        self.informers += [
            Informer(
                ListWatch(client, _FRRConfiguration, settings.frrk8s_namespace, fields=mine),
                self.own_configuration,
                self._changed.set,
            ),
            Informer(
                ListWatch(client, ServiceBGPStatus, settings.namespace, labels={"metallb.io/node": node}),
                self.own_statuses,
                self._changed.set,
            ),
        ]

    async def reconcile(self, resources: Resources) -> None:
        self.stage.apply(resources)
        await self.write_state(self.stage.state.speaker_errors)
        obj = self.stage.state.configuration
        if obj is not None:
            await self._write_configuration(obj)
        await self._write_statuses()

    async def _write_configuration(self, obj: dict[str, Any]) -> None:
        name, ns = obj["metadata"]["name"], obj["metadata"]["namespace"]
        current = self.own_configuration.objects.get((ns, name))
        if current is None:
            created = dict(await self.client.create(_FRRConfiguration(frrk8s.manifest(obj))))
            self._written = (obj["spec"], r.resource_version_of(created))
            self.own_configuration.apply("ADDED", created)  # the watch brings the same later
            return
        if (
            self._written == (obj["spec"], r.resource_version_of(current))
            or current.get("spec") == obj["spec"]
        ):
            return
        # Only the spec is MetalLB's (manual edits of it are reverted, as upstream). A cache
        # behind the server gives a 409: the pass is retried once the watch caught up.
        body = {**current, "spec": obj["spec"]}
        updated = dict(await self.client.replace(_FRRConfiguration(body), name, namespace=ns))
        self._written = (obj["spec"], r.resource_version_of(updated))
        self.own_configuration.apply("MODIFIED", updated)

    async def _write_statuses(self) -> None:
        ns = self.settings.namespace
        existing = {name: obj for (_, name), obj in self.own_statuses.objects.items()}
        wanted = {}
        for a in self.stage.state.announcements:
            if a.announced:
                body = bgp_status(self.node, a.namespace, a.service, a.peers, ns)
                wanted[body["metadata"]["name"]] = body
        for name, body in wanted.items():
            current = existing.get(name)
            if current is None:
                created = dict(await self.client.create(ServiceBGPStatus(body)))
                current = {**created, "status": {}}
                self.own_statuses.apply("ADDED", current)  # the cache knows it before the watch
            if current.get("status") != body["status"]:
                update = {**current, "status": body["status"]}
                updated = await self.client.replace(ServiceBGPStatusStatus(update), name, namespace=ns)
                self.own_statuses.apply("MODIFIED", dict(updated))
        for name in existing.keys() - wanted.keys():
            await delete_if_present(self.client, ServiceBGPStatus, name, ns)
            self.own_statuses.apply("DELETED", existing[name])
