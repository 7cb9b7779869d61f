"""Which nodes a selector selects, and which objects select a node, without testing every pair.

At 3,000 Nodes and 6,000 FRRConfigurations, matching every object against every node is 18M
matches (issue 10). Here nodes are indexed by label, and selectors by the labels a node must
carry to match them (an *anchor*: a `matchLabels` pair, or an `In` requirement's key with its
values), so a lookup only tests the candidates the index returns. Objects with the same
selector share one lookup. Selectors without an anchor (`NotIn`, `Exists`, `DoesNotExist`,
the empty selector) are tested against every node, as they can select any of them.

`ConfigIndex` is the informer-cache view the Kubernetes webhook needs (and `validate_all` uses):
objects, nodes and secrets are added and removed one at a time, each object is translated once
(until it or a Secret it references changes), and `check(obj)` checks one object against every
node it selects, merged with the other objects selecting that node (`pipeline.conflicts` makes
that a few merges, not one per node).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from frrnode.api.core import Node, Secret
from frrnode.api.v1beta1 import FRRConfiguration, LabelSelector
from frrnode.errors import ConfigError
from frrnode.model import ObjectRef
from frrnode.pipeline.conflicts import Check, IndexKey, InteractionKeys, Parts, check_groups, interaction_keys
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


def key_matches(key: SelectorKey, labels: Mapping[str, str]) -> bool:
    """`select.matches` on a valid selector's key (no model needed: 6,000 of them as pydantic
    models cost ~5 MB, as keys ~2 MB)."""
    pairs, expressions = key
    if any(labels.get(k) != v for k, v in pairs):
        return False
    for name, operator, values in expressions:
        present = name in labels
        if operator == "In" and not (present and labels[name] in values):
            return False
        if operator == "NotIn" and present and labels[name] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


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
class _Group:
    """The merged objects with one selector, and the nodes it selects (until a node changes)."""

    selector: LabelSelector
    members: set[ObjectRef] = field(default_factory=set)
    nodes: list[str] = field(default_factory=list)
    epoch: int = -1


@dataclass
class _Entry:
    problems: list[ConfigError]
    """R44 and translation problems of the object alone ([] when valid)."""
    fragment: ConfigFragment
    selector: LabelSelector
    secret_names: frozenset[str]
    config: FRRConfiguration | None
    """Kept only when the object references Secrets (it is translated again when one changes)."""
    merged: bool
    """Valid and in the namespace: merged per node."""
    group: SelectorKey
    parts: Parts | None = None
    keys: set[IndexKey] = field(default_factory=set)


class ConfigIndex:
    """FRRConfigurations, Nodes and Secrets kept between calls, for validating one object at a
    time: the one way `frrnode validate`, the webhook and the tests check objects.

    `namespace` is the agent namespace: only its objects (and objects without a namespace) are
    merged per node, and only its Secrets resolve passwords; objects of any namespace are still
    checked alone, as upstream's webhook does.
    """

    def __init__(self, namespace: str, max_errors: int = 50):
        self.namespace = namespace
        self.max_errors = max_errors
        self.nodes = NodeIndex()
        self._epoch = 0
        """Bumped whenever the set of nodes or a node's labels changes (node selections expire)."""
        self._entries: dict[ObjectRef, _Entry] = {}
        self._secrets: dict[str, Secret] = {}
        # Merged objects (valid, in the namespace) grouped by selector.
        self._groups: dict[SelectorKey, _Group] = {}
        # What `check` needs besides: built on its first call, then kept up to date.
        self._keys: InteractionKeys | None = None
        self._interned: dict[Hashable, int] = {}

    # -- the cache -----------------------------------------------------------------------------
    def upsert_node(self, node: Node) -> None:
        self.set_node(node.name, node.labels)

    def set_node(self, name: str, labels: Mapping[str, str]) -> bool:
        """Add a node or change its labels; False when it had these labels already."""
        if name in self.nodes and self.nodes.labels(name) == labels:
            return False
        self.nodes.upsert(name, labels)
        self._epoch += 1
        return True

    def remove_node(self, name: str) -> bool:
        if name not in self.nodes:
            return False
        self.nodes.remove(name)
        self._epoch += 1
        return True

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
        self.remove(ref)
        entry = self._translate(config)
        self._entries[ref] = entry
        if entry.merged:
            self._groups.setdefault(entry.group, _Group(entry.selector)).members.add(ref)
            if self._keys is not None:
                self._prepare(entry)
                self._keys.add(ref, entry.keys)
        return list(entry.problems)

    def remove(self, ref: ObjectRef) -> None:
        entry = self._entries.pop(ref, None)
        if entry is not None and entry.merged:
            self._group_remove(ref, entry.group)
            if self._keys is not None:
                self._keys.remove(ref, entry.keys)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, ref: object) -> bool:
        return ref in self._entries

    def refs(self) -> list[ObjectRef]:
        return sorted(self._entries)

    def problems(self, ref: ObjectRef) -> list[ConfigError]:
        """The problems of indexed object `ref` alone."""
        return list(self._entries[ref].problems)

    # -- queries -------------------------------------------------------------------------------
    def node_groups(self) -> Iterator[tuple[str | None, list[ObjectRef]]]:
        """For every node (by name), the objects selecting it; without any node, one group
        (name None) of the objects with an empty selector, which select every node."""
        if not len(self.nodes):
            yield None, sorted(self._unselective())
            return
        by_node: dict[str, list[ObjectRef]] = {}
        for group in self._groups.values():
            for name in self._selected(group):
                by_node.setdefault(name, []).extend(group.members)
        for name in self.nodes.names():
            yield name, sorted(by_node.get(name, []))

    def conflicts(self, refs: Iterable[ObjectRef]) -> list[ConfigError]:
        """Conflicts of merging the indexed (valid) objects `refs`."""
        _, errors = merge(self._entries[r].fragment for r in refs)
        return errors

    def validate(self, config: FRRConfiguration) -> list[ConfigError]:
        """The problems of `config`: `check(config).errors`."""
        return self.check(config).errors

    def check(self, config: FRRConfiguration) -> Check:
        """Problems of `config` (new or changed) as the webhook sees them, without changing the
        index: the object alone, then, for every node it selects, its merge with the indexed
        objects selecting that node (an indexed version of the same object is replaced by
        `config`; conflicts that exist without it are not its problems). Without any Node, an
        object with an empty selector is merged with the others that have one (as
        `validate_all`). Costs a few merges however many nodes (see `pipeline.conflicts`)."""
        entry = self._translate(config)
        if not entry.merged:
            return Check(list(entry.problems))
        keys = self._interaction_keys()
        relevant = keys.relevant(entry.fragment)
        if len(self.nodes):
            targets = self.nodes.selected(entry.selector)
            wanted = set(targets)
            around: dict[str, list[ObjectRef]] = {}
            for ref in relevant:
                for name in self._selected(self._groups[self._entries[ref].group]):
                    if name in wanted:
                        around.setdefault(name, []).append(ref)
            groups = [around.get(name, []) for name in targets]
        elif entry.group == ((), ()):
            targets, groups = [], [sorted(relevant & self._unselective())]
        else:
            return Check()
        return check_groups(
            entry.fragment,
            groups,
            relevant,
            keys.exact(entry.fragment),
            lambda ref: self._entries[ref].fragment,
            self._parts,
            Check(nodes=len(targets)),
            self.max_errors,
        )

    # -- internals -----------------------------------------------------------------------------
    def _translate(self, config: FRRConfiguration) -> _Entry:
        ref = ref_of(config)
        selector = config.spec.node_selector
        problems = selector_errors(selector, ref)
        fragment, translate_problems = translate_configuration(config, self._secrets, self.namespace)
        problems += translate_problems
        names = secret_names(config)
        merged = not problems and in_namespace(config, self.namespace)
        kept = config if names else None
        return _Entry(problems, fragment, selector, names, kept, merged, selector_key(selector))

    def _retranslate(self, secret_name: str) -> None:
        for entry in list(self._entries.values()):
            if secret_name in entry.secret_names and entry.config is not None:
                self.upsert(entry.config)

    def _unselective(self) -> set[ObjectRef]:
        empty = self._groups.get(((), ()))
        return set(empty.members) if empty else set()

    def _selected(self, group: _Group) -> list[str]:
        """The nodes a group's selector selects, cached until a node changes."""
        if group.epoch != self._epoch:
            group.nodes = self.nodes.selected(group.selector)
            group.epoch = self._epoch
        return group.nodes

    def _prepare(self, entry: _Entry) -> None:
        entry.keys = interaction_keys(entry.fragment)

    def _interaction_keys(self) -> InteractionKeys:
        """The inverted index `check` needs (built for every merged object on first use)."""
        if self._keys is None:
            self._keys = InteractionKeys()
            for ref, entry in self._entries.items():
                if entry.merged:
                    self._prepare(entry)
                    self._keys.add(ref, entry.keys)
        return self._keys

    def _parts(self, ref: ObjectRef) -> Parts:
        entry = self._entries[ref]
        if entry.parts is None:
            entry.parts = Parts(entry.fragment, self._intern)
        return entry.parts

    def _intern(self, key: Hashable) -> int:
        """A small int per distinct content key (kept for the life of the index: bounded by
        the distinct neighbors and routers ever seen)."""
        return self._interned.setdefault(key, len(self._interned))

    def prepare(self) -> None:
        """Build now what `check` would build on its first call (a webhook does it once synced,
        so the first review is not slower than the others)."""
        self._interaction_keys()
        for ref, entry in self._entries.items():
            if entry.merged:
                self._parts(ref)

    def _group_remove(self, ref: ObjectRef, key: SelectorKey) -> None:
        group = self._groups.get(key)
        if group is not None:
            group.members.discard(ref)
            if not group.members:
                del self._groups[key]
