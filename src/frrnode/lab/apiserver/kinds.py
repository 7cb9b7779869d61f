"""The resource types the double serves: a fixed set of built-in kinds plus every served version
of every CustomResourceDefinition stored in it (added when the CRD is created, removed with it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from frrnode.lab.apiserver.selectors import FieldGetter

JSON = dict[str, Any]

CRD_GROUP = "apiextensions.k8s.io"
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _path(*keys: str) -> FieldGetter:
    def get(obj: Mapping[str, Any]) -> str | None:
        cur: Any = obj
        for k in keys:
            if not isinstance(cur, Mapping):
                return None
            cur = cur.get(k)
        if cur is None:
            return None
        if isinstance(cur, bool):
            return "true" if cur else "false"
        return str(cur)

    return get


META_FIELDS: dict[str, FieldGetter] = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status_subresource: bool = False
    generation: bool = False
    """Whether metadata.generation is kept (CRs, CRDs, workloads); bumped on spec changes."""
    custom: bool = False
    schema: JSON | None = None
    printer_columns: tuple[JSON, ...] = ()
    extra_fields: Mapping[str, FieldGetter] = field(default_factory=dict)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> tuple[str, str]:
        """Versions of one group/resource share one storage (no conversion needed: one schema)."""
        return (self.group, self.plural)

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def field_getters(self) -> dict[str, FieldGetter]:
        return {**META_FIELDS, **self.extra_fields}

    def discovery(self) -> list[JSON]:
        main: JSON = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": VERBS,
        }
        if self.short_names:
            main["shortNames"] = list(self.short_names)
        if self.categories:
            main["categories"] = list(self.categories)
        out = [main]
        if self.status_subresource:
            out.append(
                {
                    "name": f"{self.plural}/status",
                    "singularName": "",
                    "namespaced": self.namespaced,
                    "kind": self.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
        return out


def _builtin(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool,
    *short: str,
    status: bool = False,
    generation: bool = False,
    categories: tuple[str, ...] = (),
    extra: Mapping[str, FieldGetter] | None = None,
) -> ResourceType:
    return ResourceType(
        group,
        version,
        kind,
        plural,
        namespaced,
        kind.lower(),
        tuple(short),
        categories,
        status,
        generation,
        extra_fields=dict(extra or {}),
    )


BUILTINS: tuple[ResourceType, ...] = (
    _builtin(
        "",
        "v1",
        "Namespace",
        "namespaces",
        False,
        "ns",
        status=True,
        extra={"status.phase": _path("status", "phase")},
    ),
    _builtin(
        "",
        "v1",
        "Node",
        "nodes",
        False,
        "no",
        status=True,
        extra={"spec.unschedulable": _path("spec", "unschedulable")},
    ),
    _builtin(
        "",
        "v1",
        "Pod",
        "pods",
        True,
        "po",
        status=True,
        categories=("all",),
        extra={
            "spec.nodeName": _path("spec", "nodeName"),
            "status.phase": _path("status", "phase"),
            "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        },
    ),
    _builtin("", "v1", "Secret", "secrets", True, extra={"type": _path("type")}),
    _builtin("", "v1", "ConfigMap", "configmaps", True, "cm"),
    _builtin("", "v1", "Service", "services", True, "svc", status=True, categories=("all",)),
    _builtin("", "v1", "ServiceAccount", "serviceaccounts", True, "sa"),
    _builtin(
        "",
        "v1",
        "Event",
        "events",
        True,
        "ev",
        extra={
            "involvedObject.name": _path("involvedObject", "name"),
            "involvedObject.kind": _path("involvedObject", "kind"),
            "involvedObject.namespace": _path("involvedObject", "namespace"),
            "involvedObject.uid": _path("involvedObject", "uid"),
            "reason": _path("reason"),
            "type": _path("type"),
        },
    ),
    _builtin(
        "apps", "v1", "DaemonSet", "daemonsets", True, "ds", status=True, generation=True, categories=("all",)
    ),
    _builtin(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        True,
        "deploy",
        status=True,
        generation=True,
        categories=("all",),
    ),
    _builtin("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _builtin("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _builtin("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    _builtin("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    _builtin(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
        generation=True,
    ),
    _builtin(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
        generation=True,
    ),
    _builtin(
        CRD_GROUP,
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        "crd",
        "crds",
        status=True,
        generation=True,
    ),
    _builtin("coordination.k8s.io", "v1", "Lease", "leases", True),
    # MetalLB's speaker reads the endpoints of Services (externalTrafficPolicy: Local).
    _builtin("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
)


def from_crd(crd: JSON) -> list[ResourceType]:
    """The served versions of a CRD as resource types."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    out = []
    for ver in spec.get("versions") or []:
        if not ver.get("served", True):
            continue
        extra: dict[str, FieldGetter] = {}
        for sel in ver.get("selectableFields") or []:
            jp = str(sel.get("jsonPath", "")).lstrip(".")
            if jp:
                extra[jp] = _path(*jp.split("."))
        out.append(
            ResourceType(
                group=spec.get("group", ""),
                version=ver.get("name", ""),
                kind=names.get("kind", ""),
                plural=names.get("plural", ""),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                singular=names.get("singular") or str(names.get("kind", "")).lower(),
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                status_subresource="status" in (ver.get("subresources") or {}),
                generation=True,
                custom=True,
                schema=((ver.get("schema") or {}).get("openAPIV3Schema"))
                or {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                printer_columns=tuple(ver.get("additionalPrinterColumns") or ()),
                extra_fields=extra,
            )
        )
    return out


class Registry:
    """Lookup of resource types by group/version/plural, and discovery listings."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._crd_types: dict[str, list[ResourceType]] = {}
        for rt in BUILTINS:
            self._types[(rt.group, rt.version, rt.plural)] = rt

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def add_crd(self, crd: JSON) -> list[ResourceType]:
        name = crd["metadata"]["name"]
        self.remove_crd(name)
        types = from_crd(crd)
        for rt in types:
            self._types[(rt.group, rt.version, rt.plural)] = rt
        self._crd_types[name] = types
        return types

    def remove_crd(self, name: str) -> list[ResourceType]:
        types = self._crd_types.pop(name, [])
        for rt in types:
            self._types.pop((rt.group, rt.version, rt.plural), None)
        return types

    def all(self) -> list[ResourceType]:
        return list(self._types.values())

    def group_versions(self) -> dict[str, list[str]]:
        """group -> versions (the core group is "")."""
        out: dict[str, list[str]] = {}
        for rt in self._types.values():
            versions = out.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return sorted(
            (rt for rt in self._types.values() if rt.group == group and rt.version == version),
            key=lambda rt: rt.plural,
        )

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        for rt in self._types.values():
            if rt.api_version == api_version and rt.kind == kind:
                return rt
        return None
