"""The YAML documents of a manifest text: YAML 1.1 minus sexagesimal integers, parsed by libyaml,
built into Python objects without PyYAML's generic constructor.

At 9,000 manifest files PyYAML's constructor (one generic `construct_object` per node, its
bookkeeping dicts, a generator per mapping) and its resolver (a regex per plain scalar) cost
most of the time of a one-shot `render` (issue 10). Here:

- the resolver's answer for a plain scalar is cached by its text (the tag of a plain scalar
  depends only on its text: there are no path resolvers);
- the node tree libyaml composed is turned into dicts, lists and scalars directly, with one
  recursive function, for the standard tags only (`str`, `map`, `seq` and the scalar types);
  the values of non-string scalars are cached by (tag, text);
- anything else (merge keys `<<`, explicit tags such as `!!set` or `!foo`, mapping or list
  keys, a scalar its constructor refuses, nesting deeper than `FAST_DEPTH` (recursive aliases
  included), a document expanding beyond `MAX_EXPANDED_NODES`) makes that document go through
  PyYAML's own constructor, unchanged.

So every document gives what `yaml.load` with `YAMLLoader` gives (equal values; an alias is
a copy, not the same object), or the same error (tests compare the two paths on generated
documents).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

MAX_EXPANDED_NODES = 200_000
"""YAML nodes one document may expand to through aliases (a "billion laughs" guard)."""

FAST_DEPTH = 64
"""Deeper documents are built by PyYAML (the fast builder recurses; PyYAML's does not)."""

YAML_TAG = "tag:yaml.org,2002:"
# libyaml's parser when available: ~10x faster on large manifests (the resolver stays Python).
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT = YAML_TAG + "int"
_STR, _MAP, _SEQ = (YAML_TAG + name for name in ("str", "map", "seq"))


class YAMLLoader(_Base):  # type: ignore[valid-type,misc]
    """YAML 1.1 minus sexagesimal integers: `65000:10` must stay a string (communities, RDs).
    The YAML loader of manifests (`yaml.load(text, Loader=YAMLLoader)`)."""


YAMLLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != _INT]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YAMLLoader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)

_RESOLVED: dict[str, str] = {}
_SCALARS: dict[tuple[str, str], Any] = {}
_CACHE_MAX = 100_000
"""Entries per cache (plain scalar texts; scalar values): cleared when full, so a long-running
agent reading ever-new values stays bounded."""


def forget() -> None:
    """Empty the caches (a reader calls it after a burst of files: at 9,000 files they hold
    ~3 MB of strings the loaded objects do not need)."""
    _RESOLVED.clear()
    _SCALARS.clear()


class _FastLoader(YAMLLoader):
    """`YAMLLoader` with the resolver cached per plain scalar text."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode:
            return _MAP if kind is yaml.MappingNode else _SEQ
        if not implicit[0]:
            return _STR  # quoted, or tagged `!`
        tag = _RESOLVED.get(value)
        if tag is None:
            tag = str(super().resolve(kind, value, implicit))
            if len(_RESOLVED) >= _CACHE_MAX:
                _RESOLVED.clear()
            _RESOLVED[value] = tag
        return tag

    # No path resolvers (asserted below): PyYAML's versions only test that and return.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


assert not YAMLLoader.yaml_path_resolvers, "the resolver cache assumes no path resolvers"

_SCALAR_TAGS = ("null", "bool", "int", "float", "binary", "timestamp")
_CONSTRUCTORS: dict[str, Callable[[Any, yaml.Node], Any]] = {
    tag: YAMLLoader.yaml_constructors[tag] for tag in (YAML_TAG + name for name in _SCALAR_TAGS)
}
"""PyYAML's own constructors of the scalar types (their results are immutable, so cacheable)."""


class TooLarge(Exception):
    """A document expands to more than `MAX_EXPANDED_NODES` nodes through aliases."""


class _Slow(Exception):
    """This document needs PyYAML's constructor."""


class _Builder:
    """Builds one document as PyYAML's SafeConstructor does; raises `_Slow` for whatever it does
    not handle. An alias is built again where it is used (PyYAML shares one object: the values
    are equal, and nothing in frrnode mutates a loaded document), so `count` is the document's
    expanded size, bounded by `limit`. A class, not closures: a self-referencing closure is a
    reference cycle that would keep the loader and the document alive until the cyclic GC runs
    (never, while a one-shot command has it disabled)."""

    __slots__ = ("count", "limit", "loader")

    def __init__(self, loader: Any, limit: float):
        self.loader = loader
        self.limit = limit
        self.count = 1  # the root; each container counts its children

    def scalar(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        key = (tag, node.value)
        try:
            return _SCALARS[key]
        except KeyError:
            pass
        construct = _CONSTRUCTORS.get(tag)
        if construct is None:
            raise _Slow
        try:
            value = construct(self.loader, node)
        except Exception:  # PyYAML's constructor reports it
            raise _Slow from None
        if len(_SCALARS) >= _CACHE_MAX:
            _SCALARS.clear()
        _SCALARS[key] = value
        return value

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        kind = type(node)
        if kind is _ScalarNode:
            return self.scalar(node)
        if depth > FAST_DEPTH:
            raise _Slow  # deep, or a recursive alias: PyYAML decides
        build, scalar = self.build, self.scalar
        out: Any
        if kind is _MappingNode:
            if node.tag != _MAP:
                raise _Slow
            out = {}
            for key_node, value_node in node.value:
                if type(key_node) is not _ScalarNode:
                    raise _Slow  # unhashable: PyYAML reports it
                key = key_node.value if key_node.tag == _STR else scalar(key_node)
                if type(value_node) is _ScalarNode:
                    out[key] = value_node.value if value_node.tag == _STR else scalar(value_node)
                else:
                    out[key] = build(value_node, depth + 1)
            self.count += 2 * len(node.value)
        elif kind is _SequenceNode:
            if node.tag != _SEQ:
                raise _Slow
            out = [
                (item.value if item.tag == _STR else scalar(item))
                if type(item) is _ScalarNode
                else build(item, depth + 1)
                for item in node.value
            ]
            self.count += len(node.value)
        else:
            raise _Slow
        if self.count > self.limit:
            raise _Slow
        return out


_ScalarNode, _SequenceNode, _MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode


def expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Nodes `node` stands for once every alias is expanded (shared nodes counted each time)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(expanded_size(k, sizes) + expanded_size(v, sizes) for k, v in node.value)
    sizes[id(node)] = size
    return min(size, MAX_EXPANDED_NODES + 1)


def _constructed(loader: Any, node: yaml.Node, check: bool) -> Any:
    """PyYAML's way: the alias guard (when the text has an alias at all), then its constructor."""
    if check and expanded_size(node, {}) > MAX_EXPANDED_NODES:
        raise TooLarge(f"a document expands to more than {MAX_EXPANDED_NODES} YAML nodes through aliases")
    try:
        return loader.construct_document(node)
    except _BAD_SCALAR as exc:
        # PyYAML lets a bad explicitly tagged scalar (`!!int abc`, `!!bool x`) escape as these.
        bad = _bad_scalar(loader, node) or node
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot read {str(bad.value)[:80]!r} as {bad.tag}", bad.start_mark
        ) from exc


_BAD_SCALAR = (ValueError, KeyError, IndexError, AttributeError, TypeError, OverflowError)


def _bad_scalar(loader: Any, root: yaml.Node) -> yaml.Node | None:
    """The first scalar (document order) that PyYAML's constructor of its tag fails on."""
    pending, seen = [root], set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            construct = _CONSTRUCTORS.get(node.tag)
            try:
                if construct is not None:
                    construct(loader, node)
            except _BAD_SCALAR:
                return node
        elif isinstance(node, yaml.SequenceNode):
            pending += reversed(node.value)
        elif isinstance(node, yaml.MappingNode):
            pending += reversed([n for pair in node.value for n in pair])
    return None


def _mark(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def yaml_message(exc: yaml.YAMLError) -> str:
    """One line, naming positions, never PyYAML's `in "<unicode string>"` (the file is the
    error's location)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        where = _mark(exc.problem_mark)
        parts = []
        if exc.context:
            context_at = _mark(exc.context_mark)
            same = context_at == where or not context_at
            parts.append(exc.context if same else f"{exc.context} ({context_at})")
        parts += [p for p in (exc.problem, exc.note) if p]
        return f"invalid YAML{f' ({where})' if where else ''}: {': '.join(parts) or 'syntax error'}"
    if isinstance(exc, yaml.reader.ReaderError):
        return f"invalid YAML (character {exc.position}): {exc.reason}"
    return "invalid YAML: " + str(exc).split("\n", 1)[0]


def documents(text: str, fast: bool = True) -> Iterator[Any]:
    """The documents of `text`, each built as `yaml.load` would (`fast=False`: by PyYAML's
    constructor itself). Raises `yaml.YAMLError`, `TooLarge` or `RecursionError`."""
    loader = _FastLoader(text) if fast else YAMLLoader(text)
    aliased = "*" in text  # `*` does not occur in a text without aliases
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                yield None
                continue
            try:
                if not fast:
                    raise _Slow
                doc = _Builder(loader, MAX_EXPANDED_NODES if aliased else math.inf).build(node)
            except _Slow:
                doc = _constructed(loader, node, aliased)
            yield doc
    finally:
        loader.dispose()
