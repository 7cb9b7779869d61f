"""The directory source's memory: each manifest file parsed once, kept until it changes, and
reduced to what this node needs.

- A file is re-read only when its identity (device, inode, size, mtime) changes, and re-parsed
  only when its content hash changes too: a `touch`, an identical rewrite or the periodic
  resync parse nothing.
- Of an object that cannot concern this node (an FRRConfiguration of another namespace or whose
  nodeSelector does not select the node, another node's Node, a status object) only what that
  decision needs is kept: its name, location and selector. When the node's labels change, the
  files of the configurations that now select it are parsed again.
- Objects of the `extra_kinds` another package reads (MetalLB's objects, Services,
  EndpointSlices: they concern every node's MetalLB stage) are always kept, and with them every
  Node's name and labels (MetalLB's controller checks selectors against the whole cluster, and
  each node's agent must reach the same result).
- A snapshot holds the kept objects only, so building the node's config costs what selects it,
  and the previous snapshot shares every unchanged object with the next one.

The rule deciding what is kept must never drop an object the pipeline would use: it mirrors
`pipeline.select` (the same labels, namespace and selector matching) and keeps every object
whose selector is invalid, so the pipeline still reports it (tests compare the two).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from frrnode.api.core import Node, ObjectMeta
from frrnode.api.loader import (
    ExtraKinds,
    Limits,
    Loaded,
    Resources,
    parse_file,
    path_order,
    read_manifest,
)
from frrnode.api.v1beta1 import FRRConfiguration, LabelSelector
from frrnode.errors import ConfigError, Location
from frrnode.model import ObjectRef
from frrnode.pipeline.select import matches, selector_errors

log = logging.getLogger(__name__)

Identity = tuple[int, int, int, int]
"""(st_dev, st_ino, st_size, st_mtime_ns) of a file, following symlinks."""

HOSTNAME_LABEL = "kubernetes.io/hostname"


@dataclass
class _Doc:
    """One valid object of a file; `obj` is None when it does not concern this node."""

    ref: ObjectRef
    location: Location
    obj: BaseModel | None
    selector: LabelSelector | None = None
    extra: bool = False


@dataclass
class _Entry:
    identity: Identity
    digest: bytes
    docs: list[_Doc] = field(default_factory=list)
    errors: list[ConfigError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NodeFilter:
    """Which objects one node's agent needs (None `node`: every object, as `validate`)."""

    node: str | None
    namespace: str
    node_labels: Mapping[str, str] | None = None
    cluster_nodes: bool = False
    """Keep every Node's name and labels, not only this node's (set with extra kinds)."""

    def labels(self, nodes: Iterable[Node]) -> dict[str, str]:
        """The node's labels exactly as `pipeline.build_node_config` computes them."""
        labels: dict[str, str] = {HOSTNAME_LABEL: self.node or ""}
        for node in nodes:
            if node.name == self.node:
                labels.update(node.labels)
        if self.node_labels is not None:
            labels.update(self.node_labels)
        return labels

    def keeps(self, doc: _Doc, labels: Mapping[str, str]) -> bool:
        if self.node is None or doc.extra:
            return True
        kind, namespace = doc.ref.kind, doc.ref.namespace
        if kind == "FRRConfiguration":
            if namespace not in ("", self.namespace) or doc.selector is None:
                return False
            return bool(selector_errors(doc.selector)) or matches(doc.selector, labels)
        if kind == "Node":
            return self.cluster_nodes or doc.ref.name == self.node
        # Secrets of every namespace: their values are redacted from status and logs.
        return kind == "Secret" or (kind == "FRRK8sConfiguration" and namespace in ("", self.namespace))


def identity(path: str) -> Identity | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class ManifestCache:
    """Parsed manifest files by path; `refresh` brings it up to date, `resources` assembles."""

    def __init__(
        self,
        flt: NodeFilter,
        limits: Limits | None = None,
        extra_kinds: ExtraKinds | None = None,
        secret_namespaces: Iterable[str] = (),
    ):
        self.filter = flt
        self.limits = limits or Limits.from_env()
        self.extra_kinds = extra_kinds
        self.secret_namespaces = tuple(secret_namespaces)
        self.entries: dict[str, _Entry] = {}
        self.labels: dict[str, str] = flt.labels(())
        self.parses = 0
        """Files parsed so far (tests and benchmarks check that unchanged files are not)."""

    def _parse(self, path: str, ident: Identity, data: bytes, digest: bytes) -> _Entry:
        self.parses += 1
        parsed = parse_file(
            path,
            data,
            default_namespace=self.filter.namespace,
            limits=self.limits,
            extra_kinds=self.extra_kinds,
            secret_namespaces=self.secret_namespaces,
        )
        entry = _Entry(ident, digest, errors=parsed.errors, notes=parsed.notes)
        for note in parsed.notes:
            log.info("%s", note)  # once per change of the file, not every pass
        for item in parsed.objects:
            entry.docs.append(self._doc(item))
        return entry

    def _doc(self, item: Loaded) -> _Doc:
        selector = item.obj.spec.node_selector if isinstance(item.obj, FRRConfiguration) else None
        doc = _Doc(item.ref, item.location, item.obj, selector, item.extra)
        if not self.filter.keeps(doc, self.labels):
            doc.obj = None
        elif isinstance(item.obj, Node) and self.filter.node not in (None, item.obj.name):
            # Another node (kept for its labels only): not its spec and status.
            doc.obj = Node(metadata=ObjectMeta(name=item.obj.name, labels=item.obj.labels))
        return doc

    def _load(self, path: str, old: _Entry | None) -> _Entry | None:
        """The entry of `path` now (None: gone). Unchanged identity or content: the old entry."""
        ident = identity(path)
        if ident is None:
            return None
        if old is not None and old.identity == ident:
            return old
        data, error = read_manifest(path, self.limits)
        if data is None:
            if not os.path.exists(path):
                return None
            return _Entry(ident, b"", errors=[error] if error else [])
        digest = hashlib.sha256(data).digest()
        if old is not None and old.digest == digest:
            old.identity = ident  # touched, or rewritten identically: nothing to parse
            return old
        return self._parse(path, ident, data, digest)

    def refresh(
        self, found: Iterable[str], skip: Iterable[str] = (), scope: Iterable[str] | None = None
    ) -> bool:
        """Bring the cache up to date with the manifest files `found` now: all of them, or only
        the paths in `scope` (then `found` lists those of them that are manifest files). Paths
        in `skip` (files still being written, or directories) keep their last settled version,
        or stay absent. True when anything the agent sees changed."""
        skipped = set(skip)

        def held(path: str) -> bool:
            return bool(skipped) and (path in skipped or any(path.startswith(s + os.sep) for s in skipped))

        current = set(found)
        candidates = self.entries.keys() if scope is None else set(scope) & self.entries.keys()
        changed = False
        for path in [p for p in candidates if p not in current and not held(p)]:
            del self.entries[path]
            changed = True
        for path in current:
            if held(path):
                continue
            old = self.entries.get(path)
            new = self._load(path, old)
            if new is None:
                if old is not None:
                    del self.entries[path]
                    changed = True
            elif new is not old:
                self.entries[path] = new
                changed = True
        return (changed and self._relabel()) or changed

    def _relabel(self) -> bool:
        """Follow a change of the node's labels: keep what now selects the node (parsing its file
        again), drop what no longer does. True when the labels changed."""
        nodes = [d.obj for e in self.entries.values() for d in e.docs if isinstance(d.obj, Node)]
        labels = self.filter.labels(nodes)
        if labels == self.labels:
            return False
        log.info("node labels changed: %s", ", ".join(f"{k}={v}" for k, v in sorted(labels.items())))
        self.labels = labels
        for path, entry in list(self.entries.items()):
            needed = False
            for doc in entry.docs:
                keep = self.filter.keeps(doc, labels)
                if not keep:
                    doc.obj = None
                elif doc.obj is None:
                    needed = True
            if needed:
                self._reparse(path, entry)
        return True

    def _reparse(self, path: str, entry: _Entry) -> None:
        data, error = read_manifest(path, self.limits)
        if data is None:
            self.entries[path] = _Entry(entry.identity, b"", errors=[error] if error else [])
            return
        digest = hashlib.sha256(data).digest()
        self.entries[path] = self._parse(path, identity(path) or entry.identity, data, digest)

    def resources(self) -> tuple[Resources, list[ConfigError], list[str]]:
        """The kept objects of every file (first definition wins), every error and every note."""
        out = Resources()
        errors: list[ConfigError] = []
        notes: list[str] = []
        seen: dict[ObjectRef, Location] = {}
        for path in sorted(self.entries, key=path_order):
            entry = self.entries[path]
            errors += entry.errors
            notes += entry.notes
            for doc in entry.docs:
                if doc.ref in seen:
                    errors.append(
                        ConfigError(
                            f"duplicate object (also defined at {seen[doc.ref]})",
                            obj=doc.ref,
                            path="metadata.name",
                            location=doc.location,
                        )
                    )
                    continue
                seen[doc.ref] = doc.location
                if doc.obj is not None:
                    out.add(Loaded(doc.ref, doc.location, doc.obj, doc.extra))
        out.notes = notes
        return out, errors, notes
