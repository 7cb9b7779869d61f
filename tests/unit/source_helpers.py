"""Runs a real `DirectorySource` (inotify and all) on its own event loop thread for tests."""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any

from frrnode.agent.sources import DirectorySource, Snapshot
from frrnode.api.loader import Resources


class RunningSource:
    def __init__(self, source: DirectorySource):
        self.source = source
        self.snapshots: queue.Queue[Snapshot] = queue.Queue()
        self.error: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    async def _collect(self) -> None:
        async for snapshot in self.source.snapshots():
            self.snapshots.put(snapshot)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._task = self._loop.create_task(self._collect())
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            self.error = exc

    def __enter__(self) -> RunningSource:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=10)
        if self.error is not None:
            raise self.error

    def next(self, timeout: float = 10.0) -> Snapshot:
        try:
            return self.snapshots.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no snapshot within {timeout}s (source error: {self.error!r})") from None

    def drain(self, quiet: float) -> list[Snapshot]:
        """Every snapshot until none came for `quiet` seconds."""
        out = []
        while True:
            try:
                out.append(self.snapshots.get(timeout=quiet))
            except queue.Empty:
                return out

    def wait_for(self, check: Any, timeout: float = 10.0) -> tuple[Snapshot, float]:
        """The first snapshot for which `check(snapshot)` is true, and how long it took."""
        start = time.monotonic()
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                raise AssertionError(f"no matching snapshot within {timeout}s")
            snapshot = self.next(left)
            if check(snapshot):
                return snapshot, time.monotonic() - start


def names(snapshot: Snapshot) -> list[str]:
    """The FRRConfiguration names of a snapshot (sorted); fails on an error snapshot."""
    assert snapshot.resources is not None, [str(e) for e in snapshot.errors]
    return sorted(c.metadata.name for c in snapshot.resources.configurations)


def asns(resources: Resources | None) -> dict[str, int]:
    assert resources is not None
    return {
        c.metadata.name: c.spec.bgp.routers[0].neighbors[0].asn or 0
        for c in resources.configurations
        if c.spec.bgp.routers and c.spec.bgp.routers[0].neighbors
    }


def write_atomic(path: Path, text: str) -> None:
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_text(text)
    os.rename(tmp, path)
