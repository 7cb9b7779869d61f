"""MetalLB inside the embedded agent: objects and Services in, `metallb-<node>` out.

`MetalLBStage.apply(resources)` runs MetalLB's controller (IP allocation, §2.1) and this node's
speaker (§2.2-2.8, frr-k8s mode §4) on the objects of one snapshot and returns the snapshot
with the FRRConfiguration MetalLB would write added, so the agent's pipeline consumes it like
any other owner's object and never learns that MetalLB exists. Like MetalLB, an invalid
MetalLB configuration is never used: the last good result stays (and its errors are reported);
once the node had an object, it keeps one (empty when nothing is left), as upstream.

The agent runs the stage on every snapshot, most of which change nothing MetalLB reads (another
node's FRRConfiguration). The directory source hands back the same Python objects for unchanged
files, so a pass whose inputs (MetalLB's objects, Secrets, Nodes) are all the very objects of
the previous pass returns the previous result without computing it, and a result equal to the
previous one is the previous object: the pipeline's per-object cache keeps its work for
`metallb-<node>` (`frrnode.pipeline.cache`).
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from frrnode.api.loader import Resources, load_paths
from frrnode.api.v1beta1 import FRRConfiguration
from frrnode.errors import ConfigError, ConfigErrors, Location
from frrnode.metallb import frrk8s
from frrnode.metallb.allocator import Allocation, Key, allocate, previous_ips
from frrnode.metallb.api import KINDS
from frrnode.metallb.config import BFD, Config, Peer, Pool, parse
from frrnode.metallb.resources import MetalLBResources, Settings
from frrnode.metallb.sessions import SessionState
from frrnode.metallb.speaker import Announcement, announce, handles
from frrnode.model import ObjectRef

log = logging.getLogger(__name__)


@dataclass
class StageState:
    """What the stage knows after a pass; read by its status files and metrics."""

    node: str
    controller_errors: list[ConfigError] = field(default_factory=list)
    speaker_errors: list[ConfigError] = field(default_factory=list)
    pools: dict[str, Pool] = field(default_factory=dict)
    allocations: dict[Key, Allocation] = field(default_factory=dict)
    peers: tuple[Peer, ...] = ()
    bfd_profiles: dict[str, BFD] = field(default_factory=dict)
    announcements: list[Announcement] = field(default_factory=list)
    sessions: SessionState = field(default_factory=SessionState)
    configuration: dict[str, Any] | None = None
    """The FRRConfiguration MetalLB writes for the node (None: it writes none)."""
    passes: int = 0
    """Passes computed (a pass with the previous pass's inputs reuses its result: not counted)."""
    loaded: bool = False
    """A MetalLB configuration was accepted at least once."""
    updates: int = 0
    """Passes over changed objects (`metallb_k8s_client_updates_total`)."""
    update_errors: int = 0
    """Passes that failed: a configuration refused, or (Kubernetes mode) a write the API server
    did not take (`metallb_k8s_client_update_errors_total`)."""

    @property
    def valid(self) -> bool:
        return not self.controller_errors and not self.speaker_errors


def load(paths: Sequence[str | Path]) -> Resources:
    """Load manifests with MetalLB's kinds (they land in `Resources.extra`)."""
    return load_paths(paths, extra_kinds=KINDS)


class MetalLBStage:
    """One node's MetalLB (controller + speaker), kept across snapshots by the agent."""

    def __init__(
        self,
        node: str,
        settings: Settings,
        previous: dict[Key, tuple[str, ...]] | None = None,
        allocate: bool = True,
    ):
        """`allocate=False`: a speaker only (Kubernetes mode): the Services' IPs are what their
        status says, as written by the cluster's one controller."""
        self.node = node
        self.settings = settings
        self.allocate = allocate
        self.state = StageState(node)
        self._previous: dict[Key, tuple[str, ...]] = dict(previous or {})
        self._pools: dict[str, Pool] | None = None
        self._node_config: Config | None = None
        self._written = False
        self._inputs: tuple[object, ...] | None = None
        self._output: FRRConfiguration | None = None

    # -- controller ----------------------------------------------------------------------------
    def _allocate(self, res: MetalLBResources) -> dict[Key, Allocation]:
        if not self.allocate:
            return {
                (s.metadata.namespace, s.metadata.name): Allocation(previous_ips(s))
                for s in res.services
                if handles(s, self.settings)
            }
        config, errors = parse(res, self.settings)
        self.state.controller_errors = errors
        if config is not None:
            self._pools = dict(config.pools)
        elif errors:
            log.error("MetalLB configuration rejected, keeping the last good one: %s", ConfigErrors(errors))
        services = [s for s in res.services if handles(s, self.settings)]
        previous: dict[Key, tuple[str, ...]] = {}
        for service in services:
            key = (service.metadata.namespace, service.metadata.name)
            previous[key] = self._previous.get(key) or previous_ips(service)
        allocations = allocate(self._pools or {}, services, previous)
        self._previous = {k: a.ips for k, a in allocations.items() if a.ips}
        self.state.pools = dict(self._pools or {})
        return allocations

    # -- speaker -------------------------------------------------------------------------------
    def apply(self, resources: Resources) -> Resources:
        """The snapshot with MetalLB's FRRConfiguration for this node added (frr-k8s mode)."""
        inputs = (*resources.extra, *resources.secrets, *resources.nodes)
        self.state.updates += 1
        previous = self._inputs
        if previous is not None and len(previous) == len(inputs) and all(map(operator.is_, inputs, previous)):
            return resources if self._output is None else _with_object(resources, self._output)
        self._output = self._compute(resources)
        self._inputs = inputs
        return resources if self._output is None else _with_object(resources, self._output)

    def _compute(self, resources: Resources) -> FRRConfiguration | None:
        """MetalLB's object for this node (None: none is written); updates `state`."""
        self.state.passes += 1
        res = MetalLBResources.from_resources(resources, self.settings)
        allocations = self._allocate(res)
        self.state.allocations = allocations
        config, errors = parse(res, self.settings, self.node)
        self.state.speaker_errors = errors
        self.state.update_errors += bool(errors or self.state.controller_errors)
        if config is not None:
            self._node_config = config
            self.state.loaded = True
        elif errors:
            log.error(
                "MetalLB speaker configuration rejected, keeping the last good one: %s", ConfigErrors(errors)
            )
        if self._node_config is None:
            self.state.announcements, self.state.peers = [], ()
            return None
        assigned = {k: a.ips for k, a in allocations.items()}
        sessions, decisions = announce(self._node_config, res, self.node, self.settings, assigned)
        self.state.sessions, self.state.announcements = sessions, decisions
        self.state.peers = self._node_config.peers
        self.state.bfd_profiles = dict(self._node_config.bfd_profiles)
        if sessions.empty and not self._written:
            self.state.configuration = None
            return None
        self._written = True
        obj = frrk8s.configuration(sessions, self.node, self.settings.frrk8s_namespace)
        if obj == self.state.configuration and self._output is not None:
            return self._output  # the same object as before: the pipeline's cache still holds
        self.state.configuration = obj
        return frrk8s.to_object(obj)


def with_configuration(resources: Resources, obj: dict[str, Any]) -> Resources:
    """`resources` plus MetalLB's object, replacing a manifest of the same name (MetalLB reverts
    manual edits of `metallb-<node>`, spec §4.7)."""
    return _with_object(resources, frrk8s.to_object(obj))


def _with_object(resources: Resources, cfg: FRRConfiguration) -> Resources:
    ref = ObjectRef("FRRConfiguration", cfg.metadata.namespace, cfg.metadata.name)
    kept = [
        c
        for c in resources.configurations
        if not (c.metadata.name == ref.name and c.metadata.namespace in (ref.namespace, ""))
    ]
    locations = dict(resources.locations)
    # Errors about it (a conflict with a user's object) say where it comes from.
    locations[ref] = Location("<written by MetalLB from its objects>")
    return replace(resources, configurations=[*kept, cfg], locations=locations)
