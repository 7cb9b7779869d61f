"""`frrnode validate` for MetalLB objects, and what `frrnode metallb render` computes.

What MetalLB's webhooks and parser refuse (the whole configuration, then each Node's view of
it), objects outside MetalLB's namespace, and the FRRConfiguration each Node would get, so
that `validate` can also merge it with the other owners' objects selecting that Node (a user
object giving a MetalLB peer another ASN is a conflict the webhooks never see).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from frrnode.api.loader import Resources
from frrnode.errors import ConfigError
from frrnode.metallb import native
from frrnode.metallb.config import foreign_errors, parse
from frrnode.metallb.resources import MetalLBResources, Settings
from frrnode.metallb.stage import MetalLBStage, with_configuration


@dataclass
class Report:
    errors: list[ConfigError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Node -> the FRRConfiguration MetalLB writes for it."""
    counts: str = ""

    def add(self, errors: list[ConfigError], resources: Resources) -> None:
        seen = {str(e) for e in self.errors}
        for error in errors:
            if str(error) not in seen:
                if not str(error.location):
                    error.location = resources.location(error.obj)
                seen.add(str(error))
                self.errors.append(error)


def check(resources: Resources, settings: Settings) -> tuple[Report, Resources]:
    """Every MetalLB problem in `resources`, and `resources` plus each Node's MetalLB object."""
    res = MetalLBResources.from_resources(resources, settings)
    report = Report()
    report.counts = (
        f"{len(res.pools)} IPAddressPool(s), {len(res.advertisements)} BGPAdvertisement(s), "
        f"{len(res.peers)} BGPPeer(s), {len(res.services)} Service(s)"
    )
    if res.empty and not res.foreign and res.extras is None:
        return report, resources
    report.warnings = warnings(res, settings)
    report.add(foreign_errors(res, settings), resources)
    report.add(parse(res, settings)[1], resources)
    out = resources
    for name in sorted(res.nodes):
        stage = MetalLBStage(name, settings)
        stage.apply(resources)
        report.add(stage.state.speaker_errors, resources)
        if stage.state.configuration is not None:
            report.objects[name] = stage.state.configuration
            out = with_configuration(out, stage.state.configuration)
    return report, out


def warnings(res: MetalLBResources, settings: Settings) -> list[str]:
    """What MetalLB accepts but ignores: `disableMP` (deprecated; unlike MetalLB's webhook, the
    warning does not skip the other checks, quirk Q1) and, in frr-k8s mode, `sourceAddress` and
    `localASN`, which MetalLB does not copy into the FRRConfiguration (quirk Q3)."""
    out = []
    for peer in res.peers:
        where = f"BGPPeer/{peer.metadata.namespace}/{peer.metadata.name}"
        if peer.spec.disable_mp:
            out.append(f"{where} spec.disableMP: deprecated, it has no effect")
        if settings.mode == "frr-k8s":
            for field_name, value in (
                ("sourceAddress", peer.spec.source_address),
                ("localASN", peer.spec.local_asn),
            ):
                if value:
                    out.append(
                        f"{where} spec.{field_name}: ignored in frr-k8s mode (MetalLB does not write it)"
                    )
    return out


def render_native(
    resources: Resources, settings: Settings, node: str, hostname: str
) -> tuple[str, list[ConfigError]]:
    """Native mode's frr.conf for `node` (bgpextras appended), or the problems."""
    stage = MetalLBStage(node, settings)
    stage.apply(resources)
    errors = stage.state.controller_errors + stage.state.speaker_errors
    if errors:
        return "", errors
    unsafe = native.unsafe_values(stage.state.sessions)
    if unsafe:
        return "", [ConfigError(p) for p in unsafe]
    return native.render(stage.state.sessions, hostname, native.frr_log_level(settings.log_level)), []
