"""Load API objects from YAML manifests (files, directories, strings).

Every problem is collected (not only the first) and named precisely: file, document index,
`Kind/namespace/name` and the JSON field path (`spec.bgp.routers[0].neighbors[1].asn`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from frrnode.api.core import Node, Secret
from frrnode.api.v1beta1 import (
    GROUP_VERSION,
    BGPSessionState,
    FRRConfiguration,
    FRRK8sConfiguration,
    FRRNodeState,
)
from frrnode.errors import ConfigError, ConfigErrors, Location
from frrnode.model import ObjectRef

_KINDS: dict[tuple[str, str], type[BaseModel]] = {
    (GROUP_VERSION, "FRRConfiguration"): FRRConfiguration,
    (GROUP_VERSION, "FRRK8sConfiguration"): FRRK8sConfiguration,
    (GROUP_VERSION, "FRRNodeState"): FRRNodeState,
    (GROUP_VERSION, "BGPSessionState"): BGPSessionState,
    ("v1", "Secret"): Secret,
    ("v1", "Node"): Node,
}
_GROUPS = {"frrk8s.metallb.io": GROUP_VERSION, "": "v1"}

ExtraKinds = Mapping[tuple[str, str], type[BaseModel]]
"""(apiVersion, kind) -> model of kinds another package reads (frrnode.metallb); loaded objects go
to `Resources.extra`, with no namespace defaulting (that package decides what an empty one means)."""
_NO_EXTRA: ExtraKinds = MappingProxyType({})


@dataclass
class Resources:
    """The objects read from a source, by kind. Status kinds are read but not used by the pipeline."""

    configurations: list[FRRConfiguration] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    frrk8s_configurations: list[FRRK8sConfiguration] = field(default_factory=list)
    node_states: list[FRRNodeState] = field(default_factory=list)
    session_states: list[BGPSessionState] = field(default_factory=list)
    locations: dict[ObjectRef, Location] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: list[BaseModel] = field(default_factory=list)
    """Objects of the `extra_kinds` the caller asked for, in document order."""

    def extend(self, other: Resources) -> None:
        self.configurations += other.configurations
        self.secrets += other.secrets
        self.nodes += other.nodes
        self.frrk8s_configurations += other.frrk8s_configurations
        self.node_states += other.node_states
        self.session_states += other.session_states
        self.locations.update(other.locations)
        self.notes += other.notes
        self.extra += other.extra

    def location(self, ref: ObjectRef | None) -> Location:
        return self.locations.get(ref, Location()) if ref is not None else Location()


# libyaml's parser when available: ~10x faster on large manifests (the resolver stays Python).
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """YAML 1.1 minus sexagesimal integers: `65000:10` must stay a string (communities, RDs)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
YAMLLoader = _Loader
"""The YAML loader of manifests (`yaml.load(text, Loader=YAMLLoader)`): `65000:10` stays a string."""


def json_path(loc: Iterable[int | str]) -> str:
    """Turn a pydantic error location into a JSON path: `spec.bgp.routers[0].asn`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        elif out and not re.search(r"[\[\]()\- ,]", part):
            # A map key (labels, data): keep it readable.
            out += f"[{part!r}]"
        # else: pydantic's internal tags (`function-after[...]`, union members) are dropped.
    return out


def _message(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping (object with fields), got {type(error.get('input')).__name__}"
    if kind == "list_type":
        return f"expected a list, got {type(error.get('input')).__name__}"
    msg = str(error.get("msg", ""))
    return msg.removeprefix("Value error, ")


def _ref(doc: dict[str, Any], kind: str) -> ObjectRef | None:
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        return ObjectRef(kind, "", "")
    name = meta.get("name")
    namespace = meta.get("namespace")
    return ObjectRef(
        kind, namespace if isinstance(namespace, str) else "", name if isinstance(name, str) else ""
    )


def _load_one(
    doc: Any,
    location: Location,
    out: Resources,
    errors: list[ConfigError],
    default_namespace: str,
    extra_kinds: ExtraKinds = _NO_EXTRA,
) -> None:
    if doc is None:
        return
    if not isinstance(doc, dict):
        errors.append(ConfigError("a document must be a mapping (an API object)", location=location))
        return
    kind = doc.get("kind")
    api_version = doc.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        errors.append(ConfigError("document has no apiVersion/kind", location=location))
        return
    if kind == "List" and api_version == "v1":
        items = doc.get("items") or []
        if not isinstance(items, list):
            errors.append(ConfigError("List items must be a sequence", path="items", location=location))
            return
        for item in items:
            _load_one(item, location, out, errors, default_namespace, extra_kinds)
        return
    model = _KINDS.get((api_version, kind)) or extra_kinds.get((api_version, kind))
    extra = model is not None and (api_version, kind) not in _KINDS
    if model is None:
        group = api_version.rpartition("/")[0]
        versions = sorted(v for v, k in extra_kinds if k == kind and v.rpartition("/")[0] == group)
        if versions:
            errors.append(
                ConfigError(
                    f"unsupported apiVersion {api_version!r} for {kind} (expected {' or '.join(versions)})",
                    obj=_ref(doc, kind),
                    path="apiVersion",
                    location=location,
                )
            )
        elif any(k == kind for _, k in _KINDS) and group in _GROUPS:
            errors.append(
                ConfigError(
                    f"unsupported apiVersion {api_version!r} for {kind} (expected {_GROUPS[group]!r})",
                    obj=_ref(doc, kind),
                    path="apiVersion",
                    location=location,
                )
            )
        else:
            out.notes.append(f"{location}: skipped {api_version} {kind} (not used by frrnode)")
        return
    if default_namespace and kind not in ("Node", "FRRNodeState") and not extra:
        meta = doc.get("metadata")
        if isinstance(meta, dict) and not meta.get("namespace"):
            doc = {**doc, "metadata": {**meta, "namespace": default_namespace}}
    ref = _ref(doc, kind)
    try:
        obj = model.model_validate(doc)
    except ValidationError as exc:
        for err in exc.errors():
            errors.append(ConfigError(_message(err), obj=ref, path=json_path(err["loc"]), location=location))
        return
    assert ref is not None
    if ref in out.locations:
        errors.append(
            ConfigError(
                f"duplicate object (also defined at {out.locations[ref] or 'an earlier document'})",
                obj=ref,
                path="metadata.name",
                location=location,
            )
        )
        return
    out.locations[ref] = location
    if extra:
        out.extra.append(obj)
    elif isinstance(obj, FRRConfiguration):
        out.configurations.append(obj)
    elif isinstance(obj, Secret):
        out.secrets.append(obj)
    elif isinstance(obj, Node):
        out.nodes.append(obj)
    elif isinstance(obj, FRRK8sConfiguration):
        out.frrk8s_configurations.append(obj)
    elif isinstance(obj, FRRNodeState):
        out.node_states.append(obj)
    elif isinstance(obj, BGPSessionState):
        out.session_states.append(obj)


def _parse(
    text: str,
    file: str,
    out: Resources,
    errors: list[ConfigError],
    default_namespace: str,
    extra_kinds: ExtraKinds = _NO_EXTRA,
) -> None:
    # Validate each document as soon as it is parsed: fewer live raw dicts, less GC work.
    parsed = 0
    try:
        for doc in yaml.load_all(text, Loader=_Loader):
            _load_one(doc, Location(file, parsed), out, errors, default_namespace, extra_kinds)
            parsed += 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        errors.append(ConfigError(f"invalid YAML{where}: {exc}", location=Location(file, parsed)))


def load_documents(
    text: str, file: str = "<string>", *, default_namespace: str = "", extra_kinds: ExtraKinds | None = None
) -> Resources:
    """Load every object of a multi-document YAML string. Raises `ConfigErrors` with all problems.

    `default_namespace` is given to namespaced objects that have none (as `kubectl apply -n`).
    """
    out = Resources()
    errors: list[ConfigError] = []
    _parse(text, file, out, errors, default_namespace, extra_kinds or {})
    if errors:
        raise ConfigErrors(errors)
    return out


def manifest_files(paths: Sequence[str | Path]) -> list[Path]:
    """The YAML files named by `paths`: files as given, directories searched recursively, sorted."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return files


def load_paths(
    paths: Sequence[str | Path], *, default_namespace: str = "", extra_kinds: ExtraKinds | None = None
) -> Resources:
    """Load every object from files and directories (`*.yaml`/`*.yml`, sorted). Raises `ConfigErrors`."""
    out = Resources()
    errors: list[ConfigError] = []
    for path in manifest_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(ConfigError(f"cannot read: {exc}", location=Location(str(path))))
            continue
        _parse(text, str(path), out, errors, default_namespace, extra_kinds or {})
    if errors:
        raise ConfigErrors(errors)
    return out
