"""A user's FRRConfiguration that receives routes from MetalLB's peers (spec §4.8).

The documented recipe: an object with the same router (ASN, router id, VRF) and, for each of
MetalLB's peers, a neighbor with exactly the session parameters MetalLB writes (so the merge
sees no conflict) plus a `toReceive` filter. Used by `frrnode migrate bgpextras` and by the
coexistence tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from frrnode.api.v1beta1 import GROUP_VERSION, LabelSelector
from frrnode.metallb.config import BFD, Peer
from frrnode.metallb.frrk8s import bfd_fields, session_fields
from frrnode.metallb.sessions import BFDProfile
from frrnode.metallb.speaker import session_params


@dataclass(frozen=True)
class Receive:
    """What one neighbor accepts: everything (`all`) or the listed selectors."""

    mode: Literal["all", "filtered"] = "filtered"
    prefixes: tuple[tuple[str, int | None, int | None], ...] = ()
    """(prefix, le, ge) in the order they were given."""

    def to_api(self) -> dict[str, Any]:
        if self.mode == "all":
            return {"allowed": {"mode": "all"}}
        items = []
        for prefix, le, ge in self.prefixes:
            item: dict[str, Any] = {"prefix": prefix}
            if le is not None:
                item["le"] = le
            if ge is not None:
                item["ge"] = ge
            items.append(item)
        return {"allowed": {"mode": "filtered", "prefixes": items}}


def _selector(selector: LabelSelector | None) -> dict[str, Any]:
    if selector is None:
        return {}
    return selector.model_dump(by_alias=True, exclude_defaults=True)


def receive_configuration(
    name: str,
    namespace: str,
    peers: Sequence[tuple[Peer, Receive]],
    bfd_profiles: Mapping[str, BFD] | None = None,
    node_selector: LabelSelector | None = None,
) -> dict[str, Any]:
    """An FRRConfiguration manifest: one router per (myASN, routerID, VRF), one neighbor per peer
    with MetalLB's session parameters and the given `toReceive`.

    The BFD profiles the peers use are declared again with MetalLB's values: an FRRConfiguration
    must define the profiles it references, and equal definitions merge (the workaround for
    metallb#2904, where such an object could not enable BFD)."""
    routers: dict[tuple[int, str, str], dict[str, Any]] = {}
    for peer, receive in peers:
        params = session_params(peer)
        key = (params.my_asn, params.router_id, params.vrf)
        router = routers.setdefault(key, {"asn": params.my_asn})
        if params.router_id:
            router["id"] = params.router_id
        if params.vrf:
            router["vrf"] = params.vrf
        neighbor = session_fields(params)
        neighbor["toReceive"] = receive.to_api()
        router.setdefault("neighbors", []).append(neighbor)
    spec: dict[str, Any] = {"bgp": {"routers": [routers[k] for k in sorted(routers)]}}
    used = sorted({p.bfd_profile for p, _ in peers if p.bfd_profile})
    profiles = bfd_profiles or {}
    if used:
        spec["bgp"]["bfdProfiles"] = [
            bfd_fields(BFDProfile(**vars(profiles[name]))) for name in used if name in profiles
        ]
    selector = _selector(node_selector)
    if selector:
        spec["nodeSelector"] = selector
    return {
        "apiVersion": GROUP_VERSION,
        "kind": "FRRConfiguration",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
