"""Where the agent's resources come from.

A source yields *full snapshots* (level-driven, like an informer cache resync), never deltas: the
reconciler always recomputes the node's config from everything it knows, so a lost event can never
leave FRR half-updated. A snapshot that failed to load carries the errors instead of resources; the
reconciler reports them and keeps FRR on its last good configuration.

Protocol (kept compatible for other sources, e.g. the Kubernetes one):
- `Snapshot.resources` may hold only the objects that can concern the node (a source that knows
  the node may leave out FRRConfigurations that do not select it, other nodes' Nodes, status
  objects); the pipeline's result must be the same as with everything.
- `Snapshot.notes` (added, default empty): remarks about skipped objects (unknown kinds, other
  namespaces), shown in the node's status. Sources log them once, when they first see them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from frrnode.agent.manifests import ManifestCache, NodeFilter
from frrnode.agent.watch import Change, TreeWatch
from frrnode.api.loader import MANIFEST_SUFFIXES, ExtraKinds, Limits, Resources, walk
from frrnode.errors import ConfigError, ConfigErrors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """Everything a source knows at one moment, or why it could not be read."""

    resources: Resources | None
    errors: tuple[ConfigError, ...] = ()
    taken_at: float = field(default_factory=time.time)
    notes: tuple[str, ...] = ()


class Source(Protocol):
    """Yields a snapshot at start and another after every change, until cancelled."""

    def snapshots(self) -> AsyncIterator[Snapshot]: ...

    def resync(self) -> None:
        """Read everything again from scratch and yield the result soon, even when nothing
        changed (SIGHUP). Called from the event loop that runs `snapshots()`."""
        ...


class DirectorySource:
    """Manifests in a directory (recursively, as kubelet lays out a ConfigMap volume), watched
    with inotify.

    When a change reaches the agent:
    - Atomic changes (a file renamed into place, a deletion, kubelet's `..data` swap, the whole
      directory renamed into place) are read at once.
    - A file written in place or newly created is used only once it has not changed for
      `settle` seconds (at most `settle_max` after its first change); until then the agent
      keeps its previous version (or ignores it, if new), so a half-written file is never applied.
    - A burst of events is read once, when no event came for `quiet` seconds (at most
      `burst_max` after the first): a thousand edits give one or two passes.
    - The directory deleted, or replaced by a rename or a copy: the watch follows the path.
      While it is missing the snapshot is an error (FRR keeps its last good configuration,
      the status says why) — never the empty set.
    - Every `resync` seconds, and at once on `resync()` (SIGHUP), everything is checked again
      (a full walk; stat only: unchanged files are not read) and a snapshot yielded, so the
      reconciler also runs its periodic checks.

    With `node`, snapshots hold only what can concern that node (see `agent.manifests`).
    `extra_kinds` are read too (MetalLB's: `frrnode.metallb.api.KINDS`, into `Resources.extra`;
    `secret_namespaces`: where that package's Secrets are), and `transform` (the MetalLB stage)
    runs on every new snapshot before the reconciler sees it; it may raise `ConfigErrors`.
    """

    def __init__(
        self,
        directory: Path,
        step_ms: int = 200,
        resync: float = 30.0,
        *,
        namespace: str = "",
        node: str | None = None,
        node_labels: Mapping[str, str] | None = None,
        settle: float = 1.0,
        settle_max: float = 10.0,
        burst_max: float = 10.0,
        limits: Limits | None = None,
        extra_kinds: ExtraKinds | None = None,
        secret_namespaces: Iterable[str] = (),
        transform: Callable[[Resources], Resources] | None = None,
    ):
        self.directory = directory
        self.quiet = step_ms / 1000
        self.resync_interval = resync
        self.settle = settle
        self.settle_max = settle_max
        self.burst_max = burst_max
        self.transform = transform
        self.cache = ManifestCache(
            NodeFilter(node, namespace, node_labels, cluster_nodes=bool(extra_kinds)),
            limits,
            extra_kinds=extra_kinds,
            secret_namespaces=secret_namespaces,
        )
        self._root = str(directory)
        self._unsettled: dict[str, tuple[float, float]] = {}
        """path -> (first unsettled change, deadline) of paths still being written."""
        self._last: Snapshot | None = None
        self._missing = False
        self._resync_now = asyncio.Event()

    # ------------------------------------------------------------------ one scan

    def _missing_snapshot(self) -> Snapshot:
        return Snapshot(
            resources=None,
            errors=(
                ConfigError(
                    f"config directory {self.directory} does not exist (deleted or being replaced): "
                    "FRR keeps its last good configuration"
                ),
            ),
        )

    def _walk(self, watch: TreeWatch | None) -> list[str] | None:
        """The manifest files now (None: the directory is missing); (re)installs the watches
        before trusting a listing."""
        files: list[str] = []
        for _ in range(10):
            if not self.directory.is_dir():
                return None
            files, dirs = walk(self._root)
            if watch is None or not watch.sync(dirs):
                break
        return files

    def _refresh(self, files: list[str] | None, scope: set[str] | None = None) -> Snapshot | None:
        """Bring the cache up to date (all files, or only `scope`); the new snapshot, or None
        when nothing changed."""
        if files is None:
            if self._missing and self._last is not None:
                return None
            self._missing = True
            return self._missing_snapshot()
        if self._root in self._unsettled:
            return None  # recreated or overflowed: wait until the whole tree is quiet
        changed = self.cache.refresh(files, skip=self._unsettled, scope=scope)
        if not changed and not self._missing and self._last is not None:
            return None
        self._missing = False
        resources, errors = self.cache.resources()
        notes = tuple(resources.notes)
        if errors:
            return Snapshot(resources=None, errors=tuple(errors), notes=notes)
        if self.transform is not None:
            try:
                resources = self.transform(resources)
            except ConfigErrors as exc:
                return Snapshot(resources=None, errors=tuple(exc.errors), notes=notes)
        return Snapshot(resources=resources, notes=notes)

    def resync(self) -> None:
        """Walk the whole tree at once and yield the result, changed or not (SIGHUP)."""
        log.info("re-reading every manifest under %s", self.directory)
        self._resync_now.set()

    def load(self) -> Snapshot:
        """One full read outside `snapshots()` (tests, one-shot callers): the current snapshot.
        Not to be called while `snapshots()` runs (the cache is not shared across threads)."""
        snapshot = self._refresh(self._walk(None))
        if snapshot is not None:
            self._last = snapshot
        assert self._last is not None
        return self._last

    # ------------------------------------------------------------------ settling

    def _note(self, changes: list[Change], now: float) -> None:
        for change in changes:
            if change.settled:
                inside = change.path + os.sep
                for path in [p for p in self._unsettled if p == change.path or p.startswith(inside)]:
                    del self._unsettled[path]
                continue
            first, _ = self._unsettled.get(change.path, (now, now))
            self._unsettled[change.path] = (first, min(now + self.settle, first + self.settle_max))
            log.debug("%s is being written: waiting for it to settle", change.path)

    def _expire(self, now: float) -> bool:
        done = [p for p, (_, deadline) in self._unsettled.items() if deadline <= now]
        for path in done:
            del self._unsettled[path]
        return bool(done)

    # ------------------------------------------------------------------ the loop

    async def snapshots(self) -> AsyncIterator[Snapshot]:
        watch = TreeWatch(self.directory)
        loop = asyncio.get_running_loop()
        try:
            self._last = await loop.run_in_executor(None, self._refresh, self._walk(watch))
            assert self._last is not None
            yield self._last
            resync_at = time.monotonic() + self.resync_interval
            while True:
                now = time.monotonic()
                wake = min([resync_at, *(d for _, d in self._unsettled.values())])
                # A burst ends in time for the bound of a file that never stops changing.
                burst = min(
                    [
                        self.burst_max,
                        self.settle_max,
                        *(f + self.settle_max - now for f, _ in self._unsettled.values()),
                    ]
                )
                changes = await watch.next(
                    max(0.0, wake - now), self.quiet, max(burst, self.quiet), wake=self._resync_now
                )
                now = time.monotonic()
                self._note(changes, now)
                expired = self._expire(now)
                resync = now >= resync_at or self._resync_now.is_set()
                self._resync_now.clear()
                if not changes and not expired and not resync:
                    continue
                if resync or expired or any(c.structural for c in changes):
                    files, scope = self._walk(watch), None
                else:  # only files changed: look at those, not at the whole tree
                    scope = {c.path for c in changes}
                    files = [p for p in scope if p.endswith(MANIFEST_SUFFIXES) and os.path.isfile(p)]
                snapshot = await loop.run_in_executor(None, self._refresh, files, scope)
                if snapshot is not None:
                    self._last = snapshot
                elif not resync:
                    continue
                resync_at = time.monotonic() + self.resync_interval
                assert self._last is not None
                yield self._last
        finally:
            watch.close()
