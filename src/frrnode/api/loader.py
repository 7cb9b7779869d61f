"""Load API objects from YAML manifests (files, directories, strings).

Every problem is collected (not only the first) and named precisely: file, document index,
`Kind/namespace/name` and the JSON field path (`spec.bgp.routers[0].neighbors[1].asn`).
User strings in messages and notes are escaped (`errors.printable`): a newline in a kind or a
name cannot forge a log line.

One rule for every reader (`validate`, `render`, the agent's directory source):
- A namespaced object without `metadata.namespace` is in `default_namespace` (the agent's
  namespace, as `kubectl apply -n` would put it), so the same object with and without
  `namespace:` is one object, and defining it twice is a duplicate.
- Objects of another namespace are loaded (validate checks them, like the webhook) with a note
  saying the agent ignores them; objects of unknown kinds are skipped with a note.
- Directories are read the way kubelet lays out ConfigMap/Secret volumes: entries whose name
  starts with `.` (`..data`, `..2024_..`, editor swap files) are skipped, symlinks followed.
- `extra_kinds`: kinds another package reads (frrnode.metallb: MetalLB's objects, Services,
  EndpointSlices) are validated with its models and land in `Resources.extra`, with no
  namespace defaulting (that package decides what an empty namespace means); without them
  those kinds are skipped with a note like any unknown kind. `secret_namespaces`: namespaces
  besides the agent's whose Secrets that package uses (MetalLB's peers' passwords): no note.
- `Limits`: a file larger than `max_file_bytes` or with more than `max_documents` documents is
  refused (environment `FRRNODE_MAX_FILE_BYTES`, `FRRNODE_MAX_DOCUMENTS` raise them), and so is
  a document whose YAML aliases expand to more than `yamldocs.MAX_EXPANDED_NODES` nodes.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypedDict, Unpack

import yaml
from pydantic import BaseModel, ValidationError

from frrnode.api.core import Node, Secret
from frrnode.api.v1beta1 import (
    GROUP_VERSION,
    BGPSessionState,
    FRRConfiguration,
    FRRK8sConfiguration,
    FRRNodeState,
    LabelSelector,
)
from frrnode.api.yamldocs import TooLarge, documents, yaml_message
from frrnode.errors import ConfigError, ConfigErrors, Location, printable
from frrnode.model import ObjectRef

log = logging.getLogger(__name__)

_KINDS: dict[tuple[str, str], type[BaseModel]] = {
    (GROUP_VERSION, "FRRConfiguration"): FRRConfiguration,
    (GROUP_VERSION, "FRRK8sConfiguration"): FRRK8sConfiguration,
    (GROUP_VERSION, "FRRNodeState"): FRRNodeState,
    (GROUP_VERSION, "BGPSessionState"): BGPSessionState,
    ("v1", "Secret"): Secret,
    ("v1", "Node"): Node,
}
_GROUPS = {"frrk8s.metallb.io": GROUP_VERSION, "": "v1"}
_CLUSTER_SCOPED = ("Node", "FRRNodeState")
_AGENT_KINDS = ("FRRConfiguration", "Secret", "FRRK8sConfiguration")
"""Namespaced kinds the agent reads from its own namespace only."""

ExtraKinds = Mapping[tuple[str, str], type[BaseModel]]
"""(apiVersion, kind) -> model of kinds another package reads (frrnode.metallb); loaded objects go
to `Resources.extra`, with no namespace defaulting (that package decides what an empty one means)."""
_NO_EXTRA: ExtraKinds = MappingProxyType({})

MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Limits:
    """What one manifest file may hold. Defaults fit 10,000 FRRConfigurations in one file."""

    max_file_bytes: int = 16 * 1024 * 1024
    max_documents: int = 10_000

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults, raised (or lowered) by `FRRNODE_MAX_FILE_BYTES` / `FRRNODE_MAX_DOCUMENTS`."""

        def number(name: str, default: int) -> int:
            raw = os.environ.get(name, "").strip()
            try:
                return int(raw) if raw else default
            except ValueError:
                return default

        return cls(
            max_file_bytes=number("FRRNODE_MAX_FILE_BYTES", cls.max_file_bytes),
            max_documents=number("FRRNODE_MAX_DOCUMENTS", cls.max_documents),
        )


@dataclass(frozen=True)
class Loaded:
    """One valid object and where it was read. `obj` is None when a `Screen` said the object
    is not needed: then it was not validated, only its identity (and, for an FRRConfiguration,
    its `selector`) was read."""

    ref: ObjectRef
    location: Location
    obj: BaseModel | None
    selector: LabelSelector | None = None
    extra: bool = False
    """One of the `extra_kinds` (for `Resources.extra`)."""


Screen = Callable[[ObjectRef, LabelSelector | None, bool], bool]
"""Whether an object is needed (validated into its model), from its identity, for an
FRRConfiguration its `spec.nodeSelector` (None for other kinds), and whether it is one of the
`extra_kinds`. An FRRConfiguration whose selector is not valid is always validated, so its
errors are reported."""


@dataclass
class ParsedFile:
    """Everything one file gave: its valid objects, in document order, its errors and notes."""

    objects: list[Loaded] = field(default_factory=list)
    errors: list[ConfigError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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

    def add(self, item: Loaded) -> ConfigError | None:
        """Add one object; a second object with the same kind/namespace/name is an error. An
        object left out by a `Screen` only counts for that."""
        if item.ref in self.locations:
            return ConfigError(
                f"duplicate object (also defined at {self.locations[item.ref] or 'an earlier document'})",
                obj=item.ref,
                path="metadata.name",
                location=item.location,
            )
        self.locations[item.ref] = item.location
        obj = item.obj
        if obj is None:
            return None
        if item.extra:
            self.extra.append(obj)
        elif isinstance(obj, FRRConfiguration):
            self.configurations.append(obj)
        elif isinstance(obj, Secret):
            self.secrets.append(obj)
        elif isinstance(obj, Node):
            self.nodes.append(obj)
        elif isinstance(obj, FRRK8sConfiguration):
            self.frrk8s_configurations.append(obj)
        elif isinstance(obj, FRRNodeState):
            self.node_states.append(obj)
        elif isinstance(obj, BGPSessionState):
            self.session_states.append(obj)
        return None


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


def _error_path(error: Any) -> str:
    """The field path of a pydantic error; an unknown field is named whatever its key (json_path
    drops keys that look like pydantic's internal tags)."""
    loc = tuple(error["loc"])
    if error.get("type") == "extra_forbidden" and loc and isinstance(loc[-1], str):
        parent, key = json_path(loc[:-1]), loc[-1]
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            return f"{parent}.{key}" if parent else key
        return f"{parent}[{key!r}]"
    return json_path(loc)


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


def _selector(doc: dict[str, Any]) -> LabelSelector | None:
    """The `spec.nodeSelector` of an FRRConfiguration document as its full validation would
    read it; None when it is not valid there (the full validation says why)."""
    spec = doc.get("spec", {})
    if not isinstance(spec, dict):
        return None
    try:
        return LabelSelector.model_validate(spec.get("nodeSelector", {}))
    except ValidationError:
        return None


class ReadOptions(TypedDict, total=False):
    """How manifests are read: the keyword arguments of every reader below (module docstring)."""

    default_namespace: str
    """Given to namespaced objects without one (the agent's namespace, as `kubectl apply -n`)."""
    limits: Limits | None
    """`Limits()` by default; `Limits.from_env()` for files and directories."""
    extra_kinds: ExtraKinds | None
    secret_namespaces: Collection[str]
    screen: Screen | None
    """Which objects are validated at all (all without one)."""


@dataclass(frozen=True)
class _Reading:
    """`ReadOptions` with their defaults, as the per-document code reads them."""

    default_namespace: str
    extra_kinds: ExtraKinds
    secret_namespaces: Collection[str]
    screen: Screen | None


def _load_one(doc: Any, location: Location, out: ParsedFile, reading: _Reading) -> None:
    if doc is None:
        return
    if not isinstance(doc, dict):
        out.errors.append(ConfigError("a document must be a mapping (an API object)", location=location))
        return
    kind = doc.get("kind")
    api_version = doc.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        out.errors.append(ConfigError("document has no apiVersion/kind", location=location))
        return
    if kind == "List" and api_version == "v1":
        items = doc.get("items") or []
        if not isinstance(items, list):
            out.errors.append(ConfigError("List items must be a sequence", path="items", location=location))
            return
        for item in items:
            _load_one(item, location, out, reading)
        return
    extra_kinds, default_namespace = reading.extra_kinds, reading.default_namespace
    model = _KINDS.get((api_version, kind))
    extra = model is None and (api_version, kind) in extra_kinds
    if extra:
        model = extra_kinds[(api_version, kind)]
    if model is None:
        group = api_version.rpartition("/")[0]
        versions = sorted(v for v, k in extra_kinds if k == kind and v.rpartition("/")[0] == group)
        if versions:
            out.errors.append(
                ConfigError(
                    f"unsupported apiVersion {api_version!r} for {kind} (expected {' or '.join(versions)})",
                    obj=_ref(doc, kind),
                    path="apiVersion",
                    location=location,
                )
            )
        elif any(k == kind for _, k in _KINDS) and group in _GROUPS:
            out.errors.append(
                ConfigError(
                    f"unsupported apiVersion {api_version!r} for {kind} (expected {_GROUPS[group]!r})",
                    obj=_ref(doc, kind),
                    path="apiVersion",
                    location=location,
                )
            )
        else:
            out.notes.append(printable(f"{location}: skipped {api_version} {kind} (not used by frrnode)"))
        return
    if default_namespace and kind not in _CLUSTER_SCOPED and not extra:
        meta = doc.get("metadata")
        if isinstance(meta, dict) and not meta.get("namespace"):
            doc = {**doc, "metadata": {**meta, "namespace": default_namespace}}
    ref = _ref(doc, kind)
    assert ref is not None
    obj: BaseModel | None = None
    screen = reading.screen
    selector = _selector(doc) if model is FRRConfiguration and screen is not None else None
    if screen is None or (model is FRRConfiguration and selector is None) or screen(ref, selector, extra):
        try:
            obj = model.model_validate(doc)
        except ValidationError as exc:
            for err in exc.errors():
                error = ConfigError(_message(err), obj=ref, path=_error_path(err), location=location)
                out.errors.append(error)
            return
    if (
        default_namespace
        and kind in _AGENT_KINDS
        and ref.namespace != default_namespace
        and not (kind == "Secret" and ref.namespace in reading.secret_namespaces)
    ):
        out.notes.append(
            printable(
                f"{location}: {ref} is in namespace {ref.namespace!r}: the agent only uses the objects "
                f"of {default_namespace!r}"
            )
        )
    out.objects.append(Loaded(ref, location, obj, selector, extra))


def _reading(options: ReadOptions) -> _Reading:
    return _Reading(
        options.get("default_namespace", ""),
        options.get("extra_kinds") or _NO_EXTRA,
        options.get("secret_namespaces", ()),
        options.get("screen"),
    )


def parse_object(doc: dict[str, Any], file: str = "", **options: Unpack[ReadOptions]) -> ParsedFile:
    """One decoded object (from an API server's JSON), read as a manifest's document is: the
    same kinds, validation, errors and notes, with no text to parse."""
    out = ParsedFile()
    _load_one(doc, Location(file, 0), out, _reading(options))
    return out


def parse_manifest(text: str, file: str = "<string>", **options: Unpack[ReadOptions]) -> ParsedFile:
    """Every object, error and note of one multi-document YAML text (a file's content).

    Each document is validated as soon as it is parsed: fewer live raw dicts, less GC work.
    With `screen`, only the objects it says are needed are validated (an agent's node does
    not need the other nodes' objects; their errors are not its problem).
    """
    limits = options.get("limits") or Limits()
    reading = _reading(options)
    out = ParsedFile()
    parsed = 0
    try:
        for doc in documents(text):
            if parsed >= limits.max_documents:
                return ParsedFile(
                    errors=[
                        ConfigError(
                            f"more than {limits.max_documents} documents in one file: refused whole "
                            "(split it, or raise the limit with FRRNODE_MAX_DOCUMENTS)",
                            location=Location(file),
                        )
                    ]
                )
            _load_one(doc, Location(file, parsed), out, reading)
            parsed += 1
    except yaml.YAMLError as exc:
        out.errors.append(ConfigError(yaml_message(exc), location=Location(file, parsed)))
    except RecursionError:
        out.errors.append(ConfigError("invalid YAML: nested too deeply", location=Location(file, parsed)))
    except TooLarge as exc:
        out.errors.append(ConfigError(f"refused: {exc}", location=Location(file, parsed)))
    except Exception as exc:  # a reader bug refuses the file; it never ends the agent
        log.exception("reading %s failed", file)
        message = f"cannot read: {type(exc).__name__}: {exc} (a bug in frrnode's reader: please report it)"
        out.errors.append(ConfigError(message, location=Location(file, parsed)))
    return out


def read_manifest(path: str | Path, limits: Limits | None = None) -> tuple[bytes | None, ConfigError | None]:
    """A file's bytes, or why it cannot be read (missing, unreadable, larger than the limit)."""
    limits = limits or Limits()
    try:
        with open(path, "rb") as handle:
            # read(n) allocates n bytes first: ask for what the file holds (one more to see it
            # grow), not for the limit (16 MiB per file: a third of the time at 9,000 files).
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(size, limits.max_file_bytes) + 1)
            if size < len(data) <= limits.max_file_bytes:  # growing, or a size the kernel does not know
                data += handle.read(limits.max_file_bytes + 1 - len(data))
    except OSError as exc:
        return None, ConfigError(f"cannot read: {exc.strerror or exc}", location=Location(str(path)))
    if len(data) > limits.max_file_bytes:
        return None, ConfigError(
            f"file larger than {limits.max_file_bytes} bytes: refused "
            "(split it, or raise the limit with FRRNODE_MAX_FILE_BYTES)",
            location=Location(str(path)),
        )
    return data, None


def parse_file(path: str | Path, data: bytes, **options: Unpack[ReadOptions]) -> ParsedFile:
    """`parse_manifest` of a file's bytes (UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedFile(
            errors=[
                ConfigError(
                    f"cannot read: not UTF-8 ({exc.reason} at byte {exc.start})", location=Location(str(path))
                )
            ]
        )
    return parse_manifest(text, str(path), **options)


def collect(files: Iterable[ParsedFile]) -> tuple[Resources, list[ConfigError]]:
    """The objects of several files as one `Resources` (first definition wins), and every error."""
    out = Resources()
    errors: list[ConfigError] = []
    for parsed in files:
        errors += parsed.errors
        out.notes += parsed.notes
        for item in parsed.objects:
            duplicate = out.add(item)
            if duplicate is not None:
                errors.append(duplicate)
    return out, errors


def load_documents(text: str, file: str = "<string>", **options: Unpack[ReadOptions]) -> Resources:
    """Load every object of a multi-document YAML string. Raises `ConfigErrors` with all problems."""
    out, errors = collect([parse_manifest(text, file, **options)])
    if errors:
        raise ConfigErrors(errors)
    return out


def path_order(path: str) -> list[str]:
    """Sort key of manifest paths, component by component (as `pathlib` orders them): every
    reader lists files, and so picks the first of two duplicates, in the same order."""
    return path.split(os.sep)


def walk(root: str | Path) -> tuple[list[str], list[str]]:
    """The manifest files (`*.yaml`, `*.yml`) and directories under `root`, by their visible
    names: entries starting with `.` are skipped, symlinks followed (each directory once, so a
    symlink loop ends). Both sorted (`path_order`). Unreadable entries are left out."""
    files: list[str] = []
    dirs: list[str] = []
    seen: set[tuple[int, int]] = set()
    pending = [str(root)]
    while pending:
        directory = pending.pop()
        try:
            st = os.stat(directory)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(directory) as entries:
                found = [e for e in entries if not e.name.startswith(".")]
        except OSError:
            continue
        dirs.append(directory)
        for entry in found:
            try:
                if entry.is_dir():
                    pending.append(entry.path)
                elif entry.name.endswith(MANIFEST_SUFFIXES) and entry.is_file():
                    files.append(entry.path)
            except OSError:
                continue
    return sorted(files, key=path_order), sorted(dirs, key=path_order)


def manifest_files(paths: Sequence[str | Path]) -> list[Path]:
    """The YAML files named by `paths`: files as given, directories searched recursively (see
    `walk`)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        files += [Path(f) for f in walk(path)[0]] if path.is_dir() else [path]
    return files


def load_paths_partial(
    paths: Sequence[str | Path], **options: Unpack[ReadOptions]
) -> tuple[Resources, list[ConfigError]]:
    """Every valid object of the files and directories in `paths`, and every error: an invalid
    file or object does not hide the others (`validate` checks them all)."""
    limits = options["limits"] = options.get("limits") or Limits.from_env()

    def parsed() -> Iterator[ParsedFile]:
        for path in manifest_files(paths):
            data, error = read_manifest(path, limits)
            if data is None:
                assert error is not None
                yield ParsedFile(errors=[error])
            else:
                yield parse_file(path, data, **options)

    return collect(parsed())


def load_paths(paths: Sequence[str | Path], **options: Unpack[ReadOptions]) -> Resources:
    """Load every object from files and directories (`*.yaml`/`*.yml`, sorted). Raises `ConfigErrors`."""
    out, errors = load_paths_partial(paths, **options)
    if errors:
        raise ConfigErrors(errors)
    return out
