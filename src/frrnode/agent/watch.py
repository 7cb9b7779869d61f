"""inotify on a manifest directory tree that survives the directory being replaced.

Watched: the root's parent (for the root's own name: deleted, created, renamed into place),
the root and every visible directory below it (symlinked ones too). `sync` is given the
directories found by the latest walk and (re)installs watches, also when a path now names a
different directory (the root replaced by a rename), so the watch follows the *path*, never a
directory moved away.

Each event becomes a `Change` of one visible path, `settled` when the change is complete at
once and `False` when the path may still be being written:
- settled: a rename into place (`mv`, atomic writers, kubelet's `..data` swap), a deletion,
  a new symlink, a metadata change (`touch`), anything on a hidden (`.`) name;
- unsettled: a file written in place or newly created (it may be half-written), a new
  directory (files may be copied into it before its watch exists), the root vanishing (it may
  be `rm -rf` + copy) or an event queue overflow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from asyncinotify import Event, Inotify, Mask, Watch

log = logging.getLogger(__name__)

_TREE = (
    Mask.CREATE
    | Mask.DELETE
    | Mask.MODIFY
    | Mask.CLOSE_WRITE
    | Mask.ATTRIB
    | Mask.MOVED_FROM
    | Mask.MOVED_TO
    | Mask.DELETE_SELF
    | Mask.MOVE_SELF
    | Mask.ONLYDIR
    | Mask.EXCL_UNLINK
)
_PARENT = Mask.CREATE | Mask.DELETE | Mask.MOVED_FROM | Mask.MOVED_TO | Mask.ONLYDIR


@dataclass(frozen=True)
class Change:
    path: str
    settled: bool
    structural: bool = True
    """False for a change of one visible file in a watched directory: only that path needs
    looking at; True when the tree's shape may have changed (directories, hidden names such as
    kubelet's `..data`, the root itself, a queue overflow): the whole tree is walked again."""


class TreeWatch:
    """The watches of one manifest tree; `next()` waits for changes and returns them."""

    def __init__(self, root: Path):
        self.root = root
        self._root = str(root)
        self.inotify = Inotify()
        self._dirs: dict[str, tuple[Watch, tuple[int, int]]] = {}
        self._parent: Watch | None = None
        self._read: asyncio.Task[Event] | None = None
        """The pending read of the next event, kept across timeouts (see `_event`)."""
        self._watch_parent()

    def _watch_parent(self) -> None:
        try:
            self._parent = self.inotify.add_watch(self.root.parent, _PARENT)
        except OSError as exc:
            log.warning(
                "cannot watch %s (the config directory's replacement is seen at resync): %s",
                self.root.parent,
                exc,
            )

    def close(self) -> None:
        if self._read is not None:
            self._read.cancel()
        self.inotify.close()

    def sync(self, dirs: list[str]) -> bool:
        """Watch exactly `dirs` (visible directories of the tree, found by a walk). True when a
        watch was added: the caller walks again, so nothing created before it is missed."""
        added = False
        wanted = set(dirs)
        for path in dirs:
            key = self._key(path)
            if key is None:
                continue
            known = self._dirs.get(path)
            if known is not None and known[1] == key:
                continue
            try:
                watch = self.inotify.add_watch(path, _TREE)
            except OSError as exc:
                log.warning("cannot watch %s (changes there are seen at resync): %s", path, exc)
                continue
            self._dirs[path] = (watch, key)
            added = True
        for path in [p for p in self._dirs if p not in wanted or self._dirs[p][1] != self._key(p)]:
            watch, _ = self._dirs.pop(path)
            if all(w.wd != watch.wd for w, _ in self._dirs.values()):
                with contextlib.suppress(OSError):
                    self.inotify.rm_watch(watch)
        if self._parent is None:
            self._watch_parent()
        return added

    @staticmethod
    def _key(path: str) -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _visible(self, watch: Watch | None) -> list[str]:
        if watch is None:
            return []
        return [p for p, (w, _) in self._dirs.items() if w.wd == watch.wd]

    def classify(self, event: Event) -> list[Change]:
        mask = event.mask
        if Mask.Q_OVERFLOW in mask:
            log.warning("inotify queue overflow: waiting for the directory to settle, then rescanning")
            return [Change(self._root, settled=False)]
        if Mask.IGNORED in mask:
            return []
        watch = event.watch
        if self._parent is not None and watch is not None and watch.wd == self._parent.wd:
            if event.name is None:
                return []
            if str(event.name) != self.root.name:
                return []
            return [Change(self._root, settled=Mask.MOVED_TO in mask)]
        dirs = self._visible(watch)
        if event.name is None:  # the watched directory itself was deleted or moved away
            return [Change(d, settled=False) for d in dirs]
        name = str(event.name)
        hidden, is_dir = name.startswith("."), Mask.ISDIR in mask
        out = []
        for directory in dirs:
            path = os.path.join(directory, name)
            if hidden or mask & (Mask.MOVED_TO | Mask.DELETE | Mask.MOVED_FROM | Mask.ATTRIB):
                settled = True
            elif Mask.CREATE in mask and not is_dir:
                settled = os.path.islink(path)
            else:
                settled = False
            out.append(Change(path, settled, structural=hidden or is_dir))
        return out

    async def next(
        self, timeout: float | None, quiet: float, burst_max: float, wake: asyncio.Event | None = None
    ) -> list[Change]:
        """Changes since the last call: waits up to `timeout` for a first event ([] if none, or
        when `wake` is set first), then keeps collecting until no event came for `quiet`
        seconds, or `burst_max` seconds passed since the first (a continuous stream of edits
        still gets through)."""
        changes: list[Change] = []
        first = await self._event(timeout, wake)
        if first is None:
            return changes
        changes += self.classify(first)
        until = time.monotonic() + burst_max
        while (left := until - time.monotonic()) > 0:
            event = await self._event(min(quiet, left))
            if event is None:
                break
            changes += self.classify(event)
        return changes

    async def _event(self, timeout: float | None, wake: asyncio.Event | None = None) -> Event | None:
        """The next event, or None after `timeout` or once `wake` is set. The read is not
        cancelled on a timeout but kept for the next call: a read cancelled just as it got
        its events (the timeout and the events in one loop turn) would drop them."""
        if self._read is None:
            self._read = asyncio.ensure_future(self.inotify.get())
        read = self._read
        woken = asyncio.ensure_future(wake.wait()) if wake is not None else None
        try:
            await asyncio.wait(
                [read] if woken is None else [read, woken],
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            if woken is not None:
                woken.cancel()
        if not read.done():
            return None
        self._read = None
        return read.result()
