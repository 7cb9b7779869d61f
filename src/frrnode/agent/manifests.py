"""The directory source's memory: each manifest file parsed once, kept until it changes, and
reduced to what this node needs.

- A file is re-read only when its identity (device, inode, size, mtime) changes, and re-parsed
  only when its content hash changes too: a `touch`, an identical rewrite or the periodic
  resync parse nothing.
- An object that cannot concern this node (an FRRConfiguration of another namespace or whose
  nodeSelector does not select the node, another node's Node, a status object) is not even
  validated (its errors are not this node's problem: `frrnode validate` and the webhook report
  them); only what that decision needs is kept: its name, location and selector. When the
  node's labels change, the files of the configurations that now select it are parsed again.
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
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from frrnode.api import yamldocs
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
from frrnode.pipeline.index import SelectorKey, key_matches, selector_key
from frrnode.pipeline.select import matches, node_labels, selector_errors

log = logging.getLogger(__name__)

Identity = tuple[int, int, int, int]
"""(st_dev, st_ino, st_size, st_mtime_ns) of a file, following symlinks."""


@dataclass
class _Doc:
    """One valid object of a file; `obj` is None when it does not concern this node."""

    ref: ObjectRef
    location: Location
    obj: BaseModel | None
    selector: SelectorKey | None = None
    """An FRRConfiguration's nodeSelector, as a key (a model per object would cost ~1 KB)."""
    invalid: bool = False
    """The selector cannot be evaluated (R44): the object is kept, the pipeline reports it."""
    extra: bool = False
    """One of the `extra_kinds` (always kept)."""


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
        """The node's labels, as `pipeline.build_node_config` computes them."""
        return node_labels(nodes, self.node or "", self.node_labels)

    def keeps(
        self, ref: ObjectRef, selector: LabelSelector | None, labels: Mapping[str, str], extra: bool = False
    ) -> bool:
        """Whether the node needs object `ref` (an FRRConfiguration's by its `selector`; `extra`:
        one of the `extra_kinds`)."""
        if self.node is None or ref.kind != "FRRConfiguration" or selector is None or extra:
            return self.keeps_key(ref, None, False, labels, extra)
        if ref.namespace not in ("", self.namespace):
            return False
        return matches(selector, labels) or bool(selector_errors(selector))

    def keeps_key(
        self,
        ref: ObjectRef,
        key: SelectorKey | None,
        invalid: bool,
        labels: Mapping[str, str],
        extra: bool = False,
    ) -> bool:
        """`keeps`, with an FRRConfiguration's selector as its key and whether it is invalid."""
        if self.node is None or extra:
            return True
        kind, namespace = ref.kind, ref.namespace
        if kind == "FRRConfiguration":
            if namespace not in ("", self.namespace) or key is None:
                return False
            return invalid or key_matches(key, labels)
        if kind == "Node":
            return self.cluster_nodes or ref.name == self.node
        # Secrets of every namespace: their values are redacted from status and logs.
        return kind == "Secret" or (kind == "FRRK8sConfiguration" and namespace in ("", self.namespace))


PARALLEL_MIN_FILES = 1000
"""Fewer files are parsed in the calling process (a worker costs ~30 ms to start)."""
_WORKER_CACHE: ManifestCache | None = None
"""The cache a forked worker of `ManifestCache.load_all` parses for."""


def _load_chunk(paths: list[str]) -> tuple[dict[str, _Entry], int]:
    """The entries of `paths` and how many files were parsed for them."""
    cache = _WORKER_CACHE
    assert cache is not None
    before = cache.parses
    out: dict[str, _Entry] = {}
    for path in paths:
        entry = cache._load(path, None)
        if entry is not None:
            out[path] = entry
    return out, cache.parses - before


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

    def _needs(self, ref: ObjectRef, selector: LabelSelector | None, extra: bool) -> bool:
        return self.filter.keeps(ref, selector, self.labels, extra)

    def _parse(self, path: str, ident: Identity, data: bytes, digest: bytes) -> _Entry:
        self.parses += 1
        parsed = parse_file(
            path,
            data,
            default_namespace=self.filter.namespace,
            limits=self.limits,
            extra_kinds=self.extra_kinds,
            secret_namespaces=self.secret_namespaces,
            screen=self._needs,
        )
        entry = _Entry(ident, digest, errors=parsed.errors, notes=parsed.notes)
        for note in parsed.notes:
            log.info("%s", note)  # once per change of the file, not every pass
        for item in parsed.objects:
            entry.docs.append(self._doc(item))
        return entry

    def _doc(self, item: Loaded) -> _Doc:
        obj = item.obj
        if isinstance(obj, Node) and self.filter.node not in (None, obj.name):
            # Another node (kept for its labels only, `cluster_nodes`): not its spec and status.
            obj = Node(metadata=ObjectMeta(name=obj.name, labels=obj.labels))
        selector = obj.spec.node_selector if isinstance(obj, FRRConfiguration) else item.selector
        if selector is None:
            return _Doc(item.ref, item.location, obj, extra=item.extra)
        invalid = bool(selector_errors(selector))
        return _Doc(item.ref, item.location, obj, selector_key(selector), invalid, item.extra)

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

        try:
            return self._refresh(found, held, scope)
        finally:
            yamldocs.forget()

    def _refresh(
        self, found: Iterable[str], held: Callable[[str], bool], scope: Iterable[str] | None
    ) -> bool:
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

    def load_all(self, paths: list[str], workers: int = 1) -> None:
        """The first load of `paths` in a one-shot command (`render`): with `workers` > 1 and
        at least `PARALLEL_MIN_FILES` files, parsed by that many processes (forked, so only
        for a process without other threads), each file once. Parsing is CPU-bound and files
        are independent: 9,000 files cost a core ~1.5 s of libyaml composing nodes."""
        if workers < 2 or len(paths) < PARALLEL_MIN_FILES:
            self.refresh(paths)
            return
        global _WORKER_CACHE
        _WORKER_CACHE = self
        chunks = [paths[i::workers] for i in range(workers)]
        try:
            with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
                others = pool.map_async(_load_chunk, chunks[1:])
                mine, _ = _load_chunk(chunks[0])
                parts = others.get()
        finally:
            _WORKER_CACHE = None
            yamldocs.forget()
        self.entries.update(mine)
        for entries, parses in parts:
            self.entries.update(entries)
            self.parses += parses
        self._relabel()

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
            # Errors may belong to objects that this node now needs, or no longer needs.
            needed = bool(entry.errors)
            for doc in entry.docs:
                keep = self.filter.keeps_key(doc.ref, doc.selector, doc.invalid, labels, doc.extra)
                if not keep:
                    doc.obj = None
                elif doc.obj is None:
                    needed = True
            if needed:  # parsed again from scratch (`_load` with no old entry), or gone
                new = self._load(path, None)
                if new is None:
                    del self.entries[path]
                else:
                    self.entries[path] = new
        return True

    def resources(self) -> tuple[Resources, list[ConfigError]]:
        """The kept objects of every file (first definition wins; an object this node does not
        need still makes a second definition a duplicate) with every note, and every error."""
        out = Resources()
        errors: list[ConfigError] = []
        for path in sorted(self.entries, key=path_order):
            entry = self.entries[path]
            errors += entry.errors
            out.notes += entry.notes
            for doc in entry.docs:
                duplicate = out.add(Loaded(doc.ref, doc.location, doc.obj, extra=doc.extra))
                if duplicate is not None:
                    errors.append(duplicate)
        return out, errors
