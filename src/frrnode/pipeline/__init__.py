"""From API objects to one node's `NodeConfig`: select, translate (validate), merge.

`build_node_config` is the one entry point of the agent, the CLI and the tests. Every object
is translated on its own (so all of its errors are reported), then the valid ones are
merged (so conflicts are reported too); nothing is rendered from a partial result.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from frrnode.api.core import Secret
from frrnode.api.loader import Resources
from frrnode.api.v1beta1 import FRRConfiguration
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.model import FRRLogLevel, NodeConfig
from frrnode.pipeline.cache import PipelineCache
from frrnode.pipeline.index import ConfigIndex
from frrnode.pipeline.merge import merge
from frrnode.pipeline.select import node_labels, select
from frrnode.pipeline.translate import ConfigFragment, ref_of, translate_configuration
from frrnode.pipeline.values import hostname_problem

__all__ = [
    "ConfigIndex",
    "PipelineCache",
    "Settings",
    "build_node_config",
    "frr_log_level",
    "router_id_from_hostname",
    "validate_all",
    "warnings",
]

DEFAULT_NAMESPACE = "frr-k8s-system"

_FRR_LEVELS: dict[str, FRRLogLevel] = {
    "all": "debugging",
    "debug": "debugging",
    "info": "informational",
    "warn": "warnings",
    "error": "errors",
    "none": "emergencies",
}


@dataclass(frozen=True)
class Settings:
    """What the result depends on besides the API objects (agent flags and host facts)."""

    node_name: str
    hostname: str | None = None
    """Defaults to `node_name` (upstream uses the pod's hostname: with host networking, the node's)."""
    namespace: str = DEFAULT_NAMESPACE
    always_block: tuple[str, ...] = ()
    log_level: str = "info"
    """frr-k8s level; the FRRK8sConfiguration named `config` in `namespace` overrides it."""
    node_labels: Mapping[str, str] | None = None
    """Overrides/extends the labels of the Node object found (if any); `kubernetes.io/hostname`
    defaults to `node_name`, as the kubelet sets it."""
    node_has_ipv4: bool = True
    """False -> routers without an `id` get the CRC-32 router id of the hostname (spec §4.5)."""


def frr_log_level(level: str) -> FRRLogLevel:
    """frr-k8s level -> FRR level (spec §4.13); anything unknown is `informational`, as upstream."""
    return _FRR_LEVELS.get(level, "informational")


def router_id_from_hostname(hostname: str) -> str:
    """CRC-32 (IEEE) of the hostname, little-endian, as a dotted quad (`dummyhostname` -> 167.62.253.30)."""
    return socket.inet_ntoa(struct.pack("<I", zlib.crc32(hostname.encode())))


def _secrets(resources: Resources, namespace: str) -> dict[str, Secret]:
    return {s.metadata.name: s for s in resources.secrets if s.metadata.namespace in ("", namespace)}


def _located(errors: list[ConfigError], resources: Resources) -> list[ConfigError]:
    for error in errors:
        if not str(error.location):
            error.location = resources.location(error.obj)
    return errors


def _always_block(cidrs: tuple[str, ...]) -> tuple[tuple[str, ...], list[ConfigError]]:
    v4: set[ipaddress.IPv4Network] = set()
    v6: set[ipaddress.IPv6Network] = set()
    errors: list[ConfigError] = []
    for index, text in enumerate(cidrs):
        try:
            if "%" in text:  # an IPv6 zone: Python accepts any text after it
                raise ValueError
            network = ipaddress.ip_network(text.strip(" "), strict=False)  # upstream trims spaces
        except ValueError:
            errors.append(ConfigError(f"invalid always-block CIDR {text!r}", path=f"always_block[{index}]"))
            continue
        if isinstance(network, ipaddress.IPv4Network):
            v4.add(network)
        else:
            v6.add(network)
    return tuple([str(n) for n in sorted(v4)] + [str(n) for n in sorted(v6)]), errors


def _log_level(resources: Resources, settings: Settings) -> FRRLogLevel:
    for cfg in resources.frrk8s_configurations:
        ours = cfg.metadata.name == "config" and cfg.metadata.namespace in ("", settings.namespace)
        if ours and cfg.spec.log_level:
            return frr_log_level(cfg.spec.log_level)
    return frr_log_level(settings.log_level)


def _translate_all(
    configs: list[FRRConfiguration],
    secrets: Mapping[str, Secret],
    namespace: str,
    cache: PipelineCache | None,
) -> tuple[list[ConfigFragment], list[ConfigError]]:
    ordered = sorted(configs, key=ref_of)
    if cache is not None:
        results = cache.translate_all(ordered, secrets, namespace)
    else:
        results = [translate_configuration(config, secrets, namespace) for config in ordered]
    fragments: list[ConfigFragment] = []
    errors: list[ConfigError] = []
    for frag, problems in results:
        if problems:
            errors += problems
        else:
            fragments.append(frag)
    return fragments, errors


def build_node_config(
    resources: Resources, settings: Settings, cache: PipelineCache | None = None
) -> NodeConfig:
    """The merged, resolved, sorted configuration of one node. Raises `ConfigErrors` with every problem.

    With no configuration selecting the node, the result has no routers (globals only). Only
    the objects selecting the node are translated (an invalid one that does not select it is
    not this node's problem; an invalid selector is). `cache` (one per node, kept between
    calls) reuses the per-object results of objects unchanged since the last call.
    """
    errors: list[ConfigError] = []
    hostname = settings.hostname or settings.node_name
    problem = hostname_problem(hostname)
    if problem:
        errors.append(ConfigError(f"invalid hostname {hostname!r}: {problem}", path="hostname"))
    always_block, block_errors = _always_block(settings.always_block)
    errors += block_errors

    labels = node_labels(resources.nodes, settings.node_name, settings.node_labels)
    if cache is not None:
        chosen, select_errors = cache.select(resources.configurations, labels, settings.namespace)
    else:
        chosen, select_errors = select(resources.configurations, labels, settings.namespace)
    errors += select_errors
    fragments, translate_errors = _translate_all(
        chosen, _secrets(resources, settings.namespace), settings.namespace, cache
    )
    errors += translate_errors
    merged, merge_errors = merge(fragments)
    errors += merge_errors
    if errors:
        raise ConfigErrors(_located(errors, resources))

    routers = merged.routers
    if not settings.node_has_ipv4:
        fallback = router_id_from_hostname(hostname)
        routers = tuple(r if r.router_id else replace(r, router_id=fallback) for r in routers)
    return NodeConfig(
        hostname=hostname,
        log_level=_log_level(resources, settings),
        always_block=always_block,
        routers=routers,
        bfd_profiles=merged.bfd_profiles,
        raw=merged.raw,
        sources=merged.sources,
    )


def validate_all(resources: Resources, namespace: str = DEFAULT_NAMESPACE) -> list[ConfigError]:
    """Every problem in `resources`: each FRRConfiguration alone (all namespaces, as the webhook),
    then, for every Node found, the merge of the agent namespace's objects selecting it. Without
    any Node, the objects with an empty selector (which select every node) are merged instead.

    Missing Secrets come back as `transient` errors (the agent would retry, not fail). Linear in
    the number of objects: nodes and selectors are indexed (`frrnode.pipeline.index`), each
    distinct selector is matched once.
    """
    errors: list[ConfigError] = []
    seen: set[str] = set()

    def add(found: list[ConfigError]) -> None:
        for error in _located(found, resources):
            if str(error) not in seen:
                seen.add(str(error))
                errors.append(error)

    index = ConfigIndex(namespace)
    for secret in resources.secrets:
        index.upsert_secret(secret)
    for node in resources.nodes:
        index.upsert_node(node)
    for config in sorted(resources.configurations, key=ref_of):
        add(index.upsert(config))
    for _, refs in index.node_groups():
        add(index.conflicts(refs))
    return errors


def warnings(resources: Resources) -> list[str]:
    """Non-fatal remarks upstream's webhook makes: `disableMP` is deprecated and ignored (spec §2.2)."""
    out: list[str] = []
    for config in sorted(resources.configurations, key=ref_of):
        for rindex, router in enumerate(config.spec.bgp.routers):
            for nindex, neighbor in enumerate(router.neighbors):
                if neighbor.disable_mp:
                    out.append(
                        f"{ref_of(config)} spec.bgp.routers[{rindex}].neighbors[{nindex}].disableMP: "
                        "disableMP is deprecated, is ignored and will be removed in a future release"
                    )
    return out
