"""Storage with etcd-like revisions: one global resourceVersion counter, a bounded event history
per resource (the watch cache), watchers fed from it, and compaction (410 Gone for older RVs).

Objects are plain JSON dicts. Callers get references to stored objects from `get`/`items`
and must copy before changing them; `put` stores the dict it is given.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from frrnode.lab.apiserver.status import gone

JSON = dict[str, Any]
Key = tuple[str, str]  # (group, plural)


@dataclass(frozen=True)
class Event:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    obj: JSON
    old: JSON | None


@dataclass(eq=False)
class Watcher:
    """One watch stream. `accepts` decides whether an object is in the watch's selection; an
    object that leaves it is reported DELETED and one that enters it ADDED, as the watch cache."""

    accepts: Callable[[JSON], bool]
    queue: asyncio.Queue[tuple[str, JSON] | None] = field(default_factory=asyncio.Queue)
    closed: bool = False

    def offer(self, event: Event) -> None:
        if self.closed:
            return
        now = self.accepts(event.obj)
        before = event.old is not None and self.accepts(event.old)
        if event.type == "DELETED":
            if now or before:
                self.queue.put_nowait(("DELETED", event.obj))
        elif now and before:
            self.queue.put_nowait(("MODIFIED", event.obj))
        elif now:
            self.queue.put_nowait(("ADDED", event.obj))
        elif before:
            self.queue.put_nowait(("DELETED", event.obj))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)


class Store:
    def __init__(self, history_limit: int = 10000) -> None:
        self.rv = 1
        self.history_limit = history_limit
        self._objects: dict[Key, dict[tuple[str, str], JSON]] = {}
        self._history: dict[Key, deque[Event]] = {}
        self._floor: dict[Key, int] = {}
        self._watchers: dict[Key, set[Watcher]] = {}
        self._dependents: dict[str, set[tuple[Key, str, str]]] = {}
        """owner uid -> objects whose ownerReferences name it (garbage collection without a scan)."""

    # ------------------------------------------------------------------ reads

    def get(self, key: Key, namespace: str, name: str) -> JSON | None:
        return self._objects.get(key, {}).get((namespace, name))

    def items(self, key: Key, namespace: str | None = None) -> list[JSON]:
        """Objects sorted by namespace then name (the order of etcd keys)."""
        objs = self._objects.get(key, {})
        keys = sorted(k for k in objs if namespace is None or k[0] == namespace)
        return [objs[k] for k in keys]

    def count(self, key: Key) -> int:
        return len(self._objects.get(key, {}))

    # ------------------------------------------------------------------ writes

    def put(self, key: Key, obj: JSON) -> JSON:
        """Create or replace `obj` (its metadata.namespace/name), assigning the next resourceVersion."""
        meta = obj["metadata"]
        ident = (meta.get("namespace", ""), meta["name"])
        objs = self._objects.setdefault(key, {})
        old = objs.get(ident)
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        objs[ident] = obj
        self._index_owners(key, ident, old, obj)
        self._record(key, Event(self.rv, "MODIFIED" if old is not None else "ADDED", obj, old))
        return obj

    def _index_owners(self, key: Key, ident: tuple[str, str], old: JSON | None, new: JSON | None) -> None:
        for obj, add in ((old, False), (new, True)):
            for ref in (obj or {}).get("metadata", {}).get("ownerReferences") or []:
                uid = str(ref.get("uid", ""))
                deps = self._dependents.setdefault(uid, set())
                if add:
                    deps.add((key, *ident))
                else:
                    deps.discard((key, *ident))
                if not deps:
                    del self._dependents[uid]

    def dependents(self, owner_uid: str) -> list[tuple[Key, str, str]]:
        """(resource, namespace, name) of the objects that name `owner_uid` in their ownerReferences."""
        return sorted(self._dependents.get(owner_uid, ()))

    def remove(self, key: Key, namespace: str, name: str) -> JSON | None:
        objs = self._objects.get(key, {})
        old = objs.pop((namespace, name), None)
        if old is None:
            return None
        self._index_owners(key, (namespace, name), old, None)
        self.rv += 1
        final = {**old, "metadata": {**old["metadata"], "resourceVersion": str(self.rv)}}
        self._record(key, Event(self.rv, "DELETED", final, old))
        return final

    def drop_resource(self, key: Key) -> list[JSON]:
        """Delete every object of a resource (its CRD was deleted)."""
        removed = []
        for obj in self.items(key):
            meta = obj["metadata"]
            final = self.remove(key, meta.get("namespace", ""), meta["name"])
            if final is not None:
                removed.append(final)
        return removed

    def _record(self, key: Key, event: Event) -> None:
        hist = self._history.setdefault(key, deque())
        hist.append(event)
        while len(hist) > self.history_limit:
            dropped = hist.popleft()
            self._floor[key] = dropped.rv
        for w in list(self._watchers.get(key, ())):
            w.offer(event)

    # ------------------------------------------------------------------ watch

    def events_since(self, key: Key, rv: int) -> list[Event]:
        """Events of `key` newer than `rv`; 410 Gone when some of them were compacted away."""
        floor = self._floor.get(key, 0)
        if rv < floor:
            raise gone(f"too old resource version: {rv} ({floor})")
        return [e for e in self._history.get(key, ()) if e.rv > rv]

    def floor(self, key: Key) -> int:
        return self._floor.get(key, 0)

    def subscribe(self, key: Key, watcher: Watcher) -> None:
        self._watchers.setdefault(key, set()).add(watcher)

    def unsubscribe(self, key: Key, watcher: Watcher) -> None:
        self._watchers.get(key, set()).discard(watcher)

    def compact(self, rv: int | None = None) -> int:
        """Forget history up to `rv` (default: everything so far); returns the new floor."""
        target = self.rv if rv is None else min(rv, self.rv)
        for key in set(self._history) | set(self._objects):
            hist = self._history.get(key, deque())
            while hist and hist[0].rv <= target:
                hist.popleft()
            self._floor[key] = max(self._floor.get(key, 0), target)
        return target

    def close_watches(self) -> int:
        n = 0
        for watchers in self._watchers.values():
            for w in list(watchers):
                w.close()
                n += 1
            watchers.clear()
        return n
