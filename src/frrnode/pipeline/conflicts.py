"""What a new object can conflict with, and merging it once per kind of node, not once per node.

Validating one object (the webhook's question, `ConfigIndex.check`) means merging it, for every
node it selects, with the other objects selecting that node. At 3,000 nodes that is 3,000
merges of ~3 objects each; two observations make it a handful:

- Most objects cannot make the merge fail: objects only conflict through a shared VRF (its
  ASN, router id), a shared neighbor of that VRF, a BFD profile name or EVPN. `InteractionKeys`
  index every object by those (`interaction_keys`), so `relevant` finds the objects that can.
- Nodes whose relevant objects look alike up to their names merge alike. `Parts` cuts an object
  into what a merge can conflict on (routers without what only adds up, policy-only neighbors,
  BFD profiles), each piece with a content key interned to a small int; a node's *signature*
  is the sorted keys of its relevant objects within the new object's `Scope`. One merge per
  distinct signature decides for every node that has it.

Conflicts that exist without the new object are not blamed on it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from frrnode.errors import ConfigError
from frrnode.model import Advertise, ObjectRef, Receive
from frrnode.pipeline.merge import merge
from frrnode.pipeline.translate import ConfigFragment, NeighborFragment, RouterFragment

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
        if _router_has_evpn(rfrag):
            keys |= {("evpn",), ("evpn-vrf", vrf)}
    keys |= {("bfd", profile.name) for profile, _ in fragment.bfd_profiles}
    return keys


def _router_has_evpn(rfrag: RouterFragment) -> bool:
    neighbors = rfrag.neighbors
    return rfrag.router.evpn is not None or any("evpn" in n.neighbor.address_families for n in neighbors)


def has_evpn(fragment: ConfigFragment) -> bool:
    return any(_router_has_evpn(r) for r in fragment.routers)


class InteractionKeys:
    """An inverted index: interaction key -> the objects that have it."""

    def __init__(self) -> None:
        self.by_key: dict[IndexKey, set[ObjectRef]] = {}

    def add(self, ref: ObjectRef, keys: Iterable[IndexKey]) -> None:
        for key in keys:
            self.by_key.setdefault(key, set()).add(ref)

    def remove(self, ref: ObjectRef, keys: Iterable[IndexKey]) -> None:
        for key in keys:
            refs = self.by_key.get(key)
            if refs is not None:
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
            here = _router_has_evpn(rfrag)
            out |= by.get(("vrf", vrf), empty) if here else by.get(("evpn-vrf", vrf), empty)
            evpn = evpn or here
        if evpn:
            out |= by.get(("evpn",), empty)
        for profile, _ in fragment.bfd_profiles:
            out |= by.get(("bfd", profile.name), empty)
        out.discard(fragment.source)
        return out

    def exact(self, fragment: ConfigFragment) -> bool:
        """True when whole VRFs matter (EVPN on either side, VNIs across VRFs): merge the
        objects as they are, not their `Parts`."""
        return has_evpn(fragment) or any(("evpn-vrf", r.router.vrf) in self.by_key for r in fragment.routers)


@dataclass(frozen=True)
class Scope:
    """What of the other objects a merge with the new one looks at: its VRFs, its neighbors
    (VRF, id) and its BFD profile names."""

    vrfs: frozenset[str]
    neighbors: frozenset[tuple[str, str]]
    bfd: frozenset[str]

    @classmethod
    def of(cls, fragment: ConfigFragment) -> Scope:
        return cls(
            vrfs=frozenset(r.router.vrf for r in fragment.routers),
            neighbors=frozenset((r.router.vrf, n.neighbor.id) for r in fragment.routers for n in r.neighbors),
            bfd=frozenset(p.name for p, _ in fragment.bfd_profiles),
        )


def _policy_only(nfrag: NeighborFragment) -> NeighborFragment:
    """A neighbor without what merges by union (advertised prefixes, communities, receive
    filters): next hops and local preferences are all of its policy that can conflict."""
    adv = nfrag.neighbor.advertise
    kept = Advertise(next_hop_v4=adv.next_hop_v4, next_hop_v6=adv.next_hop_v6, local_prefs=adv.local_prefs)
    return replace(nfrag, neighbor=replace(nfrag.neighbor, advertise=kept, receive=Receive()))


class Parts:
    """An object cut into what a merge can conflict on (routers without neighbors, prefixes
    and imports, which only add up; policy-only neighbors; BFD profiles), each piece with a
    content key that leaves out the object's name: objects of different nodes that declare the
    same neighbor alike have equal keys, and merge alike. `intern` turns each key into a small
    int once, so that comparing thousands of them per check costs nothing. Routers of one VRF
    stay in the object's order (a merge names the first that conflicts)."""

    def __init__(self, fragment: ConfigFragment, intern: Callable[[Hashable], int]):
        self.source = fragment.source
        self.routers: dict[str, list[_RouterPart]] = {}
        for rfrag in fragment.routers:
            router = replace(rfrag.router, prefixes_v4=(), prefixes_v6=(), imports=())
            vnis = tuple(sorted(rfrag.l2vni_paths.items()))
            key = intern((router, rfrag.origin.path, rfrag.evpn_path, vnis))
            pieces: list[tuple[str, NeighborFragment, int]] = []
            for nfrag in rfrag.neighbors:
                kept = _policy_only(nfrag)
                content = (
                    kept.neighbor,
                    kept.origin.path,
                    tuple(sorted(kept.field_paths.items())),
                    tuple(sorted(kept.local_pref_paths.items())),
                )
                pieces.append((nfrag.neighbor.id, kept, intern(content)))
            part = _RouterPart(replace(rfrag, router=router, neighbors=[]), key, pieces)
            self.routers.setdefault(router.vrf, []).append(part)
        self.bfd = {p.name: (p, o) for p, o in fragment.bfd_profiles}
        self.bfd_keys = {p.name: intern((p, o.path)) for p, o in fragment.bfd_profiles}

    def signature(self, scope: Scope) -> Hashable:
        return (
            tuple(
                (vrf, part.key, tuple(k for i, _, k in part.neighbors if (vrf, i) in scope.neighbors))
                for vrf in sorted(scope.vrfs)
                for part in self.routers.get(vrf, ())
            ),
            tuple((name, self.bfd_keys[name]) for name in sorted(scope.bfd) if name in self.bfd),
        )

    def assemble(self, scope: Scope) -> ConfigFragment:
        routers = [
            replace(part.router, neighbors=[n for i, n, _ in part.neighbors if (vrf, i) in scope.neighbors])
            for vrf in sorted(scope.vrfs)
            for part in self.routers.get(vrf, ())
        ]
        profiles = [self.bfd[name] for name in sorted(scope.bfd) if name in self.bfd]
        return ConfigFragment(source=self.source, routers=routers, bfd_profiles=profiles)


@dataclass(frozen=True)
class _RouterPart:
    router: RouterFragment
    """Without neighbors, prefixes and imports."""
    key: int
    neighbors: list[tuple[str, NeighborFragment, int]]
    """(neighbor id, policy-only neighbor, content key), in the object's order."""


@dataclass
class Check:
    """The problems of one new or changed object, as `ConfigIndex.check` found them."""

    errors: list[ConfigError] = field(default_factory=list)
    nodes: int = 0
    """Nodes the object selects."""
    merges: int = 0
    truncated: bool = False
    """Stopped after `max_errors` errors."""
    alike: dict[ObjectRef, list[ObjectRef]] = field(default_factory=dict)
    """Object named in an error -> other objects (on other nodes) that conflict the same way."""


def check_groups(
    fragment: ConfigFragment,
    groups: Iterable[list[ObjectRef]],
    relevant: set[ObjectRef],
    exact: bool,
    fragments: Callable[[ObjectRef], ConfigFragment],
    parts: Callable[[ObjectRef], Parts],
    out: Check,
    max_errors: int,
) -> Check:
    """Merge `fragment` with each group of relevant objects (one group per node, in node
    order), once per group of alike groups; new conflicts go to `out`."""
    scope = Scope.of(fragment)
    signature: Mapping[ObjectRef, Hashable] = {
        r: (r if exact else parts(r).signature(scope)) for r in relevant
    }
    alike: dict[tuple[Hashable, ...], list[list[ObjectRef]]] = {}
    for members in groups:
        alike.setdefault(tuple(sorted((signature[r] for r in members), key=hash)), []).append(members)
    seen: set[str] = set()
    for same in alike.values():
        first = sorted(same[0])
        others = [fragments(r) if exact else parts(r).assemble(scope) for r in first]
        _, found = merge([*others, fragment])
        out.merges += 1
        before = {str(e) for e in merge(others)[1]} if found and others else set()
        new = [e for e in found if str(e) not in before]
        for error in new:
            if str(error) not in seen:
                seen.add(str(error))
                out.errors.append(error)
        if new and len(same) > 1:
            named = {e.obj for e in new} | {getattr(e, "other", None) for e in new}
            for ref in (r for r in first if r in named):
                more = (o for g in same for o in g if o not in first and signature[o] == signature[ref])
                out.alike.setdefault(ref, []).extend(sorted(set(more)))
        if len(out.errors) >= max_errors:
            out.truncated = True
            break
    return out
