"""Which nodes a selector selects, and which objects select a node, without testing every pair.

At 3,000 Nodes and 6,000 FRRConfigurations, matching every object against every node is 18M
matches (issue 10). Here nodes are indexed by label, and selectors by the labels a node must
carry to match them (an *anchor*: a `matchLabels` pair, or an `In` requirement's key with its
values), so a lookup only tests the candidates the index returns. Objects with the same
selector share one lookup. Selectors without an anchor (`NotIn`, `Exists`, `DoesNotExist`,
the empty selector) are tested against every node, as they can select any of them.

`ConfigIndex` is the informer-cache view the Kubernetes webhook needs: objects, nodes and
secrets are added and removed one at a time, each object is translated once (until it or a
Secret it references changes), and `validate(obj)` checks one object against every node it
selects, merged with the other objects selecting that node.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from frrnode.api.core import Node, Secret
from frrnode.api.v1beta1 import FRRConfiguration, LabelSelector
from frrnode.errors import ConfigError
from frrnode.model import ObjectRef
from frrnode.pipeline.merge import merge
from frrnode.pipeline.select import in_namespace, matches, selector_errors
from frrnode.pipeline.translate import ConfigFragment, ref_of, secret_names, translate_configuration

Label = tuple[str, str]
SelectorKey = tuple[tuple[Label, ...], tuple[tuple[str, str, tuple[str, ...]], ...]]


def selector_key(selector: LabelSelector) -> SelectorKey:
    """A hashable, order-independent form of `selector`: equal keys select the same nodes."""
    return (
        tuple(sorted(selector.match_labels.items())),
        tuple(sorted((r.key, r.operator, tuple(sorted(set(r.values)))) for r in selector.match_expressions)),
    )


def anchor(selector: LabelSelector) -> tuple[Label, ...] | None:
    """Labels of which a selected node carries at least one; None when any node may match."""
    for pair in sorted(selector.match_labels.items()):
        return (pair,)
    ins = [r for r in selector.match_expressions if r.operator == "In" and r.values]
    if ins:
        best = min(ins, key=lambda r: (len(set(r.values)), r.key))
        return tuple((best.key, v) for v in sorted(set(best.values)))
    return None


class NodeIndex:
    """Node labels by (key, value): the nodes a valid selector selects, in name order."""

    def __init__(self, nodes: Iterable[tuple[str, Mapping[str, str]]] = ()):
        self._labels: dict[str, dict[str, str]] = {}
        self._by_label: dict[Label, set[str]] = {}
        for name, labels in nodes:
            self.upsert(name, labels)

    def __len__(self) -> int:
        return len(self._labels)

    def __contains__(self, name: object) -> bool:
        return name in self._labels

    def names(self) -> list[str]:
        return sorted(self._labels)

    def labels(self, name: str) -> dict[str, str]:
        return self._labels[name]

    def upsert(self, name: str, labels: Mapping[str, str]) -> None:
        self.remove(name)
        self._labels[name] = dict(labels)
        for pair in labels.items():
            self._by_label.setdefault(pair, set()).add(name)

    def remove(self, name: str) -> None:
        for pair in self._labels.pop(name, {}).items():
            names = self._by_label[pair]
            names.discard(name)
            if not names:
                del self._by_label[pair]

    def selected(self, selector: LabelSelector) -> list[str]:
        """Names of the nodes `selector` (valid, see `selector_errors`) selects, sorted."""
        pairs = anchor(selector)
        if pairs is None:
            candidates: Iterable[str] = self._labels
        else:
            found: set[str] = set()
            for pair in pairs:
                found |= self._by_label.get(pair, set())
            candidates = found
        return sorted(n for n in candidates if matches(selector, self._labels[n]))


@dataclass
class _Entry:
    config: FRRConfiguration
    problems: list[ConfigError]
    """R44 and translation problems of the object alone ([] when valid)."""
    fragment: ConfigFragment
    secret_names: frozenset[str]


class ConfigIndex:
    """FRRConfigurations, Nodes and Secrets kept between calls, for validating one object at a time.

    `namespace` is the agent namespace: only its objects (and objects without a namespace) are
    merged per node, and only its Secrets resolve passwords; objects of any namespace are still
    checked alone, as upstream's webhook does.
    """

    def __init__(self, namespace: str):
        self.namespace = namespace
        self.nodes = NodeIndex()
        self._entries: dict[ObjectRef, _Entry] = {}
        self._secrets: dict[str, Secret] = {}
        # Merged objects (valid, in the namespace) grouped by selector, and those groups by anchor.
        self._groups: dict[SelectorKey, tuple[LabelSelector, set[ObjectRef]]] = {}
        self._anchored: dict[Label, set[SelectorKey]] = {}
        self._unanchored: set[SelectorKey] = set()

    # -- the cache -----------------------------------------------------------------------------
    def upsert_node(self, node: Node) -> None:
        self.nodes.upsert(node.name, node.labels)

    def remove_node(self, name: str) -> None:
        self.nodes.remove(name)

    def upsert_secret(self, secret: Secret) -> None:
        if secret.metadata.namespace in ("", self.namespace):
            self._secrets[secret.metadata.name] = secret
            self._retranslate(secret.metadata.name)

    def remove_secret(self, name: str) -> None:
        if self._secrets.pop(name, None) is not None:
            self._retranslate(name)

    def upsert(self, config: FRRConfiguration) -> list[ConfigError]:
        """Add or replace an object; returns its problems alone ([] when valid)."""
        ref = ref_of(config)
        old = self._entries.get(ref)
        if old is not None and old.config is config:
            return list(old.problems)
        self.remove(ref)
        entry = self._translate(config)
        self._entries[ref] = entry
        if not entry.problems and in_namespace(config, self.namespace):
            self._group_add(ref, config.spec.node_selector)
        return list(entry.problems)

    def remove(self, ref: ObjectRef) -> None:
        entry = self._entries.pop(ref, None)
        if entry is not None:
            self._group_remove(ref, entry.config.spec.node_selector)

    def __len__(self) -> int:
        return len(self._entries)

    def refs(self) -> list[ObjectRef]:
        return sorted(self._entries)

    def problems(self, ref: ObjectRef) -> list[ConfigError]:
        """The problems of indexed object `ref` alone."""
        return list(self._entries[ref].problems)

    # -- queries -------------------------------------------------------------------------------
    def selecting(self, labels: Mapping[str, str]) -> list[ObjectRef]:
        """The valid objects of the namespace that select a node with `labels`, sorted."""
        keys = set(self._unanchored)
        for pair in labels.items():
            keys |= self._anchored.get(pair, set())
        refs: list[ObjectRef] = []
        for key in keys:
            selector, members = self._groups[key]
            if matches(selector, labels):
                refs += members
        return sorted(refs)

    def node_groups(self) -> Iterator[tuple[str | None, list[ObjectRef]]]:
        """For every node (by name), the objects selecting it; without any node, one group
        (name None) of the objects with an empty selector, which select every node."""
        if not len(self.nodes):
            empty = self._groups.get(((), ()))
            yield None, sorted(empty[1]) if empty else []
            return
        by_node: dict[str, list[ObjectRef]] = {}
        for selector, members in self._groups.values():
            for name in self.nodes.selected(selector):
                by_node.setdefault(name, []).extend(members)
        for name in self.nodes.names():
            yield name, sorted(by_node.get(name, []))

    def conflicts(self, refs: Iterable[ObjectRef]) -> list[ConfigError]:
        """Conflicts of merging the indexed (valid) objects `refs`."""
        _, errors = merge(self._entries[r].fragment for r in refs)
        return errors

    def validate(self, config: FRRConfiguration) -> list[ConfigError]:
        """Problems of `config` (new or changed) as the webhook sees them, without changing the
        index: the object alone, then its merge with the indexed objects selecting each node it
        selects (an indexed version of the same object is replaced by `config`). Without any
        Node, an object with an empty selector is merged with the others that have one."""
        entry = self._translate(config)
        if entry.problems or not in_namespace(config, self.namespace):
            return list(entry.problems)
        ref = ref_of(config)
        selector = config.spec.node_selector
        if len(self.nodes):
            groups = [self.selecting(self.nodes.labels(n)) for n in self.nodes.selected(selector)]
        elif selector_key(selector) == ((), ()):
            empty = self._groups.get(((), ()))
            groups = [sorted(empty[1]) if empty else []]
        else:
            groups = []
        errors: list[ConfigError] = []
        seen: set[str] = set()
        for refs in groups:
            fragments = [self._entries[r].fragment for r in refs if r != ref] + [entry.fragment]
            _, found = merge(fragments)
            for error in found:
                if str(error) not in seen:
                    seen.add(str(error))
                    errors.append(error)
        return errors

    # -- internals -----------------------------------------------------------------------------
    def _translate(self, config: FRRConfiguration) -> _Entry:
        ref = ref_of(config)
        problems = selector_errors(config.spec.node_selector, ref)
        fragment, translate_problems = translate_configuration(config, self._secrets, self.namespace)
        return _Entry(config, problems + translate_problems, fragment, secret_names(config))

    def _retranslate(self, secret_name: str) -> None:
        for ref, entry in list(self._entries.items()):
            if secret_name in entry.secret_names:
                self.remove(ref)
                self.upsert(entry.config)

    def _group_add(self, ref: ObjectRef, selector: LabelSelector) -> None:
        key = selector_key(selector)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = (selector, set())
            pairs = anchor(selector)
            if pairs is None:
                self._unanchored.add(key)
            for pair in pairs or ():
                self._anchored.setdefault(pair, set()).add(key)
        group[1].add(ref)

    def _group_remove(self, ref: ObjectRef, selector: LabelSelector) -> None:
        key = selector_key(selector)
        group = self._groups.get(key)
        if group is None or ref not in group[1]:
            return
        group[1].discard(ref)
        if group[1]:
            return
        del self._groups[key]
        self._unanchored.discard(key)
        for pair in anchor(selector) or ():
            keys = self._anchored[pair]
            keys.discard(key)
            if not keys:
                del self._anchored[pair]
