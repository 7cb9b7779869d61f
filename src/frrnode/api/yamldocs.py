"""Reading YAML manifests: the loader (YAML 1.1 minus sexagesimal integers), one-line error
messages naming positions, and a guard against documents that aliases blow up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

MAX_EXPANDED_NODES = 200_000
"""YAML nodes one document may expand to through aliases (a "billion laughs" guard)."""

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


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Nodes `node` stands for once every alias is expanded (shared nodes counted each time)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    sizes[id(node)] = size
    return min(size, MAX_EXPANDED_NODES + 1)


def documents(text: str) -> Iterator[Any]:
    """`yaml.load_all`, refusing documents that aliases blow up (checked only when the text
    has an alias at all: `*` does not occur otherwise)."""
    loader = _Loader(text)
    check = "*" in text
    try:
        while loader.check_node():
            node = loader.get_node()
            if check and node is not None and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
                raise TooLarge(
                    f"a document expands to more than {MAX_EXPANDED_NODES} YAML nodes through aliases"
                )
            yield loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


class TooLarge(Exception):
    """A document refused for its expanded size."""
