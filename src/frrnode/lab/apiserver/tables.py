"""Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which `kubectl
get` asks for: custom resources get their CRD's additionalPrinterColumns (or Age), built-in kinds
a few columns of their real printers (NAME and AGE at least)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from frrnode.lab.apiserver.kinds import ResourceType

JSON = dict[str, Any]


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def age(stamp: Any) -> str:
    if not isinstance(stamp, str) or not stamp:
        return "<unknown>"
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return "<invalid>"
    return human_duration((datetime.now(UTC) - when).total_seconds())


_STEP = re.compile(r"\.([A-Za-z0-9_\-/]+)|\[(\d+)\]")


def jsonpath(obj: Any, path: str) -> Any:
    """The simple JSONPath of printer columns: `.a.b`, `.a[0].b` (filters are not supported)."""
    cur = obj
    pos = 0
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None:
            return None
        key, idx = m.groups()
        if key is not None:
            cur = cur.get(key) if isinstance(cur, dict) else None
        else:
            cur = cur[int(idx)] if isinstance(cur, list) and int(idx) < len(cur) else None
        pos = m.end()
    return cur


def _cell(value: Any, typ: str) -> Any:
    if value is None:
        return None
    if typ == "date":
        return age(value)
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, separators=(",", ":"))
    return value


Column = tuple[JSON, Callable[[JSON], Any]]


def _col(
    name: str, typ: str, getter: Callable[[JSON], Any], desc: str = "", fmt: str = "", priority: int = 0
) -> Column:
    return ({"name": name, "type": typ, "format": fmt, "description": desc, "priority": priority}, getter)


_NAME = _col(
    "Name", "string", lambda o: o["metadata"]["name"], "Name must be unique within a namespace.", "name"
)
_AGE = _col(
    "Age",
    "string",
    lambda o: age(o["metadata"].get("creationTimestamp")),
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
)


def _node_status(o: JSON) -> str:
    for c in (o.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return "Ready" if c.get("status") == "True" else "NotReady"
    return "Unknown"


def _node_roles(o: JSON) -> str:
    roles = sorted(
        k.split("/", 1)[1]
        for k in (o["metadata"].get("labels") or {})
        if k.startswith("node-role.kubernetes.io/")
    )
    return ",".join(roles) or "<none>"


_BUILTIN: dict[str, list[Column]] = {
    "Namespace": [_NAME, _col("Status", "string", lambda o: (o.get("status") or {}).get("phase", "")), _AGE],
    "Node": [
        _NAME,
        _col("Status", "string", _node_status),
        _col("Roles", "string", _node_roles),
        _AGE,
        _col(
            "Version",
            "string",
            lambda o: ((o.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", ""),
        ),
    ],
    "Secret": [
        _NAME,
        _col("Type", "string", lambda o: o.get("type", "")),
        _col("Data", "string", lambda o: len(o.get("data") or {})),
        _AGE,
    ],
    "ConfigMap": [
        _NAME,
        _col("Data", "string", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
        _AGE,
    ],
    "CustomResourceDefinition": [
        _NAME,
        _col("Created At", "date", lambda o: o["metadata"].get("creationTimestamp")),
    ],
}


def columns(rt: ResourceType) -> list[Column]:
    if rt.custom:
        if not rt.printer_columns:
            return [_NAME, _AGE]
        cols = [_NAME]
        for pc in rt.printer_columns:
            typ = str(pc.get("type", "string"))
            path = str(pc.get("jsonPath", ""))
            cols.append(
                _col(
                    str(pc.get("name", "")),
                    typ,
                    lambda o, p=path, t=typ: _cell(jsonpath(o, p), t),  # type: ignore[misc]
                    str(pc.get("description", "")),
                    str(pc.get("format", "")),
                    int(pc.get("priority", 0)),
                )
            )
        return cols
    return _BUILTIN.get(rt.kind, [_NAME, _AGE])


def row_object(obj: JSON, include: str) -> JSON | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(
    rt: ResourceType,
    objs: list[JSON],
    include: str = "Metadata",
    headers: bool = True,
    list_meta: JSON | None = None,
) -> JSON:
    cols = columns(rt)
    rows = []
    for obj in objs:
        row: JSON = {"cells": [getter(obj) for _, getter in cols]}
        ro = row_object(obj, include)
        if ro is not None:
            row["object"] = ro
        rows.append(row)
    out: JSON = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta or {}}
    if headers:
        out["columnDefinitions"] = [c for c, _ in cols]
    out["rows"] = rows
    return out
