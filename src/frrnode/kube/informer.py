"""Informers: a cache kept equal to the API server's view of one kind by list + watch.

The loop is client-go's reflector: list (in pages) and replace the store, then watch from the
list's resourceVersion; BOOKMARK events only move the resourceVersion forward; a watch the
server ends normally resumes from the last version at once; a dropped or failed watch resumes
after a backoff with jitter; 410 Gone (the version was compacted) means list again. A relist
replaces the store in one step, after the last page arrived, so nobody ever sees a half-listed
world. `synced` is set once the first list is in (and cleared while a requested relist runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from frrnode.agent.runner import Backoff
from frrnode.kube.client import Gone
from frrnode.kube.resources import key_of, resource_version_of

log = logging.getLogger(__name__)


class ListWatcher(Protocol):
    list_resource_version: str

    def describe(self) -> str: ...
    def list(self) -> AsyncIterator[dict[str, Any]]: ...
    def watch(self, resource_version: str) -> AsyncIterator[tuple[str, dict[str, Any]]]: ...


class Store(Protocol):
    """What an informer fills. `commit` and `apply` say whether anything that matters changed."""

    def begin(self) -> None: ...
    def stage(self, obj: dict[str, Any]) -> None: ...
    def commit(self) -> bool: ...
    def apply(self, event: str, obj: dict[str, Any]) -> bool: ...


@dataclass
class InformerStats:
    lists: int = 0
    watches: int = 0
    gone: int = 0
    errors: int = 0
    events: int = 0
    bookmarks: int = 0


class Informer:
    def __init__(
        self,
        lw: ListWatcher,
        store: Store,
        on_change: Callable[[], None] = lambda: None,
        backoff: Backoff | None = None,
    ):
        self.lw = lw
        self.store = store
        self.on_change = on_change
        self.backoff = backoff or Backoff(initial=0.2, maximum=8.0)
        self.synced = asyncio.Event()
        self.resource_version = ""
        self.stats = InformerStats()
        self._relist = asyncio.Event()

    @property
    def name(self) -> str:
        return self.lw.describe()

    def request_relist(self) -> None:
        """Rebuild the cache from a fresh list (unsynced until it is in)."""
        self.synced.clear()
        self._relist.set()

    async def run(self) -> None:
        while True:
            self._relist.clear()
            if not await self._list():
                await asyncio.sleep(self.backoff.next())
                continue
            await self._watch_until_relist()

    async def _list(self) -> bool:
        self.store.begin()
        try:
            async for obj in self.lw.list():
                self.store.stage(obj)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure: the old cache stays as it was
            self.stats.errors += 1
            log.warning("listing %s failed: %s", self.name, exc)
            return False
        self.stats.lists += 1
        self.resource_version = self.lw.list_resource_version
        changed = self.store.commit()
        first = not self.synced.is_set()
        self.synced.set()
        log.info("listed %s at resourceVersion %s", self.name, self.resource_version)
        if changed or first:
            self.on_change()
        return True

    async def _watch_until_relist(self) -> None:
        while not self._relist.is_set():
            watch = asyncio.ensure_future(self._watch_once())
            relist = asyncio.ensure_future(self._relist.wait())
            try:
                await asyncio.wait({watch, relist}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                relist.cancel()
                if not watch.done():
                    watch.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watch
            if self._relist.is_set() or watch.cancelled():
                return
            exc = watch.exception()
            if isinstance(exc, Gone):
                self.stats.gone += 1
                log.info("%s: resourceVersion %s is gone, listing again", self.name, self.resource_version)
                return
            if exc is not None:
                self.stats.errors += 1
                delay = self.backoff.next()
                log.warning(
                    "watching %s failed (%s); resuming in %.1fs",
                    self.name,
                    str(exc) or type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _watch_once(self) -> None:
        self.stats.watches += 1
        async for event, obj in self.lw.watch(self.resource_version):
            version = resource_version_of(obj)
            if event == "BOOKMARK":
                self.stats.bookmarks += 1
            elif event in ("ADDED", "MODIFIED", "DELETED"):
                self.stats.events += 1
                changed = self.store.apply(event, obj)
                log.debug("%s: %s %s/%s %s%s", self.name, event, *key_of(obj), version, " changed" * changed)
                if changed:
                    self.on_change()
            self.backoff.reset()
            if version:
                self.resource_version = version
