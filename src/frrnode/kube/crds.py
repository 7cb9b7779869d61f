"""The four CustomResourceDefinitions, generated from the pydantic models of `frrnode.api`.

The models give the structure, types, enums, limits and required fields; `OVERLAY` adds what a
CRD says and a pydantic type does not (formats, schema defaults, CEL rules, list/map markers,
and upstream's choices where they differ from the model, e.g. `localPref` without bounds), so
that the result is field-for-field what FRR-K8s's controller-gen emits (spec §1): existing
objects and MetalLB keep working. `tests/kube/test_crds.py` checks the checked-in files
(config/crd/bases) against this generator and against upstream's CRDs.

Regenerate with `frrnode k8s crds --write config/crd/bases`.
"""

from __future__ import annotations

import copy
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import yaml
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from frrnode.api.v1beta1 import (
    BGPSessionState,
    FRRConfiguration,
    FRRK8sConfiguration,
    FRRNodeState,
    parse_duration,
)
from frrnode.kube.resources import GROUP, VERSION

JSON = dict[str, Any]
DELETE = object()
"""An overlay value that removes a keyword the model would produce."""

_IPV4 = (
    r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$"
)


def _rd_rules(what: str, wildcard: bool) -> list[JSON]:
    """CEL for a route distinguisher / route target, with the messages of `frrnode.api.v1beta1`.

    No backslash escapes in the regular expressions: `\\.` is not a valid CEL string escape
    (the API server would refuse the CRD); `[.]` says the same."""
    g = "self.split(':')[0]"
    lo = "self.split(':')[1]"
    one = "self.split(':').size() == 2"
    num = "matches('^[0-9]+$')"
    star = f"{g} == '*' || " if wildcard else ""
    rules = [
        {"rule": one, "message": f"{what} must contain exactly one colon"},
        {"rule": f"!({one}) || {lo}.{num}", "message": f"{what} local administrator must be a number"},
        {
            "rule": f"!({one}) || {star}{g}.{num} || {g}.matches('{_IPV4}')",
            "message": f"{what} global administrator must be either an IPv4 address or a number",
        },
        {
            "rule": f"!({one}) || !{lo}.{num} || !{g}.matches('{_IPV4}') || uint({lo}) <= 65535u",
            "message": f"{what} local administrator must be at most 65535 with an IPv4 global administrator",
        },
        {
            "rule": f"!({one}) || !{lo}.{num} || !{g}.{num} || uint({g}) <= 65535u || uint({lo}) <= 65535u",
            "message": f"{what} local administrator must be at most 65535 with a 4-byte ASN",
        },
        {
            "rule": f"!({one}) || !{lo}.{num} || !{g}.{num} || uint({g}) <= 4294967295u",
            "message": f"{what} global administrator must be at most 4294967295",
        },
        {
            "rule": f"!({one}) || !{lo}.{num} || uint({lo}) <= 4294967295u",
            "message": f"{what} local administrator must be at most 4294967295",
        },
    ]
    return rules


_INT32 = {"format": "int32"}
_VNI: JSON = {
    "vni": _INT32,
    "rd": {"maxLength": 21, "x-kubernetes-validations": _rd_rules("RD", wildcard=False)},
    "importRTs[]": {"maxLength": 21, "x-kubernetes-validations": _rd_rules("RT", wildcard=True)},
    "exportRTs[]": {"maxLength": 21, "x-kubernetes-validations": _rd_rules("RT", wildcard=False)},
}
_R = "spec.bgp.routers[]"
_N = f"{_R}.neighbors[]"
_EVPN = f"{_R}.evpn"

OVERLAY: dict[str, dict[str, JSON]] = {
    "FRRConfiguration": {
        **{
            f"spec.bgp.bfdProfiles[].{k}": _INT32
            for k in ("detectMultiplier", "echoInterval", "minimumTtl", "receiveInterval", "transmitInterval")
        },
        f"{_R}.asn": _INT32,
        f"{_N}.asn": _INT32,
        f"{_N}.localASN": _INT32,
        f"{_N}.connectTime": {
            "x-kubernetes-validations": [
                {
                    "message": "connect time should be between 1 seconds to 65535",
                    "rule": "duration(self).getSeconds() >= 1 && duration(self).getSeconds() <= 65535",
                },
                {
                    "message": "connect time should contain a whole number of seconds",
                    "rule": "duration(self).getMilliseconds() % 1000 == 0",
                },
            ]
        },
        f"{_N}.disableMP": {"default": False},
        f"{_N}.dualStackAddressFamily": {"default": False},
        f"{_N}.addressFamilies": {"default": ["unicast"]},
        f"{_N}.passwordSecret": {"x-kubernetes-map-type": "atomic"},
        f"{_N}.toAdvertise.allowed.mode": {"default": "filtered"},
        f"{_N}.toAdvertise.withCommunity[].prefixes": {"format": "cidr", "required": DELETE},
        f"{_N}.toAdvertise.withCommunity[]": {"required": DELETE},
        f"{_N}.toAdvertise.withLocalPref[]": {"required": DELETE},
        f"{_N}.toAdvertise.withLocalPref[].prefixes": {"format": "cidr"},
        f"{_N}.toAdvertise.withLocalPref[].localPref": {**_INT32, "minimum": DELETE, "maximum": DELETE},
        f"{_N}.toAdvertise.nextHop.ipv4": {"format": "ipv4"},
        f"{_N}.toAdvertise.nextHop.ipv6": {"format": "ipv6"},
        f"{_N}.toReceive.allowed.mode": {"default": "filtered"},
        f"{_N}.toReceive.allowed.prefixes[]": {"required": DELETE},
        f"{_N}.toReceive.allowed.prefixes[].prefix": {"format": "cidr"},
        f"{_N}.toReceive.allowed.prefixes[].le": _INT32,
        f"{_N}.toReceive.allowed.prefixes[].ge": _INT32,
        f"{_EVPN}.advertiseVNIs": {"allOf": [{"enum": ["Disabled", "All"]}]},
        **{f"{_EVPN}.l2vnis[].{k}": v for k, v in _VNI.items()},
        **{f"{_EVPN}.l3vni.{k}": v for k, v in _VNI.items()},
        "spec.nodeSelector": {"x-kubernetes-map-type": "atomic"},
        "spec.nodeSelector.matchExpressions": {"x-kubernetes-list-type": "atomic"},
        "spec.nodeSelector.matchExpressions[].values": {"x-kubernetes-list-type": "atomic"},
    },
}

PRINTER_COLUMNS: dict[str, list[JSON]] = {
    "BGPSessionState": [
        {"jsonPath": ".status.node", "name": "Node", "type": "string"},
        {"jsonPath": ".status.peer", "name": "Peer", "type": "string"},
        {"jsonPath": ".status.vrf", "name": "VRF", "type": "string"},
        {"jsonPath": ".status.bgpStatus", "name": "BGP", "type": "string"},
        {"jsonPath": ".status.bfdStatus", "name": "BFD", "type": "string"},
    ],
}

KINDS: list[tuple[type[BaseModel], str, str]] = [
    (BGPSessionState, "bgpsessionstates", "Namespaced"),
    (FRRConfiguration, "frrconfigurations", "Namespaced"),
    (FRRK8sConfiguration, "frrk8sconfigurations", "Namespaced"),
    (FRRNodeState, "frrnodestates", "Cluster"),
]

DESCRIPTIONS = {
    "BGPSessionState": "BGPSessionState exposes the status of a BGP Session from the FRR instance running on "
    "the node.",
    "FRRConfiguration": "FRRConfiguration is a piece of FRR configuration.",
    "FRRK8sConfiguration": "FRRK8sConfiguration holds global settings of the node agents (only the one named "
    "`config` in the agents' namespace is honoured).",
    "FRRNodeState": "FRRNodeState exposes the status of the FRR instance running on each node.",
}


# ------------------------------------------------------------------ pydantic -> OpenAPI


def _constraints(schema: JSON, metadata: list[Any], kind: str) -> None:
    for m in metadata:
        if isinstance(m, FieldInfo):
            _constraints(schema, list(m.metadata), kind)
        elif isinstance(m, annotated_types.Ge):
            schema["minimum"] = m.ge
        elif isinstance(m, annotated_types.Le):
            schema["maximum"] = m.le
        elif isinstance(m, annotated_types.MaxLen):
            schema["maxItems" if kind == "array" else "maxLength"] = m.max_length
        elif isinstance(m, annotated_types.MinLen):
            schema["minItems" if kind == "array" else "minLength"] = m.min_length


def _is_duration(metadata: list[Any]) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is parse_duration for m in metadata)


def type_schema(tp: Any, metadata: list[Any] | None = None) -> JSON:
    """The structural schema of a Python/pydantic type annotation."""
    meta = list(metadata or [])
    origin = get_origin(tp)
    if origin is Annotated:
        base, *extra = get_args(tp)
        return type_schema(base, meta + extra)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {tp}")
        return type_schema(args[0], meta)
    if origin is Literal:
        return {"type": "string", "enum": list(get_args(tp))}
    if origin is list:
        out: JSON = {"type": "array", "items": type_schema(get_args(tp)[0])}
        _constraints(out, meta, "array")
        return out
    if origin is dict:
        value = get_args(tp)[1]
        if value is str or (isinstance(value, type) and issubclass(value, BaseModel)):
            # Typed values, or the API server prunes every field below (structural schemas).
            return {"type": "object", "additionalProperties": type_schema(value)}
        return {"type": "object"}
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return model_schema(tp)
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        if _is_duration(meta):
            return {"type": "string"}
        out = {"type": "integer"}
        _constraints(out, meta, "integer")
        return out
    if tp is str:
        out = {"type": "string"}
        _constraints(out, meta, "string")
        return out
    raise TypeError(f"no CRD schema for {tp!r}")


def model_schema(model: type[BaseModel]) -> JSON:
    props: JSON = {}
    required = []
    hints = typing.get_type_hints(model, include_extras=True)
    for name, info in model.model_fields.items():
        key = info.alias or name
        props[key] = type_schema(hints[name], list(info.metadata))
        if info.is_required():
            required.append(key)
    out: JSON = {"type": "object", "properties": dict(sorted(props.items()))}
    if required:
        out["required"] = sorted(required)
    return out


def _apply_overlay(schema: JSON, overlay: dict[str, JSON]) -> None:
    for path, changes in overlay.items():
        node = schema
        for part in path.split("."):
            list_item = part.endswith("[]")
            node = node["properties"][part.removesuffix("[]")]
            if list_item:
                node = node["items"]
        for key, value in changes.items():
            if value is DELETE:
                node.pop(key, None)
            else:
                node[key] = copy.deepcopy(value)


def _sorted(schema: Any) -> Any:
    """Keys in alphabetical order at every level, as controller-gen writes them."""
    if isinstance(schema, dict):
        return {k: _sorted(schema[k]) for k in sorted(schema)}
    if isinstance(schema, list):
        return [_sorted(v) for v in schema]
    return schema


def root_schema(model: type[BaseModel]) -> JSON:
    kind = str(model.model_fields["kind"].default)
    schema = model_schema(model)
    props = schema["properties"]
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["metadata"] = {"type": "object"}
    schema.pop("required", None)
    _apply_overlay(schema, OVERLAY.get(kind, {}))
    schema["description"] = DESCRIPTIONS[kind]
    return _sorted(schema)  # type: ignore[no-any-return]


def crd(model: type[BaseModel], plural: str, scope: str) -> JSON:
    kind = str(model.model_fields["kind"].default)
    version: JSON = {
        "name": VERSION,
        "schema": {"openAPIV3Schema": root_schema(model)},
        "served": True,
        "storage": True,
        "subresources": {"status": {}},
    }
    if kind in PRINTER_COLUMNS:
        version = {"additionalPrinterColumns": PRINTER_COLUMNS[kind], **version}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
            "scope": scope,
            "versions": [version],
        },
    }


def all_crds() -> dict[str, JSON]:
    """File name -> CRD, for every kind (upstream's file names)."""
    return {f"{GROUP}_{plural}.yaml": crd(model, plural, scope) for model, plural, scope in KINDS}


def render(obj: JSON) -> str:
    header = (
        "# Generated by `frrnode k8s crds` from frrnode.api (src/frrnode/kube/crds.py). Do not edit.\n---\n"
    )
    return header + yaml.safe_dump(obj, sort_keys=False, width=120)


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name, obj in all_crds().items():
        path = directory / name
        path.write_text(render(obj))
        out.append(path)
    return out
