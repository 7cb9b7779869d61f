"""Pydantic models of MetalLB's BGP API (`metallb.io`, spec §1) and the core kinds it reads.

What the CRD schemas enforce (types, enums, ranges, CEL rules, defaults) is enforced here, so
a loaded object is schema-valid; the semantic rules of MetalLB's parser (`config.For`) live in
`frrnode.metallb.config`. MetalLB's spec fields reject unknown keys (as the API server prunes
and `kubectl --validate=strict` rejects them); the core kinds (Service, EndpointSlice, ...)
ignore fields MetalLB does not read, so objects exported from a cluster load as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from frrnode.api.core import ObjectMeta
from frrnode.api.v1beta1 import (
    NS_PER_SECOND,
    UINT32_MAX,
    BfdInterval,
    BfdMinimumTtl,
    BfdMultiplier,
    Duration,
    LabelSelector,
    LabelSelectorRequirement,
    Strict,
)

V1BETA1 = "metallb.io/v1beta1"
V1BETA2 = "metallb.io/v1beta2"

Uint32 = Annotated[int, Field(ge=0, le=UINT32_MAX)]


class _Lenient(BaseModel):
    """Core Kubernetes kinds: only what MetalLB reads is checked, the rest is ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, populate_by_name=True, frozen=True)


class _Named:
    """`name` and `namespace` of the object's metadata, for MetalLB's kinds and the core ones."""

    if TYPE_CHECKING:
        metadata: ObjectMeta

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace


class _Object(_Named, Strict):
    metadata: ObjectMeta
    status: dict[str, Any] = Field(default_factory=dict)
    """Written by MetalLB's controller (pool counters); never read."""


# ---------------------------------------------------------------- IPAddressPool


class ServiceAllocation(Strict):
    priority: int = 0
    namespaces: list[str] = Field(default_factory=list)
    namespace_selectors: list[LabelSelector] = Field(default_factory=list, alias="namespaceSelectors")
    service_selectors: list[LabelSelector] = Field(default_factory=list, alias="serviceSelectors")


class IPAddressPoolSpec(Strict):
    addresses: Annotated[list[str], Field(min_length=1)]
    auto_assign: bool = Field(default=True, alias="autoAssign")
    avoid_buggy_ips: bool = Field(default=False, alias="avoidBuggyIPs")
    service_allocation: ServiceAllocation | None = Field(default=None, alias="serviceAllocation")


class IPAddressPool(_Object):
    api_version: Literal["metallb.io/v1beta1"] = Field(default="metallb.io/v1beta1", alias="apiVersion")
    kind: Literal["IPAddressPool"] = "IPAddressPool"
    spec: IPAddressPoolSpec


# ---------------------------------------------------------------- BGPAdvertisement


class BGPAdvertisementSpec(Strict):
    aggregation_length: Annotated[int, Field(ge=1)] = Field(default=32, alias="aggregationLength")
    aggregation_length_v6: Annotated[int, Field(ge=0)] = Field(default=128, alias="aggregationLengthV6")
    local_pref: Uint32 = Field(default=0, alias="localPref")
    communities: list[str] = Field(default_factory=list)
    ip_address_pools: list[str] = Field(default_factory=list, alias="ipAddressPools")
    ip_address_pool_selectors: list[LabelSelector] = Field(
        default_factory=list, alias="ipAddressPoolSelectors"
    )
    node_selectors: list[LabelSelector] = Field(default_factory=list, alias="nodeSelectors")
    peers: list[str] = Field(default_factory=list)
    service_selectors: list[LabelSelector] = Field(default_factory=list, alias="serviceSelectors")

    @model_validator(mode="after")
    def _selectors_need_default_lengths(self) -> BGPAdvertisementSpec:
        # CEL rule of the CRD (bgpadvertisement_types.go:27).
        if self.service_selectors and (self.aggregation_length != 32 or self.aggregation_length_v6 != 128):
            raise ValueError(
                "serviceSelectors can't be used in combination with non-default aggregation lengths"
            )
        return self


class BGPAdvertisement(_Object):
    api_version: Literal["metallb.io/v1beta1"] = Field(default="metallb.io/v1beta1", alias="apiVersion")
    kind: Literal["BGPAdvertisement"] = "BGPAdvertisement"
    spec: BGPAdvertisementSpec = Field(default_factory=BGPAdvertisementSpec)


# ---------------------------------------------------------------- BGPPeer


def _check_connect_time(ns: int | None) -> int | None:
    # CEL rule of the v1beta2 CRD: whole seconds, 1..65535.
    if ns is None:
        return ns
    if ns % NS_PER_SECOND or not 1 <= ns // NS_PER_SECOND <= 65535:
        raise ValueError("connectTime must be a whole number of seconds between 1 and 65535")
    return ns


class SecretReference(Strict):
    name: str = ""
    namespace: str = ""


class BGPPeerSpec(Strict):
    """v1beta2, the storage version (api/v1beta2/bgppeer_types.go)."""

    my_asn: Uint32 = Field(alias="myASN")
    peer_asn: Uint32 = Field(default=0, alias="peerASN")
    dynamic_asn: Literal["internal", "external"] | None = Field(default=None, alias="dynamicASN")
    local_asn: Annotated[int, Field(ge=1, le=UINT32_MAX)] | None = Field(default=None, alias="localASN")
    peer_address: str = Field(default="", alias="peerAddress")
    interface: str = ""
    source_address: str = Field(default="", alias="sourceAddress")
    peer_port: Annotated[int, Field(ge=1, le=16384)] = Field(default=179, alias="peerPort")
    hold_time: Duration | None = Field(default=None, alias="holdTime")
    keepalive_time: Duration | None = Field(default=None, alias="keepaliveTime")
    connect_time: Annotated[Duration | None, AfterValidator(_check_connect_time)] = Field(
        default=None, alias="connectTime"
    )
    router_id: str = Field(default="", alias="routerID")
    node_selectors: list[LabelSelector] = Field(default_factory=list, alias="nodeSelectors")
    password: str = ""
    password_secret: SecretReference = Field(default_factory=SecretReference, alias="passwordSecret")
    bfd_profile: str = Field(default="", alias="bfdProfile")
    ebgp_multihop: bool = Field(default=False, alias="ebgpMultiHop")
    enable_graceful_restart: bool = Field(default=False, alias="enableGracefulRestart")
    vrf: str = ""
    disable_mp: bool = Field(default=False, alias="disableMP")
    dual_stack_address_family: bool = Field(default=False, alias="dualStackAddressFamily")


class BGPPeer(_Object):
    api_version: Literal["metallb.io/v1beta2"] = Field(default="metallb.io/v1beta2", alias="apiVersion")
    kind: Literal["BGPPeer"] = "BGPPeer"
    spec: BGPPeerSpec


class NodeSelectorV1Beta1(Strict):
    match_labels: dict[str, str] = Field(default_factory=dict, alias="matchLabels")
    match_expressions: list[LabelSelectorRequirement] = Field(default_factory=list, alias="matchExpressions")


class BGPPeerSpecV1Beta1(Strict):
    """The deprecated v1beta1 schema (api/v1beta1/bgppeer_types.go:39-91)."""

    my_asn: Uint32 = Field(alias="myASN")
    peer_asn: Uint32 = Field(alias="peerASN")
    peer_address: str = Field(alias="peerAddress")
    source_address: str = Field(default="", alias="sourceAddress")
    peer_port: Annotated[int, Field(ge=0, le=16384)] | None = Field(default=None, alias="peerPort")
    hold_time: Duration | None = Field(default=None, alias="holdTime")
    keepalive_time: Duration | None = Field(default=None, alias="keepaliveTime")
    router_id: str = Field(default="", alias="routerID")
    node_selectors: list[NodeSelectorV1Beta1] = Field(default_factory=list, alias="nodeSelectors")
    password: str = ""
    bfd_profile: str = Field(default="", alias="bfdProfile")
    ebgp_multihop: bool = Field(default=False, alias="ebgpMultiHop")


class BGPPeerV1Beta1(_Object):
    api_version: Literal["metallb.io/v1beta1"] = Field(default="metallb.io/v1beta1", alias="apiVersion")
    kind: Literal["BGPPeer"] = "BGPPeer"
    spec: BGPPeerSpecV1Beta1

    def converted(self) -> BGPPeer:
        """The v1beta2 object the conversion webhook serves (bgppeer_conversion.go:11-28): the same
        fields, node selectors as LabelSelectors; v1beta2 defaults apply (peerPort 179 when unset)."""
        s = self.spec
        # Already validated field by field: construct without re-parsing the durations.
        return BGPPeer.model_construct(
            metadata=self.metadata,
            spec=BGPPeerSpec.model_construct(
                my_asn=s.my_asn,
                peer_asn=s.peer_asn,
                peer_address=s.peer_address,
                source_address=s.source_address,
                peer_port=s.peer_port or 179,
                hold_time=s.hold_time,
                keepalive_time=s.keepalive_time,
                router_id=s.router_id,
                node_selectors=[
                    LabelSelector(match_labels=n.match_labels, match_expressions=n.match_expressions)
                    for n in s.node_selectors
                ],
                password=s.password,
                bfd_profile=s.bfd_profile,
                ebgp_multihop=s.ebgp_multihop,
            ),
        )


# ---------------------------------------------------------------- BFDProfile, Community


class BFDProfileSpec(Strict):
    receive_interval: BfdInterval | None = Field(default=None, alias="receiveInterval")
    transmit_interval: BfdInterval | None = Field(default=None, alias="transmitInterval")
    detect_multiplier: BfdMultiplier | None = Field(default=None, alias="detectMultiplier")
    echo_interval: BfdInterval | None = Field(default=None, alias="echoInterval")
    echo_mode: bool = Field(default=False, alias="echoMode")
    passive_mode: bool = Field(default=False, alias="passiveMode")
    minimum_ttl: BfdMinimumTtl | None = Field(default=None, alias="minimumTtl")


class BFDProfile(_Object):
    api_version: Literal["metallb.io/v1beta1"] = Field(default="metallb.io/v1beta1", alias="apiVersion")
    kind: Literal["BFDProfile"] = "BFDProfile"
    spec: BFDProfileSpec = Field(default_factory=BFDProfileSpec)


class CommunityAlias(Strict):
    name: str
    value: str


class CommunitySpec(Strict):
    communities: list[CommunityAlias] = Field(default_factory=list)


class Community(_Object):
    api_version: Literal["metallb.io/v1beta1"] = Field(default="metallb.io/v1beta1", alias="apiVersion")
    kind: Literal["Community"] = "Community"
    spec: CommunitySpec = Field(default_factory=CommunitySpec)


# ---------------------------------------------------------------- core kinds MetalLB reads


class _Core(_Named, _Lenient):
    metadata: ObjectMeta


class ConfigMap(_Core):
    """Only `bgpextras` (key `extras`) and the legacy `config` ConfigMap matter to MetalLB."""

    api_version: Literal["v1"] = Field(default="v1", alias="apiVersion")
    kind: Literal["ConfigMap"] = "ConfigMap"
    data: dict[str, str] = Field(default_factory=dict)


class Namespace(_Core):
    """Its labels resolve IPAddressPool `namespaceSelectors`."""

    api_version: Literal["v1"] = Field(default="v1", alias="apiVersion")
    kind: Literal["Namespace"] = "Namespace"


class ServicePort(_Lenient):
    name: str = ""
    port: int
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"


class ServiceSpec(_Lenient):
    type: Literal["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] = "ClusterIP"
    load_balancer_ip: str = Field(default="", alias="loadBalancerIP")
    load_balancer_class: str | None = Field(default=None, alias="loadBalancerClass")
    external_traffic_policy: Literal["Cluster", "Local"] = Field(
        default="Cluster", alias="externalTrafficPolicy"
    )
    ip_families: list[Literal["IPv4", "IPv6"]] = Field(default_factory=list, alias="ipFamilies")
    ip_family_policy: Literal["SingleStack", "PreferDualStack", "RequireDualStack"] | None = Field(
        default=None, alias="ipFamilyPolicy"
    )
    ports: list[ServicePort] = Field(default_factory=list)
    selector: dict[str, str] = Field(default_factory=dict)


class LoadBalancerIngress(_Lenient):
    ip: str = ""
    hostname: str = ""


class LoadBalancerStatus(_Lenient):
    ingress: list[LoadBalancerIngress] = Field(default_factory=list)


class ServiceStatus(_Lenient):
    load_balancer: LoadBalancerStatus = Field(default_factory=LoadBalancerStatus, alias="loadBalancer")


class Service(_Core):
    api_version: Literal["v1"] = Field(default="v1", alias="apiVersion")
    kind: Literal["Service"] = "Service"
    spec: ServiceSpec = Field(default_factory=ServiceSpec)
    status: ServiceStatus = Field(default_factory=ServiceStatus)


class EndpointConditions(_Lenient):
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class Endpoint(_Lenient):
    addresses: list[str] = Field(default_factory=list)
    conditions: EndpointConditions = Field(default_factory=EndpointConditions)
    node_name: str | None = Field(default=None, alias="nodeName")

    @property
    def can_serve(self) -> bool:
        """Ready unset or true, or serving (terminating but still serving counts; epslices.go:15-23)."""
        c = self.conditions
        return c.ready is None or c.ready or bool(c.serving)


class EndpointSlice(_Core):
    api_version: Literal["discovery.k8s.io/v1"] = Field(default="discovery.k8s.io/v1", alias="apiVersion")
    kind: Literal["EndpointSlice"] = "EndpointSlice"
    address_type: str = Field(default="IPv4", alias="addressType")
    endpoints: list[Endpoint] = Field(default_factory=list)

    @property
    def service_name(self) -> str:
        return self.metadata.labels.get("kubernetes.io/service-name", "")


MetalLBObject = IPAddressPool | BGPAdvertisement | BGPPeer | BGPPeerV1Beta1 | BFDProfile | Community

KINDS: dict[tuple[str, str], type[BaseModel]] = {
    (V1BETA1, "IPAddressPool"): IPAddressPool,
    (V1BETA1, "BGPAdvertisement"): BGPAdvertisement,
    (V1BETA2, "BGPPeer"): BGPPeer,
    (V1BETA1, "BGPPeer"): BGPPeerV1Beta1,
    (V1BETA1, "BFDProfile"): BFDProfile,
    (V1BETA1, "Community"): Community,
    ("v1", "ConfigMap"): ConfigMap,
    ("v1", "Namespace"): Namespace,
    ("v1", "Service"): Service,
    ("discovery.k8s.io/v1", "EndpointSlice"): EndpointSlice,
}
"""What the loader reads for MetalLB (`load_paths(..., extra_kinds=KINDS)`)."""
