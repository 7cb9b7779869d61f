"""The webhook's decision (spec §2.2, reporting like `frrnode validate`), on informer caches.

`AdmissionIndex` holds what two informers (all Nodes, all FRRConfigurations) saw, translated
once per object version with the pipeline's own functions (`translate_configuration`, `merge`,
`NodeIndex`); `review()` answers one AdmissionReview request from it, without listing anything.
As upstream, `passwordSecret` references are not resolved at admission (a Secret may be
created after the object that uses it): the daemon reports a missing Secret.
Every error is reported, each naming the object and field path, conflicts naming both objects.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any

from frrnode.api.loader import Resources, load_documents
from frrnode.api.v1beta1 import FRRConfiguration, LabelSelector
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.kube.cache import Key, slim_node, slim_object
from frrnode.kube.resources import key_of
from frrnode.model import Advertise, ObjectRef, Receive
from frrnode.pipeline import warnings
from frrnode.pipeline.index import NodeIndex
from frrnode.pipeline.merge import merge
from frrnode.pipeline.select import in_namespace, selector_errors
from frrnode.pipeline.translate import (
    ConfigFragment,
    NeighborFragment,
    RouterFragment,
    ref_of,
    translate_configuration,
)

log = logging.getLogger(__name__)


def without_secret_refs(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` with every neighbor's `passwordSecret` removed (upstream's `Validate` clears them)."""
    out = copy.deepcopy(obj)
    for router in ((out.get("spec") or {}).get("bgp") or {}).get("routers") or []:
        for neighbor in (router or {}).get("neighbors") or []:
            if isinstance(neighbor, dict):
                neighbor.pop("passwordSecret", None)
    return out


def parse_configuration(obj: dict[str, Any]) -> tuple[FRRConfiguration | None, list[ConfigError]]:
    """The pydantic model of a wire object, or its schema errors with field paths."""
    document = json.dumps(slim_object(obj))
    try:
        resources = load_documents(document, file="")
    except ConfigErrors as exc:
        return None, list(exc.errors)
    return resources.configurations[0], []


class _Nodes:
    """Store for the Node informer: names and labels into a `NodeIndex`."""

    def __init__(self, index: NodeIndex):
        self.index = index
        self._staged: dict[str, dict[str, str]] = {}

    def begin(self) -> None:
        self._staged = {}

    def stage(self, obj: dict[str, Any]) -> None:
        slim = slim_node(obj)
        self._staged[slim["metadata"]["name"]] = slim["metadata"]["labels"]

    def commit(self) -> bool:
        for name in self.index.names():
            if name not in self._staged:
                self.index.remove(name)
        for name, labels in self._staged.items():
            self.index.upsert(name, labels)
        self._staged = {}
        return True

    def apply(self, event: str, obj: dict[str, Any]) -> bool:
        slim = slim_node(obj)
        name, labels = slim["metadata"]["name"], slim["metadata"]["labels"]
        if event == "DELETED":
            self.index.remove(name)
        elif name not in self.index or self.index.labels(name) != labels:
            self.index.upsert(name, labels)
        return True


IndexKey = tuple[str, ...]


def interaction_keys(fragment: ConfigFragment) -> set[IndexKey]:
    """What another object must share with this one for their merge to be able to fail:
    a VRF (with its ASN and router id), a neighbor of that VRF, a BFD profile name, EVPN."""
    keys: set[IndexKey] = set()
    for rfrag in fragment.routers:
        router, vrf = rfrag.router, rfrag.router.vrf
        keys |= {("vrf", vrf), ("asn", vrf, str(router.asn))}
        if router.router_id:
            keys |= {("rid", vrf), ("ridv", vrf, router.router_id)}
        keys |= {("nbr", vrf, n.neighbor.id) for n in rfrag.neighbors}
        if router.evpn is not None or any("evpn" in n.neighbor.address_families for n in rfrag.neighbors):
            keys |= {("evpn",), ("evpn-vrf", vrf)}
    keys |= {("bfd", profile.name) for profile, _ in fragment.bfd_profiles}
    return keys


@dataclass
class _Indexed:
    selector: LabelSelector
    fragment: ConfigFragment
    keys: set[IndexKey]
    parts: _Parts


class _Configs:
    """Store for the FRRConfiguration informer: every valid object of the agent namespace,
    translated once, with an inverted index of its interaction keys."""

    def __init__(self, namespace: str):
        self.namespace = namespace
        self.objects: dict[ObjectRef, _Indexed] = {}
        self.by_key: dict[IndexKey, set[ObjectRef]] = {}
        self._staged: dict[Key, dict[str, Any]] = {}

    def begin(self) -> None:
        self._staged = {}

    def stage(self, obj: dict[str, Any]) -> None:
        self._staged[key_of(obj)] = obj

    def commit(self) -> bool:
        for ref in [ref for ref in self.objects if (ref.namespace, ref.name) not in self._staged]:
            self._remove(ref)
        for obj in self._staged.values():
            self.apply("ADDED", obj)
        self._staged = {}
        return True

    def apply(self, event: str, obj: dict[str, Any]) -> bool:
        ref = ObjectRef("FRRConfiguration", *key_of(obj))
        self._remove(ref)
        if event == "DELETED":
            return True
        config, problems = parse_configuration(without_secret_refs(obj))
        if config is not None and in_namespace(config, self.namespace):
            problems += selector_errors(config.spec.node_selector, ref)
            fragment, more = translate_configuration(config, {}, self.namespace)
            problems += more
            if not problems:
                self._add(
                    ref,
                    _Indexed(
                        config.spec.node_selector, fragment, interaction_keys(fragment), _Parts(fragment)
                    ),
                )
        return True

    def _add(self, ref: ObjectRef, entry: _Indexed) -> None:
        self.objects[ref] = entry
        for key in entry.keys:
            self.by_key.setdefault(key, set()).add(ref)

    def _remove(self, ref: ObjectRef) -> None:
        entry = self.objects.pop(ref, None)
        if entry is None:
            return
        for key in entry.keys:
            refs = self.by_key[key]
            refs.discard(ref)
            if not refs:
                del self.by_key[key]

    def relevant(self, fragment: ConfigFragment) -> set[ObjectRef]:
        """The objects whose merge with `fragment` can fail (others only add to it)."""
        by = self.by_key
        empty: set[ObjectRef] = set()
        out: set[ObjectRef] = set()
        evpn = False
        for rfrag in fragment.routers:
            router, vrf = rfrag.router, rfrag.router.vrf
            out |= by.get(("vrf", vrf), empty) - by.get(("asn", vrf, str(router.asn)), empty)
            if router.router_id:
                out |= by.get(("rid", vrf), empty) - by.get(("ridv", vrf, router.router_id), empty)
            for nfrag in rfrag.neighbors:
                out |= by.get(("nbr", vrf, nfrag.neighbor.id), empty)
            here = router.evpn is not None or any(
                "evpn" in n.neighbor.address_families for n in rfrag.neighbors
            )
            out |= by.get(("vrf", vrf), empty) if here else by.get(("evpn-vrf", vrf), empty)
            evpn = evpn or here
        if evpn:
            out |= by.get(("evpn",), empty)
        for profile, _ in fragment.bfd_profiles:
            out |= by.get(("bfd", profile.name), empty)
        out.discard(fragment.source)
        return out


@dataclass(frozen=True)
class _Scope:
    """What of the other objects a merge with the new one looks at: its VRFs, its neighbors
    (VRF, id) and its BFD profile names."""

    vrfs: frozenset[str]
    neighbors: frozenset[tuple[str, str]]
    bfd: frozenset[str]


def _scope(fragment: ConfigFragment) -> _Scope:
    return _Scope(
        vrfs=frozenset(r.router.vrf for r in fragment.routers),
        neighbors=frozenset((r.router.vrf, n.neighbor.id) for r in fragment.routers for n in r.neighbors),
        bfd=frozenset(p.name for p, _ in fragment.bfd_profiles),
    )


def _has_evpn(fragment: ConfigFragment) -> bool:
    return any(
        r.router.evpn is not None or any("evpn" in n.neighbor.address_families for n in r.neighbors)
        for r in fragment.routers
    )


def _policy_only(nfrag: NeighborFragment) -> NeighborFragment:
    """A neighbor without what merges by union (advertised prefixes, communities, receive
    filters): next hops and local preferences are all of its policy that can conflict."""
    adv = nfrag.neighbor.advertise
    kept = Advertise(next_hop_v4=adv.next_hop_v4, next_hop_v6=adv.next_hop_v6, local_prefs=adv.local_prefs)
    return replace(nfrag, neighbor=replace(nfrag.neighbor, advertise=kept, receive=Receive()))


class _Parts:
    """An object cut into what a merge can conflict on (routers without neighbors, prefixes
    and imports, which only add up; policy-only neighbors; BFD profiles), each piece with a
    content key that leaves out the object's name: objects of different nodes that declare the
    same neighbor alike have equal keys, and merge alike."""

    def __init__(self, fragment: ConfigFragment):
        self.source = fragment.source
        self.routers: dict[str, RouterFragment] = {}
        self.router_keys: dict[str, Hashable] = {}
        self.neighbors: dict[str, list[tuple[str, NeighborFragment, Hashable]]] = {}
        for rfrag in fragment.routers:
            vrf = rfrag.router.vrf
            router = replace(rfrag.router, prefixes_v4=(), prefixes_v6=(), imports=())
            self.routers[vrf] = replace(rfrag, router=router, neighbors=[])
            self.router_keys[vrf] = (
                router,
                rfrag.origin.path,
                rfrag.evpn_path,
                tuple(sorted(rfrag.l2vni_paths.items())),
            )
            pieces: list[tuple[str, NeighborFragment, Hashable]] = []
            for nfrag in rfrag.neighbors:
                kept = _policy_only(nfrag)
                key = (
                    kept.neighbor,
                    kept.origin.path,
                    tuple(sorted(kept.field_paths.items())),
                    tuple(sorted(kept.local_pref_paths.items())),
                )
                pieces.append((nfrag.neighbor.id, kept, key))
            self.neighbors[vrf] = pieces
        self.bfd = {p.name: (p, o) for p, o in fragment.bfd_profiles}

    def signature(self, scope: _Scope) -> Hashable:
        return (
            tuple(
                (
                    vrf,
                    self.router_keys[vrf],
                    tuple(k for i, _, k in self.neighbors[vrf] if (vrf, i) in scope.neighbors),
                )
                for vrf in sorted(scope.vrfs)
                if vrf in self.routers
            ),
            tuple(
                (name, self.bfd[name][0], self.bfd[name][1].path)
                for name in sorted(scope.bfd)
                if name in self.bfd
            ),
        )

    def assemble(self, scope: _Scope) -> ConfigFragment:
        routers = [
            replace(
                self.routers[vrf],
                neighbors=[n for i, n, _ in self.neighbors[vrf] if (vrf, i) in scope.neighbors],
            )
            for vrf in sorted(scope.vrfs)
            if vrf in self.routers
        ]
        profiles = [self.bfd[name] for name in sorted(scope.bfd) if name in self.bfd]
        return ConfigFragment(source=self.source, routers=routers, bfd_profiles=profiles)


@dataclass
class Verdict:
    allowed: bool
    errors: list[ConfigError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    nodes: int = 0
    merges: int = 0
    truncated: bool = False
    alike: dict[ObjectRef, list[ObjectRef]] = field(default_factory=dict)
    """Object named in an error -> other objects (on other nodes) that conflict the same way."""

    @property
    def message(self) -> str:
        lines = [str(e) for e in self.errors]
        for ref, more in sorted(self.alike.items()):
            names = ", ".join(r.name for r in more[:5]) + (", ..." if len(more) > 5 else "")
            lines.append(f"the same with {len(more)} more object(s) like {ref} on other nodes: {names}")
        if self.truncated:
            lines.append(f"(stopped after {len(self.errors)} errors)")
        return "\n".join(lines)


class AdmissionIndex:
    """The caches the webhook answers from, and the decision.

    For every node the object selects, its merge with the other objects selecting that node
    (as `frrnode validate`), computed only with the objects it can conflict with
    (`interaction_keys`) and once per distinct group of those: an object selecting 3,000
    nodes costs a handful of merges, not 3,000. Conflicts that exist without the new object
    are not blamed on it.
    """

    def __init__(self, namespace: str, max_errors: int = 50):
        self.namespace = namespace
        self.max_errors = max_errors
        self.node_index = NodeIndex()
        self.nodes = _Nodes(self.node_index)
        self.configs = _Configs(namespace)

    def review(self, operation: str, obj: dict[str, Any], old: dict[str, Any] | None = None) -> Verdict:
        """The verdict on CREATE/UPDATE of `obj` (DELETE is always allowed, as upstream)."""
        if operation not in ("CREATE", "UPDATE"):
            return Verdict(True)
        config, problems = parse_configuration(without_secret_refs(obj))
        if config is None:
            return Verdict(False, problems)
        notes = warnings_for(config, obj, old)
        ref = ref_of(config)
        problems = selector_errors(config.spec.node_selector, ref)
        fragment, more = translate_configuration(config, {}, self.namespace)
        problems += more
        if problems or not in_namespace(config, self.namespace):
            return Verdict(not problems, problems, notes)
        verdict = self._merged(fragment, config.spec.node_selector)
        verdict.warnings = notes
        return verdict

    def _merged(self, fragment: ConfigFragment, selector: LabelSelector) -> Verdict:
        objects = self.configs.objects
        targets = self.node_index.selected(selector)
        wanted = set(targets)
        around: dict[str, list[ObjectRef]] = {}
        relevant = self.configs.relevant(fragment)
        for ref in relevant:
            for node in self.node_index.selected(objects[ref].selector):
                if node in wanted:
                    around.setdefault(node, []).append(ref)
        scope = _scope(fragment)
        # With EVPN on either side whole VRFs (and VNIs across VRFs) matter: merge everything.
        exact = _has_evpn(fragment) or any(("evpn-vrf", v) in self.configs.by_key for v in scope.vrfs)
        signature = {r: (r if exact else objects[r].parts.signature(scope)) for r in relevant}
        # Nodes whose other objects look alike (up to their names) merge alike: one merge each.
        groups: dict[tuple[Hashable, ...], list[list[ObjectRef]]] = {}
        for node in targets:
            members = around.get(node, [])
            groups.setdefault(tuple(sorted((signature[r] for r in members), key=hash)), []).append(members)
        verdict = Verdict(True, nodes=len(targets))
        seen: set[str] = set()
        for alike_groups in sorted(groups.values(), key=lambda g: sorted(min(g, key=sorted))):
            first = sorted(min(alike_groups, key=sorted))
            others = [objects[r].fragment if exact else objects[r].parts.assemble(scope) for r in first]
            _, found = merge([*others, fragment])
            verdict.merges += 1
            before = {str(e) for e in merge(others)[1]} if found and others else set()
            new = [e for e in found if str(e) not in before]
            for error in new:
                if str(error) not in seen:
                    seen.add(str(error))
                    verdict.errors.append(error)
            if new and len(alike_groups) > 1:
                named = {e.obj for e in new} | {getattr(e, "other", None) for e in new}
                for ref in (r for r in first if r in named):
                    more = (
                        o
                        for g in alike_groups
                        for o in g
                        if o not in first and signature[o] == signature[ref]
                    )
                    verdict.alike.setdefault(ref, []).extend(sorted(set(more)))
            if len(verdict.errors) >= self.max_errors:
                verdict.truncated = True
                break
        verdict.allowed = not verdict.errors
        return verdict


def warnings_for(config: FRRConfiguration, obj: dict[str, Any], old: dict[str, Any] | None) -> list[str]:
    """Upstream's two warnings: `disableMP` is deprecated; `enableGracefulRestart` changed on an
    existing neighbor (it takes effect on the next session restart)."""
    notes = warnings(Resources(configurations=[config]))
    if old is None:
        return notes
    previous, _ = parse_configuration(without_secret_refs(old))
    if previous is None:
        return notes
    before = {
        (r.vrf, n.asn, n.address): n.enable_graceful_restart
        for r in previous.spec.bgp.routers
        for n in r.neighbors
    }
    for router in config.spec.bgp.routers:
        for n in router.neighbors:
            was = before.get((router.vrf, n.asn, n.address))
            if was is not None and was != n.enable_graceful_restart:
                notes.append(
                    "Graceful restart configuration changed, it will be available on the next restart"
                )
    return notes
