"""Pydantic models of the `frrk8s.metallb.io/v1beta1` API (spec §1).

Everything the CRD schema enforces (types, enums, min/max, maxItems, the CEL rules of RD/RT
and connectTime) is enforced here, so a loaded object is schema-valid; the semantic rules
R1-R44 live in `frrnode.pipeline.translate`. Unknown keys are errors everywhere under `spec`
(`extra="forbid"`), so a typo such as `nodeSelector.labelSelector` is reported, not ignored.
Python attribute names are snake_case; the JSON names are the aliases and are the names
used in error paths.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from frrnode.api.core import ObjectMeta

GROUP_VERSION = "frrk8s.metallb.io/v1beta1"

UINT32_MAX = 4294967295


class Strict(BaseModel):
    """Base of every spec model: unknown keys are errors, types are not coerced (as the API server)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)


Uint32 = Annotated[int, Field(ge=0, le=UINT32_MAX)]

# ---------------------------------------------------------------- durations

_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(value: Any) -> int:
    """Parse a Kubernetes/Go duration (`90s`, `1m30s`, `1.5h`, `500ms`) to nanoseconds.

    Same grammar as Go's `time.ParseDuration` (which `metav1.Duration` uses); a negative
    duration is refused because no BGP timer can be negative.
    """
    if not isinstance(value, str):
        raise ValueError("a duration must be a string such as '90s' or '1m30s'")
    text = value
    if text in ("0", "+0"):
        return 0
    if text.startswith("-"):
        raise ValueError(f"invalid duration {value!r}: must not be negative")
    text = text.removeprefix("+")
    if not text:
        raise ValueError(f"invalid duration {value!r}")
    total = 0
    pos = 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None:
            raise ValueError(f"invalid duration {value!r} (use e.g. '90s', '1m30s', '500ms')")
        number, unit = match.groups()
        whole, _, frac = number.partition(".")
        scale = _DURATION_UNITS[unit]
        total += int(whole or "0") * scale
        if frac:
            # Go truncates the fractional part to whole nanoseconds.
            total += int(frac) * scale // 10 ** len(frac)
        pos = match.end()
    if total > 2**63 - 1:
        raise ValueError(f"invalid duration {value!r}: out of range")
    return total


Duration = Annotated[int, BeforeValidator(parse_duration)]
"""A duration in nanoseconds (the API spells it as a Go duration string)."""

NS_PER_SECOND = 1_000_000_000


def whole_seconds(nanoseconds: int) -> int:
    """Seconds, truncated as upstream (`d / time.Second`)."""
    return nanoseconds // NS_PER_SECOND


def _check_connect_time(ns: int | None) -> int | None:
    # CEL rule of the CRD (frrconfiguration_types.go:174-178).
    if ns is None:
        return ns
    if ns % NS_PER_SECOND:
        raise ValueError("connect time should contain a whole number of seconds")
    if not 1 <= ns // NS_PER_SECOND <= 65535:
        raise ValueError("connect time should be between 1 seconds to 65535")
    return ns


# ---------------------------------------------------------------- RD / RT (CEL)

_MAX_RD_LEN = 21


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _check_rd_like(value: str, what: str, wildcard: bool) -> str:
    """The CEL rules of RouteDistinguisher / Import- / ExportRouteTarget (spec §1.2.1)."""
    if value == "":
        return value
    if len(value) > _MAX_RD_LEN:
        raise ValueError(f"{what} must be at most {_MAX_RD_LEN} characters")
    if value.count(":") != 1:
        raise ValueError(f"{what} must contain exactly one colon")
    glob, local = value.split(":")
    if not _is_number(local):
        raise ValueError(f"{what} local administrator must be a number")
    local_n = int(local)
    if wildcard and glob == "*":
        if local_n > UINT32_MAX:
            raise ValueError(f"{what} local administrator must be at most 4294967295")
        return value
    if _is_ipv4(glob):
        if local_n > 65535:
            raise ValueError(
                f"{what} local administrator must be at most 65535 with an IPv4 global administrator"
            )
    elif _is_number(glob):
        glob_n = int(glob)
        if glob_n > UINT32_MAX:
            raise ValueError(f"{what} global administrator must be at most 4294967295")
        if glob_n > 65535 and local_n > 65535:
            raise ValueError(f"{what} local administrator must be at most 65535 with a 4-byte ASN")
        if local_n > UINT32_MAX:
            raise ValueError(f"{what} local administrator must be at most 4294967295")
    else:
        raise ValueError(f"{what} global administrator must be either an IPv4 address or a number")
    return value


def _check_rd(value: str) -> str:
    return _check_rd_like(value, "RD", wildcard=False)


def _check_import_rt(value: str) -> str:
    return _check_rd_like(value, "RT", wildcard=True)


def _check_export_rt(value: str) -> str:
    return _check_rd_like(value, "RT", wildcard=False)


RouteDistinguisher = Annotated[str, AfterValidator(_check_rd)]
ImportRouteTarget = Annotated[str, AfterValidator(_check_import_rt)]
ExportRouteTarget = Annotated[str, AfterValidator(_check_export_rt)]

# ---------------------------------------------------------------- label selector


class LabelSelectorRequirement(Strict):
    key: str
    operator: str
    """Checked when the selector is used (R44), as upstream: the schema only says string."""
    values: list[str] = Field(default_factory=list)


class LabelSelector(Strict):
    match_labels: dict[str, str] = Field(default_factory=dict, alias="matchLabels")
    match_expressions: list[LabelSelectorRequirement] = Field(default_factory=list, alias="matchExpressions")


# ---------------------------------------------------------------- EVPN


class L2VNI(Strict):
    vni: Annotated[int, Field(ge=1, le=16777215)]
    rd: RouteDistinguisher = ""
    import_rts: Annotated[list[ImportRouteTarget], Field(max_length=100)] = Field(
        default_factory=list, alias="importRTs"
    )
    export_rts: Annotated[list[ExportRouteTarget], Field(max_length=100)] = Field(
        default_factory=list, alias="exportRTs"
    )


class L3VNI(L2VNI):
    advertise_prefixes: Annotated[list[Literal["unicast"]], Field(min_length=1, max_length=1)] = Field(
        alias="advertisePrefixes"
    )


class EVPNConfig(Strict):
    advertise_vnis: Literal["Disabled", "All"] | None = Field(default=None, alias="advertiseVNIs")
    advertise_svi: bool = Field(default=False, alias="advertiseSVI")
    l2vnis: Annotated[list[L2VNI], Field(max_length=10)] = Field(default_factory=list)
    l3vni: L3VNI | None = None


# ---------------------------------------------------------------- neighbors


class AllowedOutPrefixes(Strict):
    prefixes: list[str] = Field(default_factory=list)
    mode: Literal["all", "filtered"] = "filtered"


class LocalPrefPrefixes(Strict):
    prefixes: Annotated[list[str], Field(min_length=1)]
    local_pref: Uint32 = Field(default=0, alias="localPref")


class CommunityPrefixes(Strict):
    prefixes: Annotated[list[str], Field(min_length=1)]
    community: str = ""


class NextHop(Strict):
    ipv4: str = ""
    ipv6: str = ""


class Advertise(Strict):
    allowed: AllowedOutPrefixes = Field(default_factory=AllowedOutPrefixes)
    with_local_pref: list[LocalPrefPrefixes] = Field(default_factory=list, alias="withLocalPref")
    with_community: list[CommunityPrefixes] = Field(default_factory=list, alias="withCommunity")
    next_hop: NextHop = Field(default_factory=NextHop, alias="nextHop")


class PrefixSelector(Strict):
    prefix: str
    le: Annotated[int, Field(ge=1, le=128)] | None = None
    ge: Annotated[int, Field(ge=1, le=128)] | None = None


class AllowedInPrefixes(Strict):
    prefixes: list[PrefixSelector] = Field(default_factory=list)
    mode: Literal["all", "filtered"] = "filtered"


class Receive(Strict):
    allowed: AllowedInPrefixes = Field(default_factory=AllowedInPrefixes)


class SecretReference(Strict):
    name: str = ""
    namespace: str = ""
    """Ignored, as upstream: the Secret is always read from the agent's namespace (spec §4.7)."""


def _default_families() -> list[Literal["unicast", "evpn"]]:
    return ["unicast"]


class Neighbor(Strict):
    asn: Uint32 = 0
    dynamic_asn: Literal["internal", "external"] | None = Field(default=None, alias="dynamicASN")
    source_address: str = Field(default="", alias="sourceaddress")
    address: str = ""
    interface: str = ""
    port: Annotated[int, Field(ge=0, le=16384)] | None = None
    password: str = ""
    password_secret: SecretReference = Field(default_factory=SecretReference, alias="passwordSecret")
    hold_time: Duration | None = Field(default=None, alias="holdTime")
    keepalive_time: Duration | None = Field(default=None, alias="keepaliveTime")
    connect_time: Annotated[Duration | None, AfterValidator(_check_connect_time)] = Field(
        default=None, alias="connectTime"
    )
    ebgp_multihop: bool = Field(default=False, alias="ebgpMultiHop")
    bfd_profile: str = Field(default="", alias="bfdProfile")
    enable_graceful_restart: bool = Field(default=False, alias="enableGracefulRestart")
    to_advertise: Advertise = Field(default_factory=Advertise, alias="toAdvertise")
    to_receive: Receive = Field(default_factory=Receive, alias="toReceive")
    disable_mp: bool = Field(default=False, alias="disableMP")
    """Deprecated and ignored upstream; accepted for compatibility."""
    dual_stack_address_family: bool = Field(default=False, alias="dualStackAddressFamily")
    local_asn: Annotated[int, Field(ge=1, le=UINT32_MAX)] | None = Field(default=None, alias="localASN")
    address_families: Annotated[list[Literal["unicast", "evpn"]], Field(max_length=2)] = Field(
        default_factory=_default_families, alias="addressFamilies"
    )


class Import(Strict):
    vrf: str = ""


class Router(Strict):
    asn: Uint32
    id: str = ""
    vrf: str = ""
    neighbors: list[Neighbor] = Field(default_factory=list)
    prefixes: list[str] = Field(default_factory=list)
    imports: list[Import] = Field(default_factory=list)
    evpn: EVPNConfig | None = None


BfdInterval = Annotated[int, Field(ge=10, le=60000)]
"""Milliseconds, as FRR's bfdd accepts them (receive, transmit and echo intervals)."""
BfdMultiplier = Annotated[int, Field(ge=2, le=255)]
BfdMinimumTtl = Annotated[int, Field(ge=1, le=254)]


class BFDProfile(Strict):
    name: str
    receive_interval: BfdInterval | None = Field(default=None, alias="receiveInterval")
    transmit_interval: BfdInterval | None = Field(default=None, alias="transmitInterval")
    detect_multiplier: BfdMultiplier | None = Field(default=None, alias="detectMultiplier")
    echo_interval: BfdInterval | None = Field(default=None, alias="echoInterval")
    echo_mode: bool | None = Field(default=None, alias="echoMode")
    passive_mode: bool | None = Field(default=None, alias="passiveMode")
    minimum_ttl: BfdMinimumTtl | None = Field(default=None, alias="minimumTtl")


class BGPConfig(Strict):
    routers: Annotated[list[Router], Field(max_length=50)] = Field(default_factory=list)
    bfd_profiles: list[BFDProfile] = Field(default_factory=list, alias="bfdProfiles")


class RawConfig(Strict):
    priority: int = 0
    raw_config: str = Field(default="", alias="rawConfig")


class FRRConfigurationSpec(Strict):
    bgp: BGPConfig = Field(default_factory=BGPConfig)
    raw: RawConfig = Field(default_factory=RawConfig)
    node_selector: LabelSelector = Field(default_factory=LabelSelector, alias="nodeSelector")


# ---------------------------------------------------------------- top-level kinds


class _Object(Strict):
    api_version: Literal["frrk8s.metallb.io/v1beta1"] = Field(
        default="frrk8s.metallb.io/v1beta1", alias="apiVersion"
    )
    metadata: ObjectMeta


class FRRConfiguration(_Object):
    kind: Literal["FRRConfiguration"] = "FRRConfiguration"
    spec: FRRConfigurationSpec = Field(default_factory=FRRConfigurationSpec)
    status: dict[str, Any] = Field(default_factory=dict)
    """Upstream's status is an empty struct; whatever is there is ignored."""


class FRRDaemonState(Strict):
    """frrnode extension: one FRR daemon as the agent sees it (docs/status.md)."""

    running: bool = True
    restarts: int = 0
    """Restarts the agent saw since it started."""
    last_restart_time: str | None = Field(default=None, alias="lastRestartTime")
    down_since: str | None = Field(default=None, alias="downSince")


class FRRNodeStateStatus(Strict):
    running_config: str = Field(default="", alias="runningConfig")
    last_reload_result: str = Field(default="", alias="lastReloadResult")
    last_conversion_result: str = Field(default="", alias="lastConversionResult")
    # frrnode extensions (docs/status.md): when the results were produced, and which version of
    # each FRRConfiguration the running config reflects.
    last_reload_time: str | None = Field(default=None, alias="lastReloadTime")
    last_conversion_time: str | None = Field(default=None, alias="lastConversionTime")
    applied_generations: dict[str, str] = Field(default_factory=dict, alias="appliedGenerations")
    daemons: dict[str, FRRDaemonState] = Field(default_factory=dict)
    last_repair_result: str | None = Field(default=None, alias="lastRepairResult")
    """The last time FRR's config was put back (a daemon restart, drift), and how."""
    last_repair_time: str | None = Field(default=None, alias="lastRepairTime")
    status_write_error: str | None = Field(default=None, alias="statusWriteError")
    """Why the last status write failed (e.g. the status filesystem is full), when it did."""
    notes: list[str] | None = None
    """Objects the agent skipped and why (unknown kinds, other namespaces); absent when none."""


class FRRNodeState(_Object):
    """Cluster-scoped; `metadata.name` is the node name (spec §1.3, §7.1)."""

    kind: Literal["FRRNodeState"] = "FRRNodeState"
    spec: dict[str, Any] = Field(default_factory=dict)
    status: FRRNodeStateStatus = Field(default_factory=FRRNodeStateStatus)


class BGPSessionStateStatus(Strict):
    bgp_status: str = Field(default="", alias="bgpStatus")
    bfd_status: str = Field(default="", alias="bfdStatus")
    node: str = ""
    peer: str = ""
    vrf: str = ""
    # frrnode extensions (docs/status.md): prefix counts and FRR's view of the session.
    received_prefixes: int | None = Field(default=None, alias="receivedPrefixes")
    """Pre-policy (Adj-RIB-In); None when FRR keeps no copy (no soft-reconfiguration inbound)."""
    accepted_prefixes: int = Field(default=0, alias="acceptedPrefixes")
    advertised_prefixes: int = Field(default=0, alias="advertisedPrefixes")
    last_error: str | None = Field(default=None, alias="lastError")
    connections_established: int = Field(default=0, alias="connectionsEstablished")
    connections_dropped: int = Field(default=0, alias="connectionsDropped")
    established_since: str | None = Field(default=None, alias="establishedSince")


class BGPSessionState(_Object):
    """One BGP session of one node (spec §1.4, §7.2)."""

    kind: Literal["BGPSessionState"] = "BGPSessionState"
    spec: dict[str, Any] = Field(default_factory=dict)
    status: BGPSessionStateStatus = Field(default_factory=BGPSessionStateStatus)


LogLevel = Literal["all", "debug", "info", "warn", "error", "none"]


class FRRK8sConfigurationSpec(Strict):
    log_level: LogLevel | None = Field(default=None, alias="logLevel")


class FRRK8sConfiguration(_Object):
    """Only the one named `config` in the agent's namespace is honoured (spec §1.5)."""

    kind: Literal["FRRK8sConfiguration"] = "FRRK8sConfiguration"
    spec: FRRK8sConfigurationSpec = Field(default_factory=FRRK8sConfigurationSpec)
    status: dict[str, Any] = Field(default_factory=dict)
