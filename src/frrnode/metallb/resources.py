"""What the MetalLB stage reads: its objects (from the loader's `extra`), sorted, and its settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from frrnode.api.core import Node, Secret
from frrnode.api.loader import Resources
from frrnode.metallb import api
from frrnode.model import ObjectRef

Mode = Literal["frr-k8s", "native"]
"""`frr-k8s`: MetalLB writes one FRRConfiguration per node (the default upstream and here);
`native`: MetalLB's deprecated FRR mode, which renders frr.conf itself (with `bgpextras`)."""

DEFAULT_NAMESPACE = "metallb-system"
EXTRAS_CONFIGMAP = "bgpextras"
EXTRAS_KEY = "extras"


@dataclass(frozen=True)
class Settings:
    """What MetalLB's output depends on besides objects: the speaker/controller flags."""

    namespace: str = DEFAULT_NAMESPACE
    """MetalLB's namespace (`--namespace`): its objects count only there."""
    frrk8s_namespace: str = "frr-k8s-system"
    """Where `metallb-<node>` is written (`--frrk8s-namespace`; the agent's namespace here)."""
    mode: Mode = "frr-k8s"
    secret_passthrough: bool = False
    """`--frrk8s-secret-passthrough`: copy the passwordSecret reference instead of the password."""
    lb_class: str | None = None
    """`--lb-class`: only Services of that loadBalancerClass (without: only those with no class)."""
    ignore_exclude_lb: bool = False
    """`--ignore-exclude-lb`: announce from nodes labelled exclude-from-external-load-balancers."""
    log_level: str = "info"
    """Native mode: the speaker's level (info -> `log stdout informational`)."""

    @property
    def passthrough(self) -> bool:
        """frr-k8s resolves the Secret itself (same namespace, or pass-through asked for)."""
        return self.secret_passthrough or self.frrk8s_namespace == self.namespace


def ref(obj: api.MetalLBObject | api.ConfigMap | api.Service) -> ObjectRef:
    return ObjectRef(obj.kind, obj.metadata.namespace, obj.metadata.name)


def _key(obj: api.MetalLBObject) -> tuple[str, str]:
    return (obj.metadata.namespace, obj.metadata.name)


@dataclass
class MetalLBResources:
    """MetalLB's objects in its namespace (as its informer caches see them) plus the cluster
    objects it reads, each list sorted by name. `foreign` are MetalLB objects elsewhere: the
    webhook refuses them and the speaker never sees them."""

    pools: list[api.IPAddressPool] = field(default_factory=list)
    advertisements: list[api.BGPAdvertisement] = field(default_factory=list)
    peers: list[api.BGPPeer] = field(default_factory=list)
    bfd_profiles: list[api.BFDProfile] = field(default_factory=list)
    communities: list[api.Community] = field(default_factory=list)
    extras: api.ConfigMap | None = None
    secrets: dict[str, Secret] = field(default_factory=dict)
    namespaces: dict[str, Mapping[str, str]] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    services: list[api.Service] = field(default_factory=list)
    endpoint_slices: list[api.EndpointSlice] = field(default_factory=list)
    foreign: list[api.MetalLBObject] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No MetalLB configuration at all (the stage then contributes nothing)."""
        return not (self.pools or self.advertisements or self.peers or self.bfd_profiles or self.communities)

    @property
    def extras_text(self) -> str:
        return self.extras.data.get(EXTRAS_KEY, "") if self.extras is not None else ""

    @classmethod
    def from_resources(cls, resources: Resources, settings: Settings) -> MetalLBResources:
        out = cls()
        own = (settings.namespace, "")
        for obj in resources.extra:
            if isinstance(obj, api.BGPPeerV1Beta1):
                obj = obj.converted()
            if isinstance(
                obj, api.IPAddressPool | api.BGPAdvertisement | api.BGPPeer | api.BFDProfile | api.Community
            ):
                if obj.metadata.namespace not in own:
                    out.foreign.append(obj)
                elif isinstance(obj, api.IPAddressPool):
                    out.pools.append(obj)
                elif isinstance(obj, api.BGPAdvertisement):
                    out.advertisements.append(obj)
                elif isinstance(obj, api.BGPPeer):
                    out.peers.append(obj)
                elif isinstance(obj, api.BFDProfile):
                    out.bfd_profiles.append(obj)
                else:
                    out.communities.append(obj)
            elif isinstance(obj, api.ConfigMap):
                if obj.metadata.namespace in own and obj.metadata.name == EXTRAS_CONFIGMAP:
                    out.extras = obj
            elif isinstance(obj, api.Namespace):
                out.namespaces[obj.metadata.name] = obj.metadata.labels
            elif isinstance(obj, api.Service):
                out.services.append(obj)
            elif isinstance(obj, api.EndpointSlice):
                out.endpoint_slices.append(obj)
        for secret in resources.secrets:
            if secret.metadata.namespace in own:
                out.secrets[secret.metadata.name] = secret
        out.nodes = {n.name: n for n in resources.nodes}
        for items in (out.pools, out.advertisements, out.peers, out.bfd_profiles, out.communities):
            items.sort(key=_key)
        out.services.sort(key=lambda s: (s.metadata.namespace, s.metadata.name))
        out.endpoint_slices.sort(key=lambda s: (s.metadata.namespace, s.metadata.name))
        return out
