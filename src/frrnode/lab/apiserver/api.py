"""The verbs (get, list, create, update, patch, delete, deletecollection) with the real server's
semantics: server-set metadata, resourceVersion preconditions (409), status subresource rules,
generation, no-op writes, custom-resource schemas, field validation, admission, cascades.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from frrnode.lab.apiserver import schema as crdschema
from frrnode.lab.apiserver.kinds import CRD_GROUP, Registry, ResourceType
from frrnode.lab.apiserver.patch import json_patch, merge_patch, strategic_merge_patch
from frrnode.lab.apiserver.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)
from frrnode.lab.apiserver.status import (
    STALE,
    ApiError,
    FieldError,
    already_exists,
    bad_request,
    conflict,
    gone,
    internal,
    invalid,
    invalid_value,
    not_found,
    required,
    unsupported_media,
)
from frrnode.lab.apiserver.store import Store

JSON = dict[str, Any]

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_GENERATE_CHARS = "bcdfghjklmnpqrstvwxz2456789"

MERGE = "application/merge-patch+json"
JSONPATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"

# Admission: (operation, resource type, namespace, name, object, oldObject, dryRun, subresource)
Admit = Callable[[str, ResourceType, str, str, JSON | None, JSON | None, bool, str], Awaitable[list[str]]]


async def _no_admission(*_: Any) -> list[str]:
    return []


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Result:
    obj: JSON
    code: int = 200
    warnings: list[str] = field(default_factory=list)


@dataclass
class Stats:
    """Writes that reached storage, by (verb, plural, subresource); no-op writes are not counted."""

    writes: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def add(self, verb: str, rt: ResourceType, sub: str) -> None:
        key = (verb, rt.plural, sub)
        self.writes[key] = self.writes.get(key, 0) + 1

    def total(self, plural: str | None = None) -> int:
        return sum(n for (_, p, _), n in self.writes.items() if plural is None or p == plural)


def _strip_for_generation(rt: ResourceType, obj: JSON) -> JSON:
    return {
        k: v
        for k, v in obj.items()
        if k not in ("metadata", "apiVersion", "kind") and not (k == "status" and rt.status_subresource)
    }


def _comparable(obj: JSON) -> JSON:
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in ("resourceVersion", "managedFields")}
    return {**obj, "metadata": meta}


class Api:
    def __init__(self, registry: Registry, store: Store, admit: Admit | None = None) -> None:
        self.registry = registry
        self.store = store
        self.admit: Admit = admit or _no_admission
        self.stats = Stats()
        self.apply_intents: dict[tuple[str, str, str, str, str], JSON] = {}
        self._seed()

    def _seed(self) -> None:
        ns = self.registry.get("", "v1", "namespaces")
        assert ns is not None
        for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            self._server_fields_on_create(ns, obj)
            self.store.put(ns.storage_key, obj)

    # ------------------------------------------------------------------ helpers

    def _serve(self, rt: ResourceType, obj: JSON) -> JSON:
        if obj.get("apiVersion") == rt.api_version:
            return obj
        return {**obj, "apiVersion": rt.api_version}

    def _current(self, rt: ResourceType, ns: str, name: str) -> JSON:
        obj = self.store.get(rt.storage_key, ns, name)
        if obj is None:
            raise not_found(rt.plural, rt.group, name)
        return obj

    def _require_namespace(self, rt: ResourceType, ns: str) -> None:
        if rt.namespaced and self.store.get(("", "namespaces"), "", ns) is None:
            raise not_found("namespaces", "", ns)

    def _check_body(self, rt: ResourceType, body: Any, ns: str) -> JSON:
        if not isinstance(body, dict):
            raise bad_request(f"the object provided is unrecognized (must be of type {rt.kind})")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != rt.api_version:
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({rt.api_version})"
            )
        if kind and kind != rt.kind:
            raise bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        obj = copy.deepcopy(body)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        return obj

    def _schema_pass(self, rt: ResourceType, obj: JSON, validation: str, decoded: bool) -> list[str]:
        """Prune unknown fields (Strict: 400; Warn: warnings), default, validate (422).

        `decoded`: the body was the object itself (create, update), not the result of a patch: the
        real server then prefixes strict errors with "<Kind> in version ... cannot be handled as".
        """
        unknown = crdschema.prune_metadata(obj)
        if rt.custom and rt.schema is not None:
            unknown += crdschema.prune(obj, rt.schema)
        if unknown and validation == "Strict":
            text = "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in unknown)
            if decoded:
                text = f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {text}'
            raise bad_request(text)
        warnings = [f'unknown field "{p}"' for p in unknown] if validation == "Warn" else []
        if rt.custom and rt.schema is not None:
            crdschema.apply_defaults(obj, rt.schema)
        errors = self._validate_meta(rt, obj)
        if rt.custom and rt.schema is not None:
            errors += crdschema.validate(obj, rt.schema)
        if rt.storage_key == (CRD_GROUP, "customresourcedefinitions"):
            errors += _validate_crd(obj)
        if errors:
            raise invalid(rt.kind, rt.group, obj["metadata"].get("name", ""), errors)
        return warnings

    def _validate_meta(self, rt: ResourceType, obj: JSON) -> list[FieldError]:
        meta = obj["metadata"]
        name = meta.get("name", "")
        errors: list[FieldError] = []
        pattern, msg = (
            (DNS1123_LABEL, _LABEL_MSG) if rt.plural == "namespaces" else (DNS1123_SUBDOMAIN, _SUBDOMAIN_MSG)
        )
        if not name:
            errors.append(required("metadata.name", "name or generateName is required"))
        elif not pattern.match(name) or len(name) > (63 if rt.plural == "namespaces" else 253):
            errors.append(invalid_value("metadata.name", name, msg))
        for key, value in (meta.get("labels") or {}).items():
            if (
                not isinstance(value, str)
                or len(value) > 63
                or not re.match(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", value)
            ):
                errors.append(
                    invalid_value(
                        "metadata.labels",
                        value,
                        "a valid label must be an empty string or consist of alphanumeric "
                        "characters, '-', '_' or '.', and must start and end with an "
                        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                        "regex used for validation is "
                        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                    )
                )
            if len(key.rpartition("/")[2]) > 63:
                errors.append(
                    invalid_value("metadata.labels", key, "name part must be no more than 63 characters")
                )
        return errors

    def _server_fields_on_create(self, rt: ResourceType, obj: JSON) -> None:
        meta = obj["metadata"]
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields"):
            meta.pop(key, None)
        if rt.generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if rt.status_subresource and (rt.custom or rt.group == "apps"):
            obj.pop("status", None)
        if rt.plural == "namespaces" and rt.group == "":
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
        if rt.plural == "secrets" and rt.group == "":
            _fold_string_data(obj)
        if rt.storage_key == (CRD_GROUP, "customresourcedefinitions"):
            _crd_status(obj)

    # ------------------------------------------------------------------ reads

    def get(self, rt: ResourceType, ns: str, name: str) -> JSON:
        return self._serve(rt, self._current(rt, ns, name))

    def list(self, rt: ResourceType, ns: str | None, query: dict[str, str]) -> JSON:
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""), rt.field_getters)
        rv = query.get("resourceVersion", "")
        match = query.get("resourceVersionMatch", "")
        if rv and rv != "0":
            if not rv.isdigit():
                raise bad_request(f"invalid resource version: {rv}")
            if match == "Exact" and int(rv) != self.store.rv:
                if int(rv) < self.store.floor(rt.storage_key):
                    raise gone(f"too old resource version: {rv} ({self.store.floor(rt.storage_key)})")
                raise bad_request(
                    "resourceVersionMatch=Exact is only served for the latest resourceVersion "
                    "by this test double"
                )
        list_rv = self.store.rv
        start = ""
        if query.get("continue"):
            try:
                token = json.loads(base64.urlsafe_b64decode(query["continue"]).decode())
                list_rv, start = int(token["rv"]), str(token["start"])
            except (ValueError, KeyError, TypeError) as exc:
                raise bad_request(f"invalid continue token: {exc}") from exc
            if list_rv < self.store.floor(rt.storage_key):
                raise gone(
                    "The provided continue parameter is too old to display a consistent list result. You "
                    "can start a new list without the continue parameter, or use the continue token in "
                    "this response to retrieve the remainder of the results. Continuing with the provided "
                    "token results in an inconsistent list - objects that were created, modified, or "
                    "deleted between the time the first chunk was returned and now may show up in the "
                    "list."
                )
        items: list[JSON] = []
        limit = int(query.get("limit") or 0)
        more = prev = ""
        for obj in self.store.items(rt.storage_key, ns if rt.namespaced else None):
            meta = obj["metadata"]
            key = f"{meta.get('namespace', '')}/{meta['name']}"
            if start and key <= start:
                continue
            if not labels_match(labels, meta.get("labels") or {}):
                continue
            if not fields_match(fields, obj, rt.field_getters):
                continue
            if limit and len(items) == limit:
                more = base64.urlsafe_b64encode(json.dumps({"rv": list_rv, "start": prev}).encode()).decode()
                break
            items.append(self._serve(rt, obj))
            prev = key
        listmeta: JSON = {"resourceVersion": str(list_rv)}
        if more:
            listmeta["continue"] = more
        return {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": listmeta, "items": items}

    # ------------------------------------------------------------------ create

    async def create(self, rt: ResourceType, ns: str, body: Any, query: dict[str, str]) -> Result:
        obj = self._check_body(rt, body, ns)
        self._require_namespace(rt, ns)
        meta = obj["metadata"]
        if meta.get("resourceVersion"):
            raise internal("resourceVersion should not be set on objects to be created")
        generated = not meta.get("name") and bool(meta.get("generateName"))
        if generated:
            meta["name"] = meta["generateName"] + "".join(random.choices(_GENERATE_CHARS, k=5))
        warnings = self._schema_pass(rt, obj, query.get("fieldValidation", "Warn"), True)
        self._server_fields_on_create(rt, obj)
        dry = query.get("dryRun") == "All"
        warnings += await self.admit("CREATE", rt, ns, meta["name"], obj, None, dry, "")
        for _ in range(8):
            if self.store.get(rt.storage_key, meta.get("namespace", ""), meta["name"]) is None:
                break
            if not generated:
                raise already_exists(rt.plural, rt.group, meta["name"])
            meta["name"] = meta["generateName"] + "".join(random.choices(_GENERATE_CHARS, k=5))
        else:
            raise already_exists(rt.plural, rt.group, meta["name"])
        if not dry:
            self.store.put(rt.storage_key, obj)
            self.stats.add("create", rt, "")
            self._after_write(rt, obj)
        return Result(self._serve(rt, obj), 201, warnings)

    # ------------------------------------------------------------------ update / patch

    async def update(
        self, rt: ResourceType, ns: str, name: str, body: Any, sub: str, query: dict[str, str]
    ) -> Result:
        obj = self._check_body(rt, body, ns)
        meta = obj["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        meta["name"] = name
        current = self._current(rt, ns, name)
        rv = meta.get("resourceVersion")
        if not rv and rt.custom:
            raise invalid(
                rt.kind,
                rt.group,
                name,
                [invalid_value("metadata.resourceVersion", "0x0", "must be specified for an update")],
            )
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise conflict(rt.plural, rt.group, name, STALE)
        return await self._write(rt, ns, name, current, obj, sub, query, "update")

    async def patch(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        content_type: str,
        raw: bytes,
        sub: str,
        query: dict[str, str],
    ) -> Result:
        media = content_type.split(";")[0].strip()
        if media == APPLY:
            return await self.apply(rt, ns, name, raw, sub, query)
        accepted = [JSONPATCH, MERGE, APPLY] if rt.custom else [JSONPATCH, MERGE, STRATEGIC, APPLY]
        if media not in accepted:
            raise unsupported_media(accepted)
        try:
            patch = json.loads(raw or b"null")
        except ValueError as exc:
            raise bad_request(f"error decoding patch: {exc}") from exc
        current = self._current(rt, ns, name)
        base = copy.deepcopy(self._serve(rt, current))
        if media == MERGE:
            new = merge_patch(base, patch)
        elif media == JSONPATCH:
            new = json_patch(base, patch)
        else:
            new = strategic_merge_patch(rt.kind, base, patch)
        if not isinstance(new, dict):
            raise bad_request("the patch did not produce an object")
        new.setdefault("metadata", {})
        new["metadata"]["name"] = name
        if rt.namespaced:
            new["metadata"]["namespace"] = ns
        obj = self._check_body(rt, new, ns)
        rv = obj["metadata"].get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise conflict(rt.plural, rt.group, name, STALE)
        return await self._write(rt, ns, name, current, obj, sub, query, "patch")

    async def apply(
        self, rt: ResourceType, ns: str, name: str, raw: bytes, sub: str, query: dict[str, str]
    ) -> Result:
        """Server-side apply, approximated: the applied configuration is merged into the object (maps
        merged, lists replaced); fields this field manager applied before and omits now are removed.
        No managedFields and no conflicts between managers."""
        manager = query.get("fieldManager", "")
        if not manager:
            raise bad_request(
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                "required for apply patch"
            )
        try:
            intent = yaml.safe_load(raw.decode() or "null")
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise bad_request(f"error decoding YAML: {exc}") from exc
        intent = self._check_body(rt, intent, ns)
        if intent["metadata"].get("name") not in (None, name):
            raise bad_request(
                f"the name of the object ({intent['metadata']['name']}) does not match the name "
                f"on the URL ({name})"
            )
        intent["metadata"]["name"] = name
        ikey = (rt.group, rt.plural, ns, name, manager + "/" + sub)
        current = self.store.get(rt.storage_key, ns, name)
        if current is None:
            if sub:
                raise not_found(rt.plural, rt.group, name)
            result = await self.create(rt, ns, intent, query)
            self.apply_intents[ikey] = intent
            return result
        base = copy.deepcopy(self._serve(rt, current))
        previous = self.apply_intents.get(ikey)
        if previous is not None:
            base = merge_patch(base, _removals(previous, intent))
        new = _apply_merge(base, intent)
        rv = intent["metadata"].get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise conflict(rt.plural, rt.group, name, STALE)
        new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        result = await self._write(rt, ns, name, current, new, sub, query, "patch")
        self.apply_intents[ikey] = intent
        return result

    async def _write(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        current: JSON,
        obj: JSON,
        sub: str,
        query: dict[str, str],
        verb: str,
    ) -> Result:
        if sub == "status":
            status = obj.get("status")
            obj = copy.deepcopy(self._serve(rt, current))
            if status is None:
                obj.pop("status", None)
            else:
                obj["status"] = status
        elif rt.status_subresource:
            if "status" in current:
                obj["status"] = copy.deepcopy(current["status"])
            else:
                obj.pop("status", None)
        warnings = self._schema_pass(rt, obj, query.get("fieldValidation", "Warn"), verb == "update")
        meta, old_meta = obj["metadata"], current["metadata"]
        for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        meta.pop("managedFields", None)
        if rt.generation:
            gen = int(old_meta.get("generation", 1))
            if _strip_for_generation(rt, obj) != _strip_for_generation(rt, current):
                gen += 1
            meta["generation"] = gen
        if rt.plural == "secrets" and rt.group == "":
            _fold_string_data(obj)
        if rt.storage_key == (CRD_GROUP, "customresourcedefinitions"):
            obj["status"] = copy.deepcopy(current.get("status", {}))
            _crd_status(obj)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        dry = query.get("dryRun") == "All"
        op_sub = sub
        warnings += await self.admit("UPDATE", rt, ns, name, obj, self._serve(rt, current), dry, op_sub)
        latest = self._current(rt, ns, name)
        if latest["metadata"]["resourceVersion"] != old_meta["resourceVersion"]:
            raise conflict(rt.plural, rt.group, name, STALE)
        if _comparable(obj) == _comparable(self._serve(rt, current)):
            return Result(self._serve(rt, current), 200, warnings)
        if dry:
            return Result(obj, 200, warnings)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            final = self.store.remove(rt.storage_key, ns, name)
            self.stats.add("delete", rt, "")
            self._after_delete(rt, final or obj)
            return Result(self._serve(rt, final or obj), 200, warnings)
        self.store.put(rt.storage_key, obj)
        self.stats.add(verb, rt, sub)
        self._after_write(rt, obj)
        return Result(self._serve(rt, obj), 200, warnings)

    # ------------------------------------------------------------------ delete

    async def delete(
        self, rt: ResourceType, ns: str, name: str, options: JSON, query: dict[str, str]
    ) -> Result:
        current = self._current(rt, ns, name)
        pre = options.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != current["metadata"].get("uid"):
            raise conflict(
                rt.plural,
                rt.group,
                name,
                f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: "
                f"{current['metadata'].get('uid')}",
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != current["metadata"]["resourceVersion"]:
            raise conflict(
                rt.plural,
                rt.group,
                name,
                f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                f"ResourceVersion in object meta: {current['metadata']['resourceVersion']}",
            )
        dry = query.get("dryRun") == "All" or options.get("dryRun") == ["All"]
        warnings = await self.admit("DELETE", rt, ns, name, None, self._serve(rt, current), dry, "")
        if dry:
            return Result(self._serve(rt, current), 200, warnings)
        if current["metadata"].get("finalizers"):
            if current["metadata"].get("deletionTimestamp"):
                return Result(self._serve(rt, current), 202, warnings)
            marked = copy.deepcopy(current)
            marked["metadata"]["deletionTimestamp"] = now()
            marked["metadata"]["deletionGracePeriodSeconds"] = 0
            self.store.put(rt.storage_key, marked)
            self.stats.add("delete", rt, "")
            return Result(self._serve(rt, marked), 202, warnings)
        final = self.store.remove(rt.storage_key, ns, name)
        assert final is not None
        self.stats.add("delete", rt, "")
        self._after_delete(rt, final)
        return Result(self._serve(rt, final), 200, warnings)

    async def delete_collection(
        self, rt: ResourceType, ns: str | None, options: JSON, query: dict[str, str]
    ) -> JSON:
        listed = self.list(
            rt, ns, {k: v for k, v in query.items() if k in ("labelSelector", "fieldSelector")}
        )
        deleted = []
        for obj in listed["items"]:
            meta = obj["metadata"]
            try:
                result = await self.delete(rt, meta.get("namespace", ""), meta["name"], options, query)
            except ApiError as exc:
                if exc.code != 404:
                    raise
                continue
            deleted.append(result.obj)
        return {**listed, "items": deleted}

    # ------------------------------------------------------------------ side effects

    def _after_write(self, rt: ResourceType, obj: JSON) -> None:
        if rt.storage_key == (CRD_GROUP, "customresourcedefinitions"):
            self.registry.add_crd(obj)

    def _after_delete(self, rt: ResourceType, obj: JSON) -> None:
        meta = obj["metadata"]
        if rt.storage_key == (CRD_GROUP, "customresourcedefinitions"):
            for crt in self.registry.remove_crd(meta["name"]):
                for gone_obj in self.store.drop_resource(crt.storage_key):
                    self._after_delete(crt, gone_obj)
        if rt.storage_key == ("", "namespaces"):
            for other in self.registry.all():
                if other.namespaced:
                    for child in self.store.items(other.storage_key, meta["name"]):
                        cmeta = child["metadata"]
                        final = self.store.remove(other.storage_key, cmeta["namespace"], cmeta["name"])
                        if final is not None:
                            self._after_delete(other, final)
        self._collect_garbage(meta.get("uid", ""))

    def _collect_garbage(self, owner_uid: str) -> None:
        """Background cascading deletion: dependents whose ownerReferences name the deleted uid."""
        for key, ns, name in self.store.dependents(owner_uid):
            final = self.store.remove(key, ns, name)
            rt = next((t for t in self.registry.all() if t.storage_key == key), None)
            if final is not None and rt is not None:
                self._after_delete(rt, final)


def _fold_string_data(obj: JSON) -> None:
    """Secrets: stringData is write-only, merged into data (base64) by the server."""
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict):
        data = obj.setdefault("data", {})
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def _validate_crd(obj: JSON) -> list[FieldError]:
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    errors: list[FieldError] = []
    expected = f"{names.get('plural', '')}.{spec.get('group', '')}"
    if obj["metadata"].get("name") != expected:
        errors.append(
            invalid_value(
                "metadata.name", obj["metadata"].get("name"), 'must be spec.names.plural+"."+spec.group'
            )
        )
    if not names.get("kind"):
        errors.append(required("spec.names.kind"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        errors.append(
            required("spec.scope")
            if not spec.get("scope")
            else invalid_value("spec.scope", spec.get("scope"), 'must be either "Namespaced" or "Cluster"')
        )
    versions = spec.get("versions") or []
    if not versions:
        errors.append(required("spec.versions", "must have exactly one version marked as storage version"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        errors.append(
            invalid_value(
                "spec.versions", versions, "must have exactly one version marked as storage version"
            )
        )
    return errors


def _crd_status(obj: JSON) -> None:
    """A CRD is accepted and established at once (no names conflicts are checked)."""
    spec = obj.get("spec") or {}
    status = obj.setdefault("status", {})
    stamp = now()
    status["acceptedNames"] = copy.deepcopy(spec.get("names") or {})
    status["conditions"] = [
        {
            "type": "NamesAccepted",
            "status": "True",
            "reason": "NoConflicts",
            "message": "no conflicts found",
            "lastTransitionTime": stamp,
        },
        {
            "type": "Established",
            "status": "True",
            "reason": "InitialNamesAccepted",
            "message": "the initial names have been accepted",
            "lastTransitionTime": stamp,
        },
    ]
    stored = [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]
    status["storedVersions"] = sorted(set(status.get("storedVersions") or []) | set(stored))


def _removals(previous: Any, intent: Any) -> Any:
    """A merge patch deleting what `previous` set and `intent` no longer sets."""
    if not isinstance(previous, dict) or not isinstance(intent, dict):
        return {}
    out: JSON = {}
    for key, value in previous.items():
        if key in ("apiVersion", "kind"):
            continue
        if key not in intent:
            out[key] = None
        elif isinstance(value, dict) and isinstance(intent[key], dict):
            sub = _removals(value, intent[key])
            if sub:
                out[key] = sub
    return out


def _apply_merge(base: Any, intent: Any) -> Any:
    if isinstance(base, dict) and isinstance(intent, dict):
        out = dict(base)
        for key, value in intent.items():
            out[key] = _apply_merge(base.get(key), value)
        return out
    return copy.deepcopy(intent)
