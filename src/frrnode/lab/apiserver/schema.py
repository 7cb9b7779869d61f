"""A CRD's structural schema applied to a custom resource: pruning, defaulting, validation.

Order and semantics as the apiextensions server: unknown fields are pruned (their paths are
returned so that `fieldValidation=Strict` can refuse them and `Warn` can warn), nulls of
non-nullable fields are dropped or defaulted, `default`s are applied, then the OpenAPI v3
value validations run with go-openapi's messages (type, enum, min/max, lengths, items,
pattern, the formats the real server checks: ipv4, ipv6, cidr, date-time, uuid, byte, ...).

Not implemented: CEL rules (`x-kubernetes-validations`) are not evaluated (the webhook and the
agent enforce frrnode's equivalents); `x-kubernetes-list-type: map` uniqueness is checked on the
map keys only; `oneOf`/`not` are ignored.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from frrnode.lab.apiserver.status import (
    FieldError,
    duplicate,
    invalid_value,
    required,
    too_long,
    too_many,
    unsupported,
)

JSON = dict[str, Any]

OBJECT_META_FIELDS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def prune_metadata(obj: JSON) -> list[str]:
    """Drop unknown ObjectMeta keys (the real server decodes metadata strictly, for every kind)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return []
    unknown = sorted(k for k in meta if k not in OBJECT_META_FIELDS)
    for key in unknown:
        del meta[key]
    return [f"metadata.{k}" for k in unknown]


def prune(obj: JSON, schema: JSON) -> list[str]:
    """Remove, in place, every field the schema does not declare; returns their paths."""
    unknown: list[str] = []
    props = schema.get("properties") or {}
    for key in list(obj):
        if key in ("apiVersion", "kind", "metadata"):
            continue
        if key in props:
            obj[key] = _prune(obj[key], props[key], key, unknown)
        elif not schema.get("x-kubernetes-preserve-unknown-fields"):
            del obj[key]
            unknown.append(key)
    return unknown


def _prune(value: Any, schema: JSON, path: str, unknown: list[str]) -> Any:
    if isinstance(value, dict):
        if schema.get("x-kubernetes-embedded-resource"):
            return value
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        for key in sorted(value):
            if props is not None and key in props:
                value[key] = _prune(value[key], props[key], child(path, key), unknown)
            elif isinstance(extra, dict):
                value[key] = _prune(value[key], extra, child(path, key), unknown)
            elif extra is True or preserve:
                continue
            else:
                del value[key]
                unknown.append(child(path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_prune(v, schema["items"], f"{path}[{i}]", unknown) for i, v in enumerate(value)]
    return value


def apply_defaults(obj: JSON, schema: JSON) -> None:
    """Fill `default`s in place (after pruning), dropping nulls of non-nullable fields without one."""
    _default(obj, schema)


def _default(value: Any, schema: JSON) -> None:
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, sub in props.items():
            if key in value and value[key] is None and not sub.get("nullable"):
                if "default" in sub:
                    value[key] = copy.deepcopy(sub["default"])
                else:
                    del value[key]
            elif key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                _default(value[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                if key not in props:
                    _default(value[key], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _default(item, schema["items"])


# ------------------------------------------------------------------ validation


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(value: Any, typ: str) -> bool:
    actual = _type_name(value)
    if typ == "number":
        return actual in ("integer", "number")
    return actual == typ


def _parses(parse: Callable[[str], object]) -> Callable[[str], bool]:
    """A format check: True when `parse` accepts the text (it raises ValueError if not)."""

    def check(text: str) -> bool:
        try:
            parse(text)
        except ValueError:  # binascii.Error is one too
            return False
        return True

    return check


def _cidr(text: str) -> object:
    if "/" not in text:
        raise ValueError(f"{text!r}: no prefix length")
    return ipaddress.ip_network(text, strict=False)


def _datetime(text: str) -> object:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


FORMATS: dict[str, Callable[[str], bool]] = {
    "ipv4": _parses(ipaddress.IPv4Address),
    "ipv6": _parses(ipaddress.IPv6Address),
    "cidr": _parses(_cidr),
    "date-time": _parses(_datetime),
    "datetime": _parses(_datetime),
    "uuid": _parses(uuid.UUID),
    "byte": _parses(lambda text: base64.b64decode(text, validate=True)),
}


def validate(obj: JSON, schema: JSON) -> list[FieldError]:
    """Every value error of `obj` against the root schema (apiVersion/kind/metadata skipped)."""
    errors: list[FieldError] = []
    props = schema.get("properties") or {}
    for key in sorted(obj):
        if key not in ("apiVersion", "kind", "metadata") and key in props:
            _validate(obj[key], props[key], key, errors)
    for key in schema.get("required") or []:
        if key not in obj:
            errors.append(required(key))
    return errors


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _validate(value: Any, schema: JSON, path: str, errors: list[FieldError]) -> None:
    if value is None:
        if not schema.get("nullable"):
            errors.append(
                invalid_value(path, value, f'{path} in body must be of type {schema.get("type")}: "null"')
            )
        return
    typ = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, int | str) or isinstance(value, bool):
            errors.append(
                invalid_value(
                    path, value, f'{path} in body must be of type integer,string: "{_type_name(value)}"'
                )
            )
            return
    elif typ and not _type_ok(value, typ):
        errors.append(
            invalid_value(path, value, f'{path} in body must be of type {typ}: "{_type_name(value)}"')
        )
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(unsupported(path, value, [v if isinstance(v, str) else str(v) for v in schema["enum"]]))
    if isinstance(value, str):
        _validate_string(value, schema, path, errors)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _validate_number(value, schema, path, errors)
    elif isinstance(value, list):
        _validate_array(value, schema, path, errors)
    elif isinstance(value, dict):
        _validate_object(value, schema, path, errors)
    for sub in schema.get("allOf") or []:
        _validate(value, sub, path, errors)
    if schema.get("anyOf"):
        attempts = []
        for sub in schema["anyOf"]:
            errs: list[FieldError] = []
            _validate(value, sub, path, errs)
            attempts.append(errs)
        if all(attempts):
            errors.extend(attempts[0])


def _validate_string(value: str, schema: JSON, path: str, errors: list[FieldError]) -> None:
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(too_long(path, schema["maxLength"]))
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(
            invalid_value(path, value, f"{path} in body should be at least {schema['minLength']} chars long")
        )
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(invalid_value(path, value, f"{path} in body should match '{schema['pattern']}'"))
    check = FORMATS.get(schema.get("format", ""))
    if check is not None and not check(value):
        errors.append(
            invalid_value(path, value, f'{path} in body must be of type {schema["format"]}: "{value}"')
        )


def _validate_number(value: float, schema: JSON, path: str, errors: list[FieldError]) -> None:
    if "maximum" in schema:
        limit = schema["maximum"]
        if value > limit or (schema.get("exclusiveMaximum") and value == limit):
            rel = "less than" if schema.get("exclusiveMaximum") else "less than or equal to"
            errors.append(invalid_value(path, value, f"{path} in body should be {rel} {_num(limit)}"))
    if "minimum" in schema:
        limit = schema["minimum"]
        if value < limit or (schema.get("exclusiveMinimum") and value == limit):
            rel = "greater than" if schema.get("exclusiveMinimum") else "greater than or equal to"
            errors.append(invalid_value(path, value, f"{path} in body should be {rel} {_num(limit)}"))
    if "multipleOf" in schema and value % schema["multipleOf"]:
        errors.append(
            invalid_value(path, value, f"{path} in body should be a multiple of {schema['multipleOf']}")
        )


def _validate_array(value: list[Any], schema: JSON, path: str, errors: list[FieldError]) -> None:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(too_many(path, len(value), schema["maxItems"]))
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(
            invalid_value(path, value, f"{path} in body should have at least {schema['minItems']} items")
        )
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _validate(item, items, f"{path}[{i}]", errors)
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "set":
        seen: list[Any] = []
        for i, item in enumerate(value):
            if item in seen:
                errors.append(duplicate(f"{path}[{i}]", item))
            seen.append(item)
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen_keys: list[tuple[Any, ...]] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                ident = tuple(item.get(k) for k in keys)
                if ident in seen_keys:
                    errors.append(duplicate(f"{path}[{i}]", {k: item.get(k) for k in keys}))
                seen_keys.append(ident)


def _validate_object(value: JSON, schema: JSON, path: str, errors: list[FieldError]) -> None:
    props = schema.get("properties") or {}
    for key in sorted(value):
        if key in props:
            _validate(value[key], props[key], child(path, key), errors)
        elif isinstance(schema.get("additionalProperties"), dict):
            _validate(value[key], schema["additionalProperties"], child(path, key), errors)
    for key in schema.get("required") or []:
        if key not in value:
            errors.append(required(child(path, key)))
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errors.append(too_many(path, len(value), schema["maxProperties"]))
