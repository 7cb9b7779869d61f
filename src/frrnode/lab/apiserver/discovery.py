"""Discovery documents (legacy, unaggregated: /api, /apis, /apis/<g>/<v>) and the OpenAPI v3
documents kubectl reads to learn that the server validates fields (`fieldValidation`) and which
patch types a kind accepts. The v3 documents carry the CRDs' schemas (for `kubectl explain`);
built-in kinds are described by their paths only. /openapi/v2 is not served (kubectl falls back).
"""

from __future__ import annotations

from typing import Any

from frrnode.lab.apiserver.api import APPLY, JSONPATCH, MERGE
from frrnode.lab.apiserver.kinds import Registry, ResourceType

JSON = dict[str, Any]

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-frrnode-double",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions(address: str) -> JSON:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def _group(name: str, versions: list[str]) -> JSON:
    gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}


def group_list(registry: Registry) -> JSON:
    groups = [_group(g, sorted(vs, reverse=True)) for g, vs in sorted(registry.group_versions().items()) if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(registry: Registry, name: str) -> JSON | None:
    versions = registry.group_versions().get(name)
    if not versions or not name:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, sorted(versions, reverse=True))}


def resource_list(registry: Registry, group_name: str, version: str) -> JSON | None:
    types = registry.in_group_version(group_name, version)
    if not types:
        return None
    resources = [r for rt in types for r in rt.discovery()]
    gv = f"{group_name}/{version}" if group_name else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


# ------------------------------------------------------------------ OpenAPI v3


def _gv_path(group_name: str, version: str) -> str:
    return f"apis/{group_name}/{version}" if group_name else f"api/{version}"


def openapi_root(registry: Registry) -> JSON:
    paths = {}
    for g, versions in registry.group_versions().items():
        for v in versions:
            p = _gv_path(g, v)
            paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}"}
    return {"paths": paths}


def _schema_name(rt: ResourceType) -> str:
    rev = ".".join(reversed(rt.group.split("."))) if rt.group else "io.k8s.api.core"
    return f"{rev}.{rt.version}.{rt.kind}"


def _param(name: str) -> JSON:
    return {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}


def _op(rt: ResourceType, action: str, body_types: list[str] | None = None) -> JSON:
    op: JSON = {
        "operationId": f"{action}{rt.kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "parameters": [_param("dryRun"), _param("fieldManager")],
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{_schema_name(rt)}"}}
                },
            }
        },
    }
    if action in ("post", "put", "patch"):
        op["parameters"].append(_param("fieldValidation"))
        op["requestBody"] = {
            "content": {t: {"schema": {"type": "object"}} for t in body_types or ["application/json"]},
            "required": True,
        }
    if action == "patch":
        op["parameters"].append(_param("force"))
    return op


def openapi_doc(registry: Registry, group_name: str, version: str) -> JSON | None:
    types = registry.in_group_version(group_name, version)
    if not types:
        return None
    prefix = "/" + _gv_path(group_name, version)
    paths: JSON = {}
    schemas: JSON = {}
    for rt in types:
        base = f"{prefix}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{prefix}/{rt.plural}"
        # Strategic merge patch is left out on purpose: kubectl then computes apply patches from its
        # compiled-in types (built-in kinds) or as JSON merge patches (custom kinds), as it does
        # against a real server when OpenAPI v3 cannot describe the schema.
        patch_types = [JSONPATCH, MERGE, APPLY]
        paths[f"{base}/{{name}}"] = {
            "get": _op(rt, "get"),
            "put": _op(rt, "put"),
            "delete": _op(rt, "delete"),
            "patch": _op(rt, "patch", patch_types),
        }
        paths[base] = {"get": _op(rt, "list"), "post": _op(rt, "post")}
        if rt.status_subresource:
            paths[f"{base}/{{name}}/status"] = {
                "get": _op(rt, "get"),
                "put": _op(rt, "put"),
                "patch": _op(rt, "patch", patch_types),
            }
        schema: JSON = (
            dict(rt.schema) if rt.schema else {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        )
        schema["x-kubernetes-group-version-kind"] = [
            {"group": rt.group, "version": rt.version, "kind": rt.kind}
        ]
        schemas[_schema_name(rt)] = schema
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": schemas},
    }
