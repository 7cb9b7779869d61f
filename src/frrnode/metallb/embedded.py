"""Wiring MetalLB into the embedded agent: the directory source's loader.

The agent's pipeline never sees MetalLB: the source's loader runs the stage on every snapshot
and hands over the resources with `metallb-<node>` added; status files are written as a side
effect of each pass (like MetalLB's controller and speaker writing to the API).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
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


def loader(stage: MetalLBStage, writer: StatusWriter | None) -> Callable[[Sequence[Path]], Resources]:
    def load(paths: Sequence[Path]) -> Resources:
        resources = stage.load(paths)
        if writer is not None:
            try:
                writer.write(stage.state)
            except OSError:
                log.exception("writing MetalLB status failed")
        return resources

    return load
