"""Merge translated fragments into one node's routers (spec §3).

Configurations can only extend each other: routers are keyed by VRF, neighbors by ID, lists
are unioned. Every incompatibility is a `ConflictError` naming both objects and the field in
each. Inputs are processed in `ObjectRef` order and every merge rule is commutative, so the
result never depends on the order objects were listed in (this includes
`enableGracefulRestart`, where upstream lets the first object win: here `true` wins).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from frrnode.errors import ConfigError, ConflictError
from frrnode.model import (
    EVPN,
    L2VNI,
    L3VNI,
    Advertise,
    BFDProfile,
    CommunityPrefixes,
    LocalPref,
    Neighbor,
    ObjectRef,
    PrefixFamily,
    RawSnippet,
    Receive,
    Router,
)
from frrnode.pipeline.translate import (
    ConfigFragment,
    NeighborFragment,
    Origin,
    RouterFragment,
    sort_selectors,
)

# Compared neighbor fields: model attribute -> upstream's error gist (spec §3.4).
_COMPARED: dict[str, str] = {
    "remote_as": "multiple asns specified for {id}",
    "port": "multiple ports specified for {id}",
    "source_address": "multiple source addresses specified for {id}",
    "password": "multiple passwords specified for {id}",
    "ebgp_multihop": "conflicting ebgp-multihop specified for {id}",
    "family": "conflicting advertiseDualStack specified for {id}",
    "hold_time": "multiple hold times specified for {id}",
    "keepalive_time": "multiple keepalive times specified for {id}",
    "connect_time": "multiple connect times specified for {id}",
    "local_asn": "multiple localASNs specified for {id}",
}
_SECRET_FIELDS = {"password"}


@dataclass
class Merged:
    routers: tuple[Router, ...] = ()
    bfd_profiles: tuple[BFDProfile, ...] = ()
    raw: tuple[RawSnippet, ...] = ()
    sources: tuple[ObjectRef, ...] = ()


def _conflict(message: str, a: Origin, a_field: str, b: Origin, b_field: str) -> ConflictError:
    return ConflictError(
        message,
        obj=a.obj,
        path=f"{a.path}.{a_field}" if a_field else a.path,
        other=b.obj,
        other_path=f"{b.path}.{b_field}" if b_field else b.path,
    )


def _show(attr: str, value: object) -> str:
    if attr in _SECRET_FIELDS:
        return "<hidden>" if value else "<none>"
    return "<unset>" if value is None else str(value)


class _NeighborMerge:
    """Accumulates every fragment of one neighbor ID; remembers where each value came from."""

    def __init__(self, first: NeighborFragment):
        self.n = first.neighbor
        self.first = first
        self.origin: dict[str, tuple[Origin, str]] = {
            attr: (first.origin, first.field_paths.get(attr, "")) for attr in _COMPARED
        }
        self.bfd_origin = (first.origin, "bfdProfile")
        self.lp_origin: dict[tuple[str, PrefixFamily], tuple[int, Origin, str]] = {}
        self.nh_origin: dict[str, tuple[Origin, str]] = {}
        self._note_policy(first)

    def _note_policy(self, frag: NeighborFragment) -> None:
        adv = frag.neighbor.advertise
        for lp in adv.local_prefs:
            for prefix in lp.prefixes:
                self.lp_origin.setdefault(
                    (prefix, lp.family),
                    (
                        lp.value,
                        frag.origin,
                        f"{frag.local_pref_paths.get(lp.value, 'toAdvertise')}.localPref",
                    ),
                )
        if adv.next_hop_v4:
            self.nh_origin.setdefault("ipv4", (frag.origin, "toAdvertise.nextHop.ipv4"))
        if adv.next_hop_v6:
            self.nh_origin.setdefault("ipv6", (frag.origin, "toAdvertise.nextHop.ipv6"))

    def absorb(self, frag: NeighborFragment, vrf: str) -> list[ConfigError]:
        errors: list[ConfigError] = []
        other = frag.neighbor
        nid = self.n.id
        for attr, gist in _COMPARED.items():
            mine, theirs = getattr(self.n, attr), getattr(other, attr)
            if mine != theirs:
                origin, sub = self.origin[attr]
                errors.append(
                    _conflict(
                        f"{gist.format(id=nid)} ({_show(attr, mine)} != {_show(attr, theirs)})",
                        origin,
                        sub,
                        frag.origin,
                        frag.field_paths.get(attr, ""),
                    )
                )
        bfd = self.n.bfd_profile
        if bfd and other.bfd_profile and bfd != other.bfd_profile:
            origin, sub = self.bfd_origin
            errors.append(
                _conflict(
                    f"multiple bfd profiles specified for {nid} ({bfd} != {other.bfd_profile})",
                    origin,
                    sub,
                    frag.origin,
                    "bfdProfile",
                )
            )
        elif not bfd and other.bfd_profile:
            self.bfd_origin = (frag.origin, "bfdProfile")

        mine_adv, their_adv = self.n.advertise, other.advertise
        for fam, a, b in (
            ("ipv4", mine_adv.next_hop_v4, their_adv.next_hop_v4),
            ("ipv6", mine_adv.next_hop_v6, their_adv.next_hop_v6),
        ):
            if a and b and a != b:  # R39
                origin, sub = self.nh_origin[fam]
                errors.append(
                    _conflict(
                        f"could not merge outgoing for neighbor {nid} vrf {vrf}, err: {fam} next hop: "
                        f"multiple next hops ({a} != {b}) specified",
                        origin,
                        sub,
                        frag.origin,
                        f"toAdvertise.nextHop.{fam}",
                    )
                )
        for lp in their_adv.local_prefs:  # R38
            for prefix in lp.prefixes:
                seen = self.lp_origin.get((prefix, lp.family))
                if seen is not None and seen[0] != lp.value:
                    errors.append(
                        _conflict(
                            f"could not merge outgoing for neighbor {nid} vrf {vrf}, err: multiple local "
                            f"prefs ({seen[0]} != {lp.value}) specified for prefix {prefix}",
                            seen[1],
                            seen[2],
                            frag.origin,
                            f"{frag.local_pref_paths.get(lp.value, 'toAdvertise')}.localPref",
                        )
                    )
        if errors:
            return errors
        self._note_policy(frag)
        self.n = replace(
            self.n,
            bfd_profile=bfd or other.bfd_profile,
            graceful_restart=self.n.graceful_restart or other.graceful_restart,
            address_families=tuple(sorted(set(self.n.address_families) | set(other.address_families))),
            advertise=_merge_advertise(mine_adv, their_adv),
            receive=_merge_receive(self.n.receive, other.receive),
        )
        return []

    def result(self) -> Neighbor:
        n = self.n
        # Quirk 6 kept for compatibility: defaults were erased per field, and `timers` needs
        # both values, so a lone remaining hold or keepalive time is dropped (docs/compatibility.md).
        if (n.hold_time is None) != (n.keepalive_time is None):
            n = replace(n, hold_time=None, keepalive_time=None)
        return n


def _merge_advertise(a: Advertise, b: Advertise) -> Advertise:
    lps: dict[tuple[int, PrefixFamily], set[str]] = {}
    for lp in (*a.local_prefs, *b.local_prefs):
        lps.setdefault((lp.value, lp.family), set()).update(lp.prefixes)
    comms: dict[tuple[str, PrefixFamily], tuple[CommunityPrefixes, set[str]]] = {}
    for c in (*a.communities, *b.communities):
        key = (c.community.name, c.family)
        comms.setdefault(key, (c, set()))[1].update(c.prefixes)
    return Advertise(
        prefixes_v4=tuple(sorted(set(a.prefixes_v4) | set(b.prefixes_v4))),
        prefixes_v6=tuple(sorted(set(a.prefixes_v6) | set(b.prefixes_v6))),
        next_hop_v4=a.next_hop_v4 or b.next_hop_v4,
        next_hop_v6=a.next_hop_v6 or b.next_hop_v6,
        local_prefs=tuple(LocalPref(v, f, tuple(sorted(p))) for (v, f), p in sorted(lps.items())),
        communities=tuple(
            CommunityPrefixes(c.community, c.family, tuple(sorted(p))) for _, (c, p) in sorted(comms.items())
        ),
    )


def _merge_receive(a: Receive, b: Receive) -> Receive:
    if a.all or b.all:
        return Receive(all=True)
    return Receive(
        selectors_v4=sort_selectors([*a.selectors_v4, *b.selectors_v4]),
        selectors_v6=sort_selectors([*a.selectors_v6, *b.selectors_v6]),
    )


@dataclass
class _RouterMerge:
    first: RouterFragment
    router: Router
    id_origin: Origin | None
    neighbors: dict[str, _NeighborMerge] = field(default_factory=dict)
    evpn_origin: Origin | None = None
    """Where the EVPN section (and its l3vni) was first declared."""
    vni_origin: dict[int, Origin] = field(default_factory=dict)
    """Where each L2VNI was first declared."""

    def note_evpn(self, frag: RouterFragment) -> None:
        if frag.router.evpn is None:
            return
        if self.evpn_origin is None:
            self.evpn_origin = Origin(frag.origin.obj, frag.evpn_path)
        for vni, path in frag.l2vni_paths.items():
            self.vni_origin.setdefault(vni, Origin(frag.origin.obj, path))

    def _evpn_conflict(self, frag: RouterFragment, msg: str, vni: int | None, sub: str) -> ConflictError:
        assert self.evpn_origin is not None
        if vni is None:
            mine, theirs = self.evpn_origin, Origin(frag.origin.obj, frag.evpn_path)
        else:
            mine, theirs = self.vni_origin[vni], Origin(frag.origin.obj, frag.l2vni_paths[vni])
        return _conflict(msg, mine, sub, theirs, sub)

    def absorb_router(self, frag: RouterFragment) -> list[ConfigError]:
        r, o = self.router, frag.router
        errors: list[ConfigError] = []
        if r.asn != o.asn:  # R35
            errors.append(
                _conflict(
                    f"different asns ({r.asn} != {o.asn}) specified for same vrf: {r.vrf}",
                    self.first.origin,
                    "asn",
                    frag.origin,
                    "asn",
                )
            )
        if r.router_id and o.router_id and r.router_id != o.router_id:  # R36
            assert self.id_origin is not None
            errors.append(
                _conflict(
                    f"different router ids ({r.router_id} != {o.router_id}) specified for same vrf: {r.vrf}",
                    self.id_origin,
                    "id",
                    frag.origin,
                    "id",
                )
            )
        evpn = r.evpn
        if o.evpn is not None:
            if evpn is None:
                evpn = o.evpn
            else:
                evpn, problems = _merge_evpn(evpn, o.evpn, r.vrf)
                errors += [self._evpn_conflict(frag, msg, vni, sub) for msg, vni, sub in problems]
        if errors:
            return errors
        self.note_evpn(frag)
        if not r.router_id and o.router_id:
            self.id_origin = frag.origin
        self.router = replace(
            r,
            router_id=r.router_id or o.router_id,
            prefixes_v4=tuple(sorted(set(r.prefixes_v4) | set(o.prefixes_v4))),
            prefixes_v6=tuple(sorted(set(r.prefixes_v6) | set(o.prefixes_v6))),
            imports=tuple(sorted(set(r.imports) | set(o.imports))),
            evpn=evpn,
        )
        return []

    def absorb_neighbors(self, frag: RouterFragment) -> list[ConfigError]:
        errors: list[ConfigError] = []
        for nfrag in frag.neighbors:
            acc = self.neighbors.get(nfrag.neighbor.id)
            if acc is None:
                self.neighbors[nfrag.neighbor.id] = _NeighborMerge(nfrag)
            else:
                errors += acc.absorb(nfrag, self.router.vrf)
        return errors

    def result(self) -> Router:
        return replace(
            self.router,
            neighbors=tuple(self.neighbors[k].result() for k in sorted(self.neighbors)),
        )


def _vni_props(
    a: L2VNI | L3VNI, b: L2VNI | L3VNI, what: str
) -> tuple[str, tuple[str, ...], tuple[str, ...], list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    if a.rd and b.rd and a.rd != b.rd:
        problems.append((f"{what}, err: different RD values ({a.rd} != {b.rd})", "rd"))
    rts: list[tuple[str, ...]] = []
    for attr, name in (("import_rts", "importRTs"), ("export_rts", "exportRTs")):
        x, y = getattr(a, attr), getattr(b, attr)
        if bool(x) != bool(y):
            problems.append(
                (f"{what}, err: conflicting {name}: mixing implicit and explicit route targets", name)
            )
        rts.append(tuple(sorted(set(x) | set(y))))
    return a.rd or b.rd, rts[0], rts[1], problems


def _merge_evpn(a: EVPN, b: EVPN, vrf: str) -> tuple[EVPN, list[tuple[str, int | None, str]]]:
    """Merge two EVPN sections (spec §3.8).

    Problems are (message, L2VNI number or None, path under that L2VNI entry or under `evpn`)."""
    head = f'could not merge EVPN configuration for vrf "{vrf}"'
    problems: list[tuple[str, int | None, str]] = []
    if (a.advertise_vnis or "Disabled") != (b.advertise_vnis or "Disabled"):
        problems.append(
            (
                f"{head}, err: different advertiseVNIs ({a.advertise_vnis} != {b.advertise_vnis})",
                None,
                "advertiseVNIs",
            )
        )
    if a.advertise_svi != b.advertise_svi:
        problems.append(
            (
                f"{head}, err: different advertiseSVI ({a.advertise_svi} != {b.advertise_svi})",
                None,
                "advertiseSVI",
            )
        )
    l2: dict[int, L2VNI] = {v.vni: v for v in a.l2vnis}
    for v in b.l2vnis:
        if v.vni not in l2:
            l2[v.vni] = v
            continue
        rd, imp, exp, vprob = _vni_props(l2[v.vni], v, f"{head}, err: could not merge l2vni {v.vni}")
        problems += [(m, v.vni, p) for m, p in vprob]
        l2[v.vni] = L2VNI(v.vni, rd, imp, exp)
    l3 = a.l3vni or b.l3vni
    if a.l3vni is not None and b.l3vni is not None:
        if a.l3vni.vni != b.l3vni.vni:
            problems.append(
                (f"{head}, err: different l3vni numbers ({a.l3vni.vni} != {b.l3vni.vni})", None, "l3vni.vni")
            )
        else:
            rd, imp, exp, vprob = _vni_props(a.l3vni, b.l3vni, f"{head}, err: could not merge l3vni")
            problems += [(m, None, f"l3vni.{p}") for m, p in vprob]
            adv = tuple(sorted(set(a.l3vni.advertise_prefixes) | set(b.l3vni.advertise_prefixes)))
            l3 = L3VNI(a.l3vni.vni, rd, imp, exp, adv)
    merged = EVPN(
        advertise_vnis=a.advertise_vnis or b.advertise_vnis,
        advertise_svi=a.advertise_svi,
        l2vnis=tuple(l2[k] for k in sorted(l2)),
        l3vni=l3,
    )
    return merged, problems


def _evpn_checks(routers: dict[str, _RouterMerge]) -> list[ConfigError]:
    errors: list[ConfigError] = []
    vnis: dict[int, tuple[str, str, Origin]] = {}
    for vrf in sorted(routers):
        acc = routers[vrf]
        evpn = acc.router.evpn
        if evpn is None:
            continue
        origin = acc.evpn_origin or Origin(acc.first.origin.obj, acc.first.evpn_path)
        neighbors = [n.n for n in acc.neighbors.values()]
        needs = evpn.advertise_vnis == "All" or evpn.advertise_svi or evpn.l2vnis
        if needs and not any(n.evpn for n in neighbors):  # R40
            errors.append(
                ConfigError(
                    f'invalid EVPN configuration for vrf "{vrf}": advertiseVNIs=All, advertiseSVI and l2vnis '
                    "require at least one neighbor with evpn address family",
                    obj=origin.obj,
                    path=origin.path,
                )
            )
        if evpn.l3vni is not None and neighbors:  # R41
            errors.append(
                ConfigError(
                    f'invalid EVPN configuration for vrf "{vrf}": l3vni can only be configured on routers '
                    "with no neighbors",
                    obj=origin.obj,
                    path=f"{origin.path}.l3vni",
                )
            )
        entries = [(v.vni, "l2vni", acc.vni_origin[v.vni]) for v in evpn.l2vnis]
        if evpn.l3vni is not None:
            entries.append((evpn.l3vni.vni, "l3vni", Origin(origin.obj, f"{origin.path}.l3vni")))
        for vni, kind, where in entries:  # R42
            if vni in vnis:
                other_kind, other_vrf, other_origin = vnis[vni]
                errors.append(
                    _conflict(
                        f'duplicate VNI {vni}: configured as {other_kind} in vrf "{other_vrf}" and as {kind} '
                        f'in vrf "{vrf}"',
                        other_origin,
                        "vni",
                        where,
                        "vni",
                    )
                )
            else:
                vnis[vni] = (kind, vrf, where)
    return errors


def merge(fragments: Iterable[ConfigFragment]) -> tuple[Merged, list[ConfigError]]:
    """Merge every fragment of one node. Returns the result and every conflict found."""
    frags = sorted(fragments, key=lambda f: f.source)
    errors: list[ConfigError] = []
    routers: dict[str, _RouterMerge] = {}
    profiles: dict[str, tuple[BFDProfile, Origin]] = {}
    for frag in frags:
        for profile, origin in frag.bfd_profiles:
            seen = profiles.get(profile.name)
            if seen is None:
                profiles[profile.name] = (profile, origin)
            elif seen[0] != profile:  # R34
                errors.append(
                    _conflict(
                        f"duplicate bfd profile name {profile.name} with different values for config "
                        f"{origin.obj.name}",
                        seen[1],
                        "",
                        origin,
                        "",
                    )
                )
        for rfrag in frag.routers:
            acc = routers.get(rfrag.router.vrf)
            if acc is None:
                acc = _RouterMerge(rfrag, rfrag.router, rfrag.origin if rfrag.router.router_id else None)
                acc.note_evpn(rfrag)
                routers[rfrag.router.vrf] = acc
            else:
                problems = acc.absorb_router(rfrag)
                if problems:
                    errors += problems
                    continue
            errors += acc.absorb_neighbors(rfrag)
    errors += _evpn_checks(routers)
    raw = sorted(
        (f.raw for f in frags if f.raw is not None),
        key=lambda r: (r.priority, r.source.name, r.source.namespace),
    )
    merged = Merged(
        routers=tuple(routers[v].result() for v in sorted(routers)),
        bfd_profiles=tuple(profiles[k][0] for k in sorted(profiles)),
        raw=tuple(raw),
        sources=tuple(f.source for f in frags),
    )
    return merged, errors
