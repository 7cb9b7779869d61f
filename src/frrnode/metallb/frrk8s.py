"""frr-k8s mode (spec §4): the FRRConfiguration `metallb-<node>` the speaker writes for its node.

`configuration` builds the object as MetalLB does (same name, namespace, selector, field order
and sorting, spec §4.2-4.6), as a JSON-ready dict; `to_json` prints it like the Go tests do
(`json.MarshalIndent`, four spaces), and `to_object` loads it as frrnode's own
`FRRConfiguration`, which the agent's pipeline consumes like any other owner's.
"""

from __future__ import annotations

import json
from typing import Any

from frrnode.api.v1beta1 import GROUP_VERSION, FRRConfiguration
from frrnode.metallb.sessions import Advertisement, BFDProfile, SessionParams, SessionState
from frrnode.metallb.timers import go_duration

HOSTNAME_LABEL = "kubernetes.io/hostname"


def object_name(node: str) -> str:
    return f"metallb-{node}"


def session_fields(params: SessionParams) -> dict[str, Any]:
    """The neighbor's session fields as MetalLB writes them, in Go's field order; `toAdvertise`
    and `toReceive` go between `enableGracefulRestart` and `disableMP` (see `_neighbor`)."""
    out: dict[str, Any] = {}
    if params.peer_asn:
        out["asn"] = params.peer_asn
    if params.dynamic_asn:
        out["dynamicASN"] = params.dynamic_asn
    if params.peer_address:
        out["address"] = params.peer_address
    if params.peer_interface:
        out["interface"] = params.peer_interface
    out["port"] = params.peer_port
    if params.password:
        out["password"] = params.password
    secret: dict[str, str] = {}
    name, namespace = params.password_ref
    if name:
        secret["name"] = name
    if namespace:
        secret["namespace"] = namespace
    out["passwordSecret"] = secret
    for key, value in (
        ("holdTime", params.hold_time),
        ("keepaliveTime", params.keepalive_time),
        ("connectTime", params.connect_time),
    ):
        if value is not None:
            out[key] = go_duration(value)
    if params.ebgp_multihop:
        out["ebgpMultiHop"] = True
    if params.bfd_profile:
        out["bfdProfile"] = params.bfd_profile
    if params.graceful_restart:
        out["enableGracefulRestart"] = True
    if params.disable_mp:
        out["disableMP"] = True
    if params.dual_stack:
        out["dualStackAddressFamily"] = True
    return out


_AFTER_POLICY = ("disableMP", "dualStackAddressFamily")


def _neighbor(params: SessionParams, advertised: list[Advertisement]) -> dict[str, Any]:
    fields = session_fields(params)
    out = {k: v for k, v in fields.items() if k not in _AFTER_POLICY}
    out["toAdvertise"] = _to_advertise(advertised)
    out["toReceive"] = {"allowed": {}}
    out.update({k: fields[k] for k in _AFTER_POLICY if k in fields})
    return out


def _to_advertise(advertised: list[Advertisement]) -> dict[str, Any]:
    prefixes = sorted({a.prefix for a in advertised})
    by_pref: dict[int, set[str]] = {}
    by_community: dict[str, set[str]] = {}
    for adv in advertised:
        if adv.local_pref:
            by_pref.setdefault(adv.local_pref, set()).add(adv.prefix)
        for community in adv.communities:
            by_community.setdefault(community.frrk8s, set()).add(adv.prefix)
    out: dict[str, Any] = {"allowed": {"prefixes": prefixes} if prefixes else {}}
    if by_pref:
        out["withLocalPref"] = [
            {"prefixes": sorted(by_pref[pref]), "localPref": pref} for pref in sorted(by_pref)
        ]
    if by_community:
        out["withCommunity"] = [
            {"prefixes": sorted(by_community[c]), "community": c} for c in sorted(by_community)
        ]
    return out


def bfd_fields(profile: BFDProfile) -> dict[str, Any]:
    out: dict[str, Any] = {"name": profile.name}
    for key, value in (
        ("receiveInterval", profile.receive_interval),
        ("transmitInterval", profile.transmit_interval),
        ("detectMultiplier", profile.detect_multiplier),
        ("echoInterval", profile.echo_interval),
    ):
        if value is not None:
            out[key] = value
    out["echoMode"] = profile.echo_mode
    out["passiveMode"] = profile.passive_mode
    if profile.minimum_ttl is not None:
        out["minimumTtl"] = profile.minimum_ttl
    return out


def configuration(state: SessionState, node: str, namespace: str) -> dict[str, Any]:
    """The whole object, keys in the order Go's encoder writes them (no apiVersion/kind: the
    speaker's object has an empty TypeMeta; `to_object` adds them)."""
    routers: list[dict[str, Any]] = []
    for first, members in state.routers():
        router: dict[str, Any] = {"asn": first.my_asn}
        if first.router_id:
            router["id"] = first.router_id
        if first.vrf:
            router["vrf"] = first.vrf
        prefixes: set[str] = set()
        neighbors = []
        for params in members:
            advertised = state.prefixes(params)
            prefixes |= {a.prefix for a in advertised}
            neighbors.append(_neighbor(params, advertised))
        router["neighbors"] = neighbors
        if prefixes:
            router["prefixes"] = sorted(prefixes)
        routers.append(router)
    bgp: dict[str, Any] = {}
    if routers:
        bgp["routers"] = routers
    if state.bfd_profiles:
        bgp["bfdProfiles"] = [bfd_fields(p) for p in state.sorted_bfd()]
    return {
        "metadata": {"name": object_name(node), "namespace": namespace},
        "spec": {"bgp": bgp, "raw": {}, "nodeSelector": {"matchLabels": {HOSTNAME_LABEL: node}}},
        "status": {},
    }


def to_json(obj: dict[str, Any]) -> str:
    """As the upstream tests write goldens: four-space indent, no trailing newline, no escaping
    of `<`, `>`, `&` differences that matter here (none of those characters occur)."""
    return json.dumps(obj, indent=4, ensure_ascii=False)


def to_object(obj: dict[str, Any]) -> FRRConfiguration:
    """The object as frrnode's FRRConfiguration (what the pipeline consumes)."""
    return FRRConfiguration.model_validate({"apiVersion": GROUP_VERSION, "kind": "FRRConfiguration", **obj})


def manifest(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as a manifest (`kubectl apply`-able): apiVersion and kind first, no status."""
    return {
        "apiVersion": GROUP_VERSION,
        "kind": "FRRConfiguration",
        "metadata": obj["metadata"],
        "spec": obj["spec"],
    }
