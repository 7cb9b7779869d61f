"""Where the agent's resources come from.

A source yields *full snapshots* (level-driven, like an informer cache resync), never deltas: the
reconciler always recomputes the node's config from everything it knows, so a lost event can never
leave FRR half-updated. A snapshot that failed to load carries the errors instead of resources; the
reconciler reports them and keeps FRR on its last good configuration.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import watchfiles

from frrnode.api.loader import ExtraKinds, Resources, load_paths
from frrnode.errors import ConfigError, ConfigErrors

log = logging.getLogger(__name__)

MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Snapshot:
    """Everything a source knows at one moment, or why it could not be read."""

    resources: Resources | None
    errors: tuple[ConfigError, ...] = ()
    taken_at: float = field(default_factory=time.time)


class Source(Protocol):
    """Yields a snapshot at start and another after every change, until cancelled."""

    def snapshots(self) -> AsyncIterator[Snapshot]: ...


def _is_manifest(change: watchfiles.Change, path: str) -> bool:
    return path.endswith(MANIFEST_SUFFIXES)


class DirectorySource:
    """Manifests in a directory (recursively), watched with inotify through `watchfiles`.

    Editors and deployment tools write files in several steps; `watchfiles` groups the raw
    inotify events of a burst (`step_ms`) and the reconciler coalesces again, so a burst of edits
    gives one reload of the final state. The watch is installed *before* the first load, so a
    file written while the agent starts is never missed; and every `resync` seconds without
    events the directory is read again anyway (a safety net, cheap: an unchanged result does
    not reach FRR).
    """

    def __init__(
        self,
        directory: Path,
        step_ms: int = 50,
        resync: float = 30.0,
        extra_kinds: ExtraKinds | None = None,
        transform: Callable[[Resources], Resources] | None = None,
    ):
        self.directory = directory
        self.step_ms = step_ms
        self.resync = resync
        self.extra_kinds = extra_kinds
        """More kinds to read (MetalLB's: `frrnode.metallb.api.KINDS`), into `Resources.extra`."""
        self.transform = transform
        """Runs on every loaded snapshot before the reconciler sees it (the MetalLB stage)."""

    def load(self) -> Snapshot:
        try:
            resources = load_paths([self.directory], extra_kinds=self.extra_kinds)
            return Snapshot(resources=self.transform(resources) if self.transform else resources)
        except ConfigErrors as exc:
            return Snapshot(resources=None, errors=tuple(exc.errors))
        except OSError as exc:
            return Snapshot(resources=None, errors=(ConfigError(f"cannot read {self.directory}: {exc}"),))

    async def snapshots(self) -> AsyncIterator[Snapshot]:
        self.directory.mkdir(parents=True, exist_ok=True)
        changes = watchfiles.awatch(
            self.directory,
            watch_filter=_is_manifest,
            debounce=self.step_ms,
            step=self.step_ms,
            recursive=True,
            rust_timeout=int(self.resync * 1000),
            yield_on_timeout=True,
        )
        # Advancing the generator creates the inotify watcher synchronously, before its first
        # await: start it, let it run to that await, and only then read the directory.
        pending = asyncio.ensure_future(anext(changes))
        await asyncio.sleep(0.05)
        try:
            yield await asyncio.to_thread(self.load)
            while True:
                batch = await pending
                if batch:
                    log.debug("manifest changes: %s", sorted(p for _, p in batch))
                pending = asyncio.ensure_future(anext(changes))
                yield await asyncio.to_thread(self.load)
        finally:
            pending.cancel()
            await changes.aclose()
