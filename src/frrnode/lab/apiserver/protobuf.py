"""Decoding of the protobuf request bodies kubectl's typed clients send (`kubectl create namespace`,
`kubectl create secret`, `kubectl create configmap`): the `k8s\\0` envelope (runtime.Unknown)
around the object, for Namespace, Secret and ConfigMap only (field numbers of k8s.io/api's
generated.proto). Any other kind is refused with 415, naming the JSON alternative."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from frrnode.lab.apiserver.status import ApiError

JSON = dict[str, Any]
MAGIC = b"k8s\x00"
MEDIA = "application/vnd.kubernetes.protobuf"

Fields = list[tuple[int, int, Any]]  # (field number, wire type, value: int or bytes)


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(buf: bytes) -> Fields:
    out: Fields = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((num, wire, value))
        elif wire == 2:
            length, pos = _varint(buf, pos)
            out.append((num, wire, buf[pos : pos + length]))
            pos += length
        elif wire == 1:
            out.append((num, wire, buf[pos : pos + 8]))
            pos += 8
        elif wire == 5:
            out.append((num, wire, buf[pos : pos + 4]))
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def _str(v: Any) -> str:
    return bytes(v).decode()


def _map(entries: list[bytes], value: Callable[[bytes], Any] = _str) -> dict[str, Any]:
    out = {}
    for entry in entries:
        kv = {n: v for n, _, v in fields(entry)}
        out[_str(kv.get(1, b""))] = value(kv.get(2, b""))
    return out


def _group(fs: Fields) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for num, _, value in fs:
        out.setdefault(num, []).append(value)
    return out


def _meta(buf: bytes) -> JSON:
    g = _group(fields(buf))
    meta: JSON = {}
    for num, key in ((1, "name"), (2, "generateName"), (3, "namespace")):
        if num in g:
            meta[key] = _str(g[num][0])
    if 11 in g:
        meta["labels"] = _map(g[11])
    if 12 in g:
        meta["annotations"] = _map(g[12])
    if 14 in g:
        meta["finalizers"] = [_str(v) for v in g[14]]
    return meta


def _namespace(g: dict[int, list[Any]]) -> JSON:
    obj: JSON = {}
    if 2 in g:
        spec = _group(fields(g[2][0]))
        if 1 in spec:
            obj["spec"] = {"finalizers": [_str(v) for v in spec[1]]}
    return obj


def _secret(g: dict[int, list[Any]]) -> JSON:
    obj: JSON = {}
    if 2 in g:
        obj["data"] = _map(g[2], lambda v: base64.b64encode(bytes(v)).decode())
    if 3 in g:
        obj["type"] = _str(g[3][0])
    if 4 in g:
        obj["stringData"] = _map(g[4])
    if 5 in g:
        obj["immutable"] = bool(g[5][0])
    return obj


def _configmap(g: dict[int, list[Any]]) -> JSON:
    obj: JSON = {}
    if 2 in g:
        obj["data"] = _map(g[2])
    if 3 in g:
        obj["binaryData"] = _map(g[3], lambda v: base64.b64encode(bytes(v)).decode())
    if 4 in g:
        obj["immutable"] = bool(g[4][0])
    return obj


DECODERS: dict[tuple[str, str], Callable[[dict[int, list[Any]]], JSON]] = {
    ("v1", "Namespace"): _namespace,
    ("v1", "Secret"): _secret,
    ("v1", "ConfigMap"): _configmap,
}


def decode(body: bytes) -> JSON:
    """The JSON form of a protobuf-encoded object, or a 415 for kinds this module cannot read."""
    if not body.startswith(MAGIC):
        raise ApiError(400, "BadRequest", "protobuf body without the k8s envelope")
    unknown = _group(fields(body[len(MAGIC) :]))
    type_meta = _group(fields(unknown.get(1, [b""])[0]))
    api_version = _str(type_meta.get(1, [b""])[0])
    kind = _str(type_meta.get(2, [b""])[0])
    decoder = DECODERS.get((api_version, kind))
    if decoder is None:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the API server double cannot decode protobuf {api_version} {kind}; send JSON "
            "(kubectl apply -f / create -f)",
        )
    g = _group(fields(unknown.get(2, [b""])[0]))
    obj: JSON = {"apiVersion": api_version, "kind": kind, "metadata": _meta(g[1][0]) if 1 in g else {}}
    obj.update(decoder(g))
    return obj
