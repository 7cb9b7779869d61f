"""The patch formats of PATCH requests.

- JSON merge patch (RFC 7386, `application/merge-patch+json`);
- JSON patch (RFC 6902, `application/json-patch+json`): add, remove, replace, move, copy, test;
- strategic merge patch (`application/strategic-merge-patch+json`, built-in kinds only, as the
  real server): maps merge, `null` deletes, lists of the fields listed in `MERGE_KEYS` merge by
  their key (with `$patch: delete|replace|merge`, `$setElementOrder/<field>`), primitive lists
  with a merge strategy (finalizers) union with `$deleteFromPrimitiveList/<field>`, and
  `$retainKeys`. Other lists are replaced. This covers what kubectl (apply, label, annotate,
  edit) sends for the kinds frrnode's manifests use; the merge keys of other fields are not known.
"""

from __future__ import annotations

import copy
from typing import Any

from frrnode.lab.apiserver.status import ApiError, bad_request

JSON = dict[str, Any]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# ------------------------------------------------------------------ RFC 6902


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, "Invalid", message)


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _unprocessable(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], path: str) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise _unprocessable(f"doc is missing path: {path!r}: missing value")
    return doc


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        raise _unprocessable("cannot remove the whole document")
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise _unprocessable(f"unable to remove nonexistent key: {last}: missing value")


def _add(doc: Any, path: str, value: Any, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return copy.deepcopy(value)
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    value = copy.deepcopy(value)
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _unprocessable(
                f"replace operation does not apply: doc is missing key: {path}: missing value"
            )
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise _unprocessable(f"index out of bounds: {path}")
    else:
        raise _unprocessable(f"doc is missing path: {path!r}: missing value")
    return doc


def json_patch(doc: Any, ops: Any) -> Any:
    """RFC 6902; a failed `test` or a missing path is a 422 as from the real server."""
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request(f"invalid JSON patch operation: {op!r}")
        kind, path = op["op"], op["path"]
        if kind == "add":
            doc = _add(doc, path, op.get("value"))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            doc = _add(doc, path, op.get("value"), replace=True)
        elif kind == "move":
            value = _remove(doc, op.get("from", ""))
            doc = _add(doc, path, value)
        elif kind == "copy":
            value = _walk(doc, _pointer(op.get("from", "")), op.get("from", ""))
            doc = _add(doc, path, value)
        elif kind == "test":
            if _walk(doc, _pointer(path), path) != op.get("value"):
                raise _unprocessable(f"testing value {path} failed: test failed")
        else:
            raise bad_request(f"Unexpected kind: {kind}")
    return doc


# ------------------------------------------------------------------ strategic merge patch

# (kind or "*", field name) -> merge key, from the patchMergeKey tags of k8s.io/api.
MERGE_KEYS: dict[tuple[str, str], str] = {
    ("*", "containers"): "name",
    ("*", "initContainers"): "name",
    ("*", "ephemeralContainers"): "name",
    ("*", "volumes"): "name",
    ("*", "imagePullSecrets"): "name",
    ("*", "env"): "name",
    ("*", "volumeMounts"): "mountPath",
    ("*", "volumeDevices"): "devicePath",
    ("*", "hostAliases"): "ip",
    ("*", "conditions"): "type",
    ("*", "ownerReferences"): "uid",
    ("*", "webhooks"): "name",
    ("*", "topologySpreadConstraints"): "topologyKey",
    ("*", "resourceClaims"): "name",
    ("*", "resizePolicy"): "resourceName",
    ("Service", "ports"): "port",
    ("*", "ports"): "containerPort",
    ("Node", "addresses"): "type",
}
# Primitive lists with patchStrategy merge.
MERGE_PRIMITIVES = {"finalizers"}

_DIRECTIVE = "$patch"
_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"
_RETAIN = "$retainKeys"


def strategic_merge_patch(kind: str, target: Any, patch: Any) -> Any:
    return _smp_map(kind, target if isinstance(target, dict) else {}, patch)


def _merge_key(kind: str, name: str) -> str | None:
    return MERGE_KEYS.get((kind, name)) or MERGE_KEYS.get(("*", name))


def _smp_map(kind: str, target: JSON, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get(_DIRECTIVE)
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != _DIRECTIVE}
    if directive == "delete":
        return None
    out = dict(target)
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key == _DIRECTIVE:
            continue
        if key.startswith(_ORDER):
            orders[key[len(_ORDER) :]] = value
            continue
        if key.startswith(_DELETE_PRIMITIVE):
            field = key[len(_DELETE_PRIMITIVE) :]
            out[field] = [v for v in out.get(field) or [] if v not in value]
            continue
        if key == _RETAIN:
            continue
        if value is None:
            out.pop(key, None)
            continue
        current = out.get(key)
        if isinstance(value, dict):
            merged = _smp_map(kind, current if isinstance(current, dict) else {}, value)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        elif isinstance(value, list):
            out[key] = _smp_list(kind, key, current if isinstance(current, list) else [], value)
        else:
            out[key] = copy.deepcopy(value)
    for field, order in orders.items():
        if isinstance(out.get(field), list):
            out[field] = _reorder(kind, field, out[field], order)
    if isinstance(patch.get(_RETAIN), list):
        keep = set(patch[_RETAIN])
        out = {k: v for k, v in out.items() if k in keep}
    return out


def _smp_list(kind: str, field: str, current: list[Any], patch: list[Any]) -> list[Any]:
    key = _merge_key(kind, field)
    if field in MERGE_PRIMITIVES:
        return current + [v for v in patch if v not in current]
    if key is None or not all(isinstance(p, dict) for p in patch):
        return copy.deepcopy([p for p in patch if not (isinstance(p, dict) and p.get(_DIRECTIVE))])
    if any(p.get(_DIRECTIVE) == "replace" for p in patch):
        return copy.deepcopy([p for p in patch if p.get(_DIRECTIVE) != "replace"])
    out = [copy.deepcopy(c) for c in current]
    for item in patch:
        ident = item.get(key)
        idx = next((i for i, c in enumerate(out) if isinstance(c, dict) and c.get(key) == ident), None)
        if item.get(_DIRECTIVE) == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append(_smp_map(kind, {}, item))
        else:
            out[idx] = _smp_map(kind, out[idx], item)
    return out


def _reorder(kind: str, field: str, items: list[Any], order: list[Any]) -> list[Any]:
    key = _merge_key(kind, field)
    if key is None:
        ranks = {repr(v): i for i, v in enumerate(order)}
        return sorted(items, key=lambda v: ranks.get(repr(v), len(ranks)))
    ranks = {repr(o.get(key)) if isinstance(o, dict) else repr(o): i for i, o in enumerate(order)}
    return sorted(items, key=lambda v: ranks.get(repr(v.get(key)) if isinstance(v, dict) else "", len(ranks)))
