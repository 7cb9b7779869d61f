"""The API resources frrnode reads and writes, as lightkube generic (dict-backed) resources.

Dicts, not typed models: the informers keep only what they need of each object, and the
pipeline validates the few objects that matter with its own pydantic models (`api/`).
The core kinds (and MetalLB's, `kube.metallb`) are classes of their own (`namespaced_kind`,
`cluster_kind`), outside lightkube's global registry, so that they never clash with
lightkube's typed classes of the same kinds elsewhere in the process.
"""

from __future__ import annotations

from typing import Any

from lightkube.core.resource import ApiInfo
from lightkube.generic_resource import (
    GenericGlobalResource,
    GenericNamespacedResource,
    create_api_info,
    create_global_resource,
    create_namespaced_resource,
)

from frrnode.api.loader import ExtraKinds, ParsedFile, Resources, collect, parse_object
from frrnode.api.v1beta1 import GROUP_VERSION
from frrnode.errors import ConfigErrors

API_VERSION = GROUP_VERSION
GROUP, _, VERSION = API_VERSION.partition("/")

FRRConfiguration = create_namespaced_resource(GROUP, VERSION, "FRRConfiguration", "frrconfigurations")
FRRK8sConfiguration = create_namespaced_resource(
    GROUP, VERSION, "FRRK8sConfiguration", "frrk8sconfigurations"
)
FRRNodeState = create_global_resource(GROUP, VERSION, "FRRNodeState", "frrnodestates")
BGPSessionState = create_namespaced_resource(GROUP, VERSION, "BGPSessionState", "bgpsessionstates")


def namespaced_kind(group: str, version: str, kind: str, plural: str) -> Any:
    """A namespaced kind as a class of its own, outside lightkube's registry."""
    info = create_api_info(group, version, kind, plural)
    return type(kind, (GenericNamespacedResource,), {"_api_info": info})


def cluster_kind(group: str, version: str, kind: str, plural: str) -> Any:
    """A cluster-scoped kind as a class of its own, outside lightkube's registry."""
    info = create_api_info(group, version, kind, plural)
    return type(kind, (GenericGlobalResource,), {"_api_info": info})


def status_subresource(parent: Any) -> Any:
    """The status subresource of a namespaced kind (`.../status`: get, patch, PUT)."""
    info = parent._api_info
    status_info = ApiInfo(
        resource=info.resource, parent=info.resource, plural=info.plural, verbs=["get", "patch", "put"],
        action="status",
    )  # fmt: skip
    return type(f"{info.resource.kind}Status", (GenericNamespacedResource,), {"_api_info": status_info})


Node = cluster_kind("", "v1", "Node", "nodes")
Secret = namespaced_kind("", "v1", "Secret", "secrets")
Pod = namespaced_kind("", "v1", "Pod", "pods")
ValidatingWebhookConfiguration = cluster_kind(
    "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations"
)


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    """An object's metadata (always a dict on the wire)."""
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def name_of(obj: dict[str, Any]) -> str:
    return str(meta(obj).get("name", ""))


def namespace_of(obj: dict[str, Any]) -> str:
    return str(meta(obj).get("namespace", "") or "")


def key_of(obj: dict[str, Any]) -> tuple[str, str]:
    return namespace_of(obj), name_of(obj)


def resource_version_of(obj: dict[str, Any]) -> str:
    return str(meta(obj).get("resourceVersion", "") or "")


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    labels = meta(obj).get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def load_objects(items: list[dict[str, Any]], extra_kinds: ExtraKinds | None = None) -> Resources:
    """Objects from the API as the pipeline's `Resources`, through the manifest loader (the
    same validation and field paths as files). Raises `ConfigErrors`."""
    return ObjectCache(extra_kinds).resources(items)


class ObjectCache:
    """`load_objects` for a loop that reads its informer caches on every pass: each object is
    validated once and reused while the cache holds the same (or an equal) dict for it, so a
    pass costs what changed, and an unchanged object is the *same* Python object from one
    pass to the next (the pipeline's and MetalLB's per-object caches go by identity). Without
    it a MetalLB speaker validated every Service and EndpointSlice of the cluster on every
    change of any of them (3,000 of each: ~2-3 s per pass)."""

    def __init__(self, extra_kinds: ExtraKinds | None = None) -> None:
        self.extra_kinds = extra_kinds
        self._parsed: dict[tuple[Any, ...], tuple[dict[str, Any], ParsedFile]] = {}
        self.parses = 0

    def resources(self, items: list[dict[str, Any]]) -> Resources:
        """Raises `ConfigErrors` with every error of every object (and duplicates)."""
        parsed: dict[tuple[Any, ...], tuple[dict[str, Any], ParsedFile]] = {}
        for item in items:
            m = meta(item)
            key = (item.get("apiVersion"), item.get("kind"), m.get("namespace"), m.get("name"))
            cached = self._parsed.get(key)
            if cached is None or not (cached[0] is item or cached[0] == item):
                cached = (item, parse_object(item, extra_kinds=self.extra_kinds))
                self.parses += 1
            # The same object twice: both kept, the loader reports the duplicate.
            parsed[key if key not in parsed else (*key, len(parsed))] = cached
        self._parsed = parsed
        out, errors = collect(p for _, p in parsed.values())
        if errors:
            raise ConfigErrors(errors)
        return out
