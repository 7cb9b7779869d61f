"""Wiring MetalLB into the embedded agent: the directory source's transform.

The agent's pipeline never sees MetalLB: the directory source reads MetalLB's kinds too and runs
the stage on every snapshot, handing over the resources with `metallb-<node>` added; status
files are written as a side effect of each pass (as MetalLB's controller and speaker write to
the API).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from frrnode.api.loader import Resources
from frrnode.metallb.resources import Settings
from frrnode.metallb.stage import MetalLBStage
from frrnode.metallb.status import StatusWriter

log = logging.getLogger(__name__)


def build(node: str, settings: Settings, status_dir: Path | None) -> tuple[MetalLBStage, StatusWriter | None]:
    """The node's stage, starting from the allocations persisted in `status_dir` (if any)."""
    writer = StatusWriter(status_dir, node, settings.namespace) if status_dir is not None else None
    previous = writer.read_allocations() if writer is not None else {}
    return MetalLBStage(node, settings, previous=previous), writer


def transform(stage: MetalLBStage, writer: StatusWriter | None) -> Callable[[Resources], Resources]:
    """`DirectorySource(..., extra_kinds=metallb.api.KINDS, transform=transform(stage, writer))`."""

    def run(resources: Resources) -> Resources:
        passes = stage.state.passes
        resources = stage.apply(resources)
        if writer is not None and stage.state.passes != passes:  # else: the previous pass's result
            try:
                writer.write(stage.state)
            except OSError:
                log.exception("writing MetalLB status failed")
        return resources

    return run
