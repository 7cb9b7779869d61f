"""One FRRConfiguration -> router fragments, enforcing rules R1-R43 of spec §2.3 (and our gap checks).

Each fragment carries where it came from (object and JSON path) so that the merge can name
both sides of a conflict. Everything is resolved here (families, `mode: all`, secrets,
defaults), so merging and rendering decide nothing about a single object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from frrnode.api import v1beta1 as api
from frrnode.api.core import BASIC_AUTH, Secret
from frrnode.api.v1beta1 import whole_seconds
from frrnode.errors import ConfigError
from frrnode.model import (
    EVPN,
    L2VNI,
    L3VNI,
    Advertise,
    BFDProfile,
    CommunityPrefixes,
    Family,
    LocalPref,
    Neighbor,
    ObjectRef,
    PrefixFamily,
    RawSnippet,
    Receive,
    Router,
    Selector,
)
from frrnode.pipeline.values import (
    bfd_profile_name_problem,
    cidr_family,
    interface_name_problem,
    ip_family,
    parse_cidr,
    parse_community,
    parse_ip,
    password_problem,
)

# Defaults erased after every neighbor merge, as upstream's cleanNeighborDefaults (spec §3.4).
DEFAULT_PORT = 179
DEFAULT_HOLD = 180
DEFAULT_KEEPALIVE = 60
DEFAULT_CONNECT = 60
MAX_TIMER = 65535  # FRR's upper bound for hold/keepalive/connect timers


@dataclass(frozen=True)
class Origin:
    obj: ObjectRef
    path: str


@dataclass
class NeighborFragment:
    """One neighbor entry of one object, translated, with the API path of each compared field."""

    neighbor: Neighbor
    origin: Origin
    field_paths: dict[str, str] = field(default_factory=dict)
    """Model attribute -> API path relative to the neighbor (`asn` or `dynamicASN`, ...)."""
    local_pref_paths: dict[int, str] = field(default_factory=dict)


@dataclass
class RouterFragment:
    router: Router
    """Without neighbors; they are in `neighbors`."""
    origin: Origin
    neighbors: list[NeighborFragment] = field(default_factory=list)
    evpn_path: str = ""
    l2vni_paths: dict[int, str] = field(default_factory=dict)
    """VNI -> `spec.bgp.routers[i].evpn.l2vnis[k]`, so that EVPN conflicts name the entry."""


@dataclass
class ConfigFragment:
    source: ObjectRef
    routers: list[RouterFragment] = field(default_factory=list)
    bfd_profiles: list[tuple[BFDProfile, Origin]] = field(default_factory=list)
    raw: RawSnippet | None = None


def ref_of(config: api.FRRConfiguration) -> ObjectRef:
    return ObjectRef("FRRConfiguration", config.metadata.namespace, config.metadata.name)


def secret_names(config: api.FRRConfiguration) -> frozenset[str]:
    """Names of the Secrets the object's neighbors take passwords from (its translation depends
    on them, and on nothing else outside the object)."""
    return frozenset(
        n.password_secret.name for r in config.spec.bgp.routers for n in r.neighbors if n.password_secret.name
    )


def _sorted_unique(values: list[str] | set[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def _families(family: Family) -> tuple[PrefixFamily, ...]:
    if family == "dual":
        return ("ipv4", "ipv6")
    return (family,)


class _Ctx:
    """Error collection for one object."""

    def __init__(self, obj: ObjectRef):
        self.obj = obj
        self.errors: list[ConfigError] = []

    def error(self, path: str, message: str, transient: bool = False) -> None:
        self.errors.append(ConfigError(message, obj=self.obj, path=path, transient=transient))


def _translate_bfd(profile: api.BFDProfile) -> BFDProfile:
    return BFDProfile(
        name=profile.name,
        receive_interval=profile.receive_interval,
        transmit_interval=profile.transmit_interval,
        detect_multiplier=profile.detect_multiplier,
        echo_interval=profile.echo_interval,
        echo_mode=profile.echo_mode,
        passive_mode=profile.passive_mode,
        minimum_ttl=profile.minimum_ttl,
    )


def _translate_evpn(ctx: _Ctx, evpn: api.EVPNConfig, path: str) -> EVPN:
    l3 = None
    if evpn.l3vni is not None:
        l3 = L3VNI(
            vni=evpn.l3vni.vni,
            rd=evpn.l3vni.rd,
            import_rts=_sorted_unique(evpn.l3vni.import_rts),
            export_rts=_sorted_unique(evpn.l3vni.export_rts),
            advertise_prefixes=_sorted_unique(list(evpn.l3vni.advertise_prefixes)),
        )
    l2: dict[int, L2VNI] = {}
    for index, vni in enumerate(evpn.l2vnis):
        if vni.vni in l2:  # one VNI, one entry: two would render two `vni N` stanzas
            ctx.error(f"{path}.l2vnis[{index}].vni", f"duplicate VNI {vni.vni} in l2vnis")
            continue
        item = L2VNI(
            vni=vni.vni,
            rd=vni.rd,
            import_rts=_sorted_unique(vni.import_rts),
            export_rts=_sorted_unique(vni.export_rts),
        )
        l2[vni.vni] = item
    return EVPN(
        advertise_vnis=evpn.advertise_vnis,
        advertise_svi=evpn.advertise_svi,
        l2vnis=tuple(l2[k] for k in sorted(l2)),
        l3vni=l3,
    )


def translate_configuration(
    config: api.FRRConfiguration,
    secrets: Mapping[str, Secret],
    namespace: str,
) -> tuple[ConfigFragment, list[ConfigError]]:
    """Translate one object. `secrets` are the agent namespace's Secrets by name (spec §4.7).

    Returns the fragment and every rule violation found (the fragment is only meaningful when
    there are none).
    """
    obj = ref_of(config)
    ctx = _Ctx(obj)
    frag = ConfigFragment(source=obj)
    spec = config.spec
    if spec.raw.raw_config:
        frag.raw = RawSnippet(priority=spec.raw.priority, text=spec.raw.raw_config, source=obj)

    profiles: dict[str, api.BFDProfile] = {}
    for index, profile in enumerate(spec.bgp.bfd_profiles):
        path = f"spec.bgp.bfdProfiles[{index}]"
        problem = bfd_profile_name_problem(profile.name)
        if problem:
            ctx.error(f"{path}.name", f"invalid bfd profile name {profile.name!r}: {problem}")
            continue
        if profile.name in profiles:  # R33
            ctx.error(f"{path}.name", f"duplicate bfd profile name {profile.name} in config {obj.name}")
            continue
        profiles[profile.name] = profile
        frag.bfd_profiles.append((_translate_bfd(profile), Origin(obj, path)))

    # Router prefixes of every router of this object, by VRF, for import resolution (§4.10).
    own_prefixes: dict[str, list[str]] = {}
    for rindex, router in enumerate(spec.bgp.routers):
        rpath = f"spec.bgp.routers[{rindex}]"
        valid: list[str] = []
        for pindex, prefix in enumerate(router.prefixes):
            try:
                parse_cidr(prefix)
            except ValueError:  # R1
                ctx.error(f"{rpath}.prefixes[{pindex}]", f"unknown ipfamily for {prefix}")
                continue
            valid.append(prefix)
        own_prefixes.setdefault(router.vrf, []).extend(valid)

    for rindex, router in enumerate(spec.bgp.routers):
        rfrag = _translate_router(ctx, router, f"spec.bgp.routers[{rindex}]", own_prefixes, profiles, secrets)
        if rfrag is not None:
            frag.routers.append(rfrag)
    return frag, ctx.errors


def _translate_router(
    ctx: _Ctx,
    router: api.Router,
    rpath: str,
    own_prefixes: Mapping[str, list[str]],
    profiles: Mapping[str, api.BFDProfile],
    secrets: Mapping[str, Secret],
) -> RouterFragment | None:
    before = len(ctx.errors)
    if router.asn == 0:
        ctx.error(f"{rpath}.asn", "router ASN must be between 1 and 4294967295")
    if router.id:
        try:
            if ip_family(router.id) != "ipv4" or ":" in router.id:
                raise ValueError
        except ValueError:
            ctx.error(f"{rpath}.id", f"router id {router.id!r} must be an IPv4 address")
    if router.vrf:
        problem = interface_name_problem(router.vrf)
        if problem:
            ctx.error(f"{rpath}.vrf", f"invalid vrf name {router.vrf!r}: {problem}")

    prefixes = [p for p in router.prefixes if _parses(p)]
    v4 = [p for p in prefixes if cidr_family(p) == "ipv4"]
    v6 = [p for p in prefixes if cidr_family(p) == "ipv6"]

    # Advertisable prefixes: own + imported VRFs' of this same object (R2, R3, §4.10).
    advertisable = list(prefixes)
    imports: list[str] = []
    for index, imp in enumerate(router.imports):
        path = f"{rpath}.imports[{index}].vrf"
        name = imp.vrf
        if name != "default":
            problem = interface_name_problem(name)
            if problem:
                ctx.error(path, f"invalid vrf name {name!r}: {problem}")
                continue
            if name not in own_prefixes:  # R2
                ctx.error(path, f"router {router.asn}-{router.vrf} imports vrf {name} which is not defined")
                continue
            advertisable += own_prefixes[name]
        else:
            if "" not in own_prefixes:  # R3
                ctx.error(
                    path,
                    "vrf  not found in prefixes in router (importing default needs a default-VRF "
                    "router in the same FRRConfiguration)",
                )
                continue
            advertisable += own_prefixes[""]
        imports.append(name)

    rfrag = RouterFragment(
        router=Router(
            asn=router.asn,
            vrf=router.vrf,
            router_id=router.id or None,
            prefixes_v4=_sorted_unique(v4),
            prefixes_v6=_sorted_unique(v6),
            imports=_sorted_unique(imports),
            evpn=_translate_evpn(ctx, router.evpn, f"{rpath}.evpn") if router.evpn is not None else None,
        ),
        origin=Origin(ctx.obj, rpath),
        evpn_path=f"{rpath}.evpn",
        l2vni_paths={
            v.vni: f"{rpath}.evpn.l2vnis[{k}]" for k, v in reversed(list(enumerate(router.evpn.l2vnis)))
        }
        if router.evpn is not None
        else {},
    )
    for nindex, neighbor in enumerate(router.neighbors):
        nfrag = _translate_neighbor(
            ctx, router, neighbor, f"{rpath}.neighbors[{nindex}]", advertisable, profiles, secrets
        )
        if nfrag is not None:
            rfrag.neighbors.append(nfrag)
    return rfrag if len(ctx.errors) == before else None


def _parses(prefix: str) -> bool:
    try:
        parse_cidr(prefix)
    except ValueError:
        return False
    return True


def display_name(neighbor: api.Neighbor) -> str:
    asn = neighbor.dynamic_asn if neighbor.dynamic_asn and not neighbor.asn else str(neighbor.asn)
    return f"{asn}@{neighbor.address or neighbor.interface}"


def _translate_neighbor(
    ctx: _Ctx,
    router: api.Router,
    n: api.Neighbor,
    npath: str,
    advertisable: list[str],
    profiles: Mapping[str, api.BFDProfile],
    secrets: Mapping[str, Secret],
) -> NeighborFragment | None:
    before = len(ctx.errors)
    name = display_name(n)

    def err(sub: str, message: str, transient: bool = False) -> None:
        ctx.error(f"{npath}.{sub}" if sub else npath, message, transient)

    fields: dict[str, str] = {}

    # R11: exactly one of address / interface.
    family: Family = "ipv4"
    if not n.address and not n.interface:
        err("", f"neighbor with ASN {n.asn or n.dynamic_asn} has no address and no interface")
    elif n.address and n.interface:
        err("interface", f"neighbor {name} has both Address and Interface specified")
    elif n.address:
        try:  # R4
            family = ip_family(n.address)
        except ValueError:
            hint = ""
            if "%" in n.address:  # fe80::1%eth0: a link-local peer is reached through its interface
                zone = n.address.partition("%")[2]
                hint = f" (a zone id is not allowed: for a link-local peer use `interface: {zone}`)"
            err(
                "address",
                f"failed to find ipfamily for neighbor {name}, err: failed to find ipfamily "
                f"for {n.address}: not an IP address{hint}",
            )
    else:
        problem = interface_name_problem(n.interface)
        if problem:
            err("interface", f"invalid interface name {n.interface!r} for neighbor {name}: {problem}")
    if n.interface or n.dual_stack_address_family:
        family = "dual"
    peer_errors = len(ctx.errors)
    fields["family"] = "interface" if n.interface else "dualStackAddressFamily"

    # R13/R14: exactly one of asn / dynamicASN.
    remote_as = ""
    if n.asn == 0 and n.dynamic_asn is None:
        err("asn", f"neighbor {name} has no ASN or DynamicASN specified")
    elif n.asn != 0 and n.dynamic_asn is not None:
        err("dynamicASN", f"neighbor {name} has both ASN and DynamicASN specified")
    else:
        remote_as = n.dynamic_asn or str(n.asn)
    fields["remote_as"] = "dynamicASN" if n.dynamic_asn else "asn"

    # R10: localASN is not for (numeric) iBGP.
    if n.local_asn and n.asn and n.asn == router.asn:
        err(
            "localASN",
            f"neighbor {name}: localASN is not supported for iBGP sessions "
            f"(neighbor ASN {n.asn} equals router ASN)",
        )
    fields["local_asn"] = "localASN"

    if n.port == 0:
        err("port", "port must be between 1 and 16384")
    fields["port"] = "port"

    if n.source_address:
        try:
            parse_ip(n.source_address)
        except ValueError:
            problem = interface_name_problem(n.source_address)
            if problem:
                err(
                    "sourceaddress",
                    f"source address {n.source_address!r} must be an IP address or an "
                    f"interface name ({problem})",
                )
    fields["source_address"] = "sourceaddress"

    # R12
    if n.bfd_profile and n.bfd_profile not in profiles:
        err("bfdProfile", f"neighbor {name} referencing non existing BFDProfile {n.bfd_profile}")
    fields["bfd_profile"] = "bfdProfile"
    fields["ebgp_multihop"] = "ebgpMultiHop"

    # R15-R17 + FRR's range.
    hold = keepalive = connect = None
    if (n.hold_time is None) != (n.keepalive_time is None):
        err(
            "holdTime" if n.hold_time is None else "keepaliveTime",
            f"invalid timers for neighbor {name}, err: one of KeepaliveTime/HoldTime specified, "
            "both must be set or none",
        )
    elif n.hold_time is not None and n.keepalive_time is not None:
        hold, keepalive = whole_seconds(n.hold_time), whole_seconds(n.keepalive_time)
        if hold != 0 and hold < 3:
            err("holdTime", f"invalid hold time {hold}s: must be 0 or >=3s")
        elif hold > MAX_TIMER:
            err("holdTime", f"invalid hold time {hold}s: must be at most {MAX_TIMER}s")
        if n.keepalive_time > n.hold_time:
            err("keepaliveTime", f"invalid keepaliveTime {keepalive}s, must be lower than holdTime {hold}s")
    if n.connect_time is not None:
        connect = whole_seconds(n.connect_time)
    fields["hold_time"] = "holdTime"
    fields["keepalive_time"] = "keepaliveTime"
    fields["connect_time"] = "connectTime"

    # R18-R21: password, cleartext or from a Secret of the agent's namespace.
    password: str | None = None
    fields["password"] = "passwordSecret" if n.password_secret.name else "password"
    if n.password and n.password_secret.name:
        err("passwordSecret", f"neighbor {name} specifies both cleartext password and secret ref")
    elif n.password:
        problem = password_problem(n.password)
        if problem:
            err("password", f"invalid password for neighbor {name}: {problem}")
        password = n.password
    elif n.password_secret.name:
        password = _secret_password(err, name, n.password_secret.name, secrets)

    families = _families(family)
    if peer_errors > before:
        return None  # address/family unknown: the policy checks below would only add noise

    advertise = _advertise(err, name, router.vrf, n, families, advertisable)
    receive = _receive(err, n)
    if len(ctx.errors) > before or advertise is None or receive is None:
        return None
    adv, lp_paths = advertise

    peer = n.interface or n.address
    ebgp = n.dynamic_asn == "external" or (n.dynamic_asn is None and n.asn != router.asn)
    neighbor = Neighbor(
        id=peer + (f"-{router.vrf}" if router.vrf else ""),
        peer=peer,
        family=family,
        remote_as=remote_as,
        display_name=name,
        address=n.address or None,
        interface=n.interface or None,
        port=None if n.port in (None, DEFAULT_PORT) else n.port,
        source_address=n.source_address or None,
        password=password,
        hold_time=None if hold == DEFAULT_HOLD else hold,
        keepalive_time=None if keepalive == DEFAULT_KEEPALIVE else keepalive,
        connect_time=None if connect == DEFAULT_CONNECT else connect,
        ebgp_multihop=n.ebgp_multihop,
        bfd_profile=n.bfd_profile or None,
        graceful_restart=n.enable_graceful_restart,
        local_asn=n.local_asn,
        disable_connected_check=family == "ipv6" and not n.ebgp_multihop and ebgp,
        address_families=_sorted_unique(list(n.address_families)),
        advertise=adv,
        receive=receive,
    )
    return NeighborFragment(neighbor, Origin(ctx.obj, npath), fields, lp_paths)


def _secret_password(err: _ErrFn, name: str, secret_name: str, secrets: Mapping[str, Secret]) -> str | None:
    secret = secrets.get(secret_name)
    if secret is None:  # R19
        err("passwordSecret.name", f"secret {secret_name} not found for neighbor {name}", True)
        return None
    ident = f'"{secret.metadata.namespace}"/"{secret.metadata.name}"'
    if secret.type != BASIC_AUTH:  # R20
        err("passwordSecret.name", f'secret type mismatch on {ident}, type "{BASIC_AUTH}" is expected')
        return None
    value = secret.get("password")
    if value is None:  # R21
        err("passwordSecret.name", f"password field not specified in the secret {ident}")
        return None
    try:
        password = value.decode()
    except UnicodeDecodeError:
        password = "\x00"  # reported below as not printable
    problem = password_problem(password)
    if problem:
        err("passwordSecret.name", f"invalid password in the secret {ident} for neighbor {name}: {problem}")
        return None
    return password


class _ErrFn(Protocol):
    def __call__(self, sub: str, message: str, transient: bool = False) -> None: ...


def _family_problem(prefix: str, families: tuple[PrefixFamily, ...]) -> str | None:
    try:
        fam = cidr_family(prefix)
    except ValueError:
        return f"unknown ipfamily for {prefix}"
    if fam not in families:
        return f"prefix {prefix} is not compatible with the ipfamily {'/'.join(families)}"
    return None


def _advertise(
    err: _ErrFn,
    name: str,
    vrf: str,
    n: api.Neighbor,
    families: tuple[PrefixFamily, ...],
    advertisable: list[str],
) -> tuple[Advertise, dict[int, str]] | None:
    adv = n.to_advertise
    base = "toAdvertise"
    ok = True
    by_family: dict[PrefixFamily, set[str]] = {"ipv4": set(), "ipv6": set()}

    if adv.allowed.mode == "all":
        for prefix in advertisable:
            fam = cidr_family(prefix)
            if fam in families:
                by_family[fam].add(prefix)
    else:
        for index, prefix in enumerate(adv.allowed.prefixes):
            path = f"{base}.allowed.prefixes[{index}]"
            problem = _family_problem(prefix, families)
            if problem:  # R8
                err(
                    path,
                    f"invalid allowed prefixes {adv.allowed.prefixes} for neighbor {name}, err: {problem}",
                )
                ok = False
            elif prefix not in advertisable:  # R9
                err(path, f"trying to advertise non configured prefix {prefix} to neighbor {name}, vrf {vrf}")
                ok = False
            else:
                by_family[cidr_family(prefix)].add(prefix)

    # R22 / R23
    nh4 = adv.next_hop.ipv4 or None
    nh6 = adv.next_hop.ipv6 or None
    if nh4 is not None:
        try:
            if ip_family(nh4) != "ipv4" or ":" in nh4:
                raise ValueError
            if "ipv4" not in families:
                err(
                    f"{base}.nextHop.ipv4",
                    f"ipv4 next hop {nh4} set for neighbor {name} without an ipv4 address family",
                )
                ok = False
        except ValueError:
            err(f"{base}.nextHop.ipv4", f"invalid ipv4 next hop {nh4} for neighbor {name}")
            ok = False
    if nh6 is not None:
        try:
            if ip_family(nh6) != "ipv6":
                raise ValueError
            if "ipv6" not in families:
                err(
                    f"{base}.nextHop.ipv6",
                    f"ipv6 next hop {nh6} set for neighbor {name} without an ipv6 address family",
                )
                ok = False
        except ValueError:
            err(f"{base}.nextHop.ipv6", f"invalid ipv6 next hop {nh6} for neighbor {name}")
            ok = False

    # R5, R6, R24, R25, R26: local preferences.
    local_prefs: list[LocalPref] = []
    lp_paths: dict[int, str] = {}
    seen_lp: set[tuple[int, PrefixFamily]] = set()
    prefix_lp: dict[str, int] = {}
    for index, entry in enumerate(adv.with_local_pref):
        path = f"{base}.withLocalPref[{index}]"
        lp = entry.local_pref
        lp_paths.setdefault(lp, path)
        split: dict[PrefixFamily, list[str]] = {"ipv4": [], "ipv6": []}
        seen_in_entry: set[str] = set()
        for pindex, prefix in enumerate(entry.prefixes):
            ppath = f"{path}.prefixes[{pindex}]"
            problem = _family_problem(prefix, families)
            if problem:
                err(
                    ppath,
                    f"invalid prefixes {entry.prefixes} for localpref {lp} for neighbor {name}, "
                    f"err: {problem}",
                )
                ok = False
                continue
            if prefix in seen_in_entry:  # R26
                err(ppath, f"prefix {prefix} is already defined for local preference {lp}")
                ok = False
                continue
            seen_in_entry.add(prefix)
            if prefix in prefix_lp and prefix_lp[prefix] != lp:  # R6
                err(
                    ppath,
                    f"prefix {prefix} is configured with both local preference {prefix_lp[prefix]} and {lp}",
                )
                ok = False
                continue
            prefix_lp[prefix] = lp
            fam = cidr_family(prefix)
            if prefix not in by_family[fam]:  # R25
                err(
                    ppath,
                    f"failed to process local pref for neighbor {name}, err: localPref {lp} "
                    f"associated to non existing prefix {prefix}",
                )
                ok = False
                continue
            split[fam].append(prefix)
        for fam in ("ipv4", "ipv6"):
            fam_t: PrefixFamily = fam
            if not split[fam_t]:
                continue
            if (lp, fam_t) in seen_lp:  # R24
                err(
                    f"{path}.localPref",
                    f"failed to process local pref for neighbor {name}, err: local "
                    f"preference {lp} is already defined",
                )
                ok = False
                continue
            seen_lp.add((lp, fam_t))
            local_prefs.append(LocalPref(lp, fam_t, _sorted_unique(split[fam_t])))

    # R7, R27-R30: communities.
    communities: list[CommunityPrefixes] = []
    seen_comm: set[tuple[str, PrefixFamily]] = set()
    for index, centry in enumerate(adv.with_community):
        path = f"{base}.withCommunity[{index}]"
        try:
            community = parse_community(centry.community)
        except ValueError as exc:  # R27
            err(f"{path}.community", f"invalid community {centry.community}, err: {exc}")
            ok = False
            continue
        csplit: dict[PrefixFamily, list[str]] = {"ipv4": [], "ipv6": []}
        seen_in_centry: set[str] = set()
        for pindex, prefix in enumerate(centry.prefixes):
            ppath = f"{path}.prefixes[{pindex}]"
            problem = _family_problem(prefix, families)
            if problem:  # R7
                err(
                    ppath,
                    f"invalid prefixes {centry.prefixes} for community {centry.community} for neighbor "
                    f"{name}, err: {problem}",
                )
                ok = False
                continue
            if prefix in seen_in_centry:  # R30
                err(ppath, f"prefix {prefix} is already defined for community {centry.community}")
                ok = False
                continue
            seen_in_centry.add(prefix)
            fam = cidr_family(prefix)
            if prefix not in by_family[fam]:  # R29
                err(
                    ppath,
                    f"prefix {prefix} is advertised for community {centry.community} but it's not in "
                    "the advertisement list of the neighbor",
                )
                ok = False
                continue
            csplit[fam].append(prefix)
        for fam in ("ipv4", "ipv6"):
            cfam: PrefixFamily = fam
            if not csplit[cfam]:
                continue
            if (community.value + str(community.large), cfam) in seen_comm:  # R28
                err(f"{path}.community", f"community {centry.community} is already defined")
                ok = False
                continue
            seen_comm.add((community.value + str(community.large), cfam))
            communities.append(CommunityPrefixes(community, cfam, _sorted_unique(csplit[cfam])))

    if not ok:
        return None
    return (
        Advertise(
            prefixes_v4=_sorted_unique(by_family["ipv4"]),
            prefixes_v6=_sorted_unique(by_family["ipv6"]),
            next_hop_v4=nh4,
            next_hop_v6=nh6,
            local_prefs=tuple(sorted(local_prefs, key=lambda x: (x.value, x.family))),
            communities=tuple(sorted(communities, key=lambda x: (x.community.name, x.family))),
        ),
        lp_paths,
    )


def _receive(err: _ErrFn, n: api.Neighbor) -> Receive | None:
    allowed = n.to_receive.allowed
    if allowed.mode == "all":
        return Receive(all=True)
    ok = True
    selectors: dict[PrefixFamily, set[Selector]] = {"ipv4": set(), "ipv6": set()}
    for index, sel in enumerate(allowed.prefixes):
        path = f"toReceive.allowed.prefixes[{index}]"
        try:  # R31
            network = parse_cidr(sel.prefix)
        except ValueError as exc:
            err(f"{path}.prefix", f"failed to parse prefix {sel.prefix}: {exc}")
            ok = False
            continue
        le, ge, mask = sel.le or 0, sel.ge or 0, network.prefixlen
        bits = network.max_prefixlen
        problem = None
        if le > bits:
            problem, where = f"le {le} is bigger than the address length {bits}", "le"
        elif ge > bits:
            problem, where = f"ge {ge} is bigger than the address length {bits}", "ge"
        elif le > 0 and ge > le:  # R32
            problem, where = f"invalid selector lengths: ge {ge} is bigger than le {le}", "ge"
        elif le > 0 and mask > le:
            problem, where = f"invalid selector lengths: cidr mask {mask} is bigger than le {le}", "le"
        elif ge > 0 and mask > ge:
            problem, where = f"invalid selector lengths: cidr mask {mask} is bigger than ge {ge}", "ge"
        if problem:
            err(f"{path}.{where}", problem)
            ok = False
            continue
        fam: PrefixFamily = "ipv4" if network.version == 4 else "ipv6"
        selectors[fam].add(Selector(sel.prefix, le, ge))
    if not ok:
        return None
    return Receive(
        all=False,
        selectors_v4=sort_selectors(selectors["ipv4"]),
        selectors_v6=sort_selectors(selectors["ipv6"]),
    )


def sort_selectors(selectors: set[Selector] | list[Selector]) -> tuple[Selector, ...]:
    """Upstream's order (`<prefix><le><ge>` string); the full tuple breaks ties, so that unlike
    upstream (quirk 7) two selectors whose keys collide are both kept."""
    return tuple(sorted(set(selectors), key=lambda s: (s.sort_key, s.prefix, s.le, s.ge)))
