"""The agent's caches of API objects, each filled by an informer.

Memory stays flat in the number of FRRConfigurations that do not select this node: for those
`SelectedConfigs` keeps only the identity and the (interned) selector, which is all it needs
to notice that one starts selecting the node. When the Node's labels change, every selector is
evaluated again; if an object whose body was dropped now selects the node, the cache asks its
informer for a relist (and is unsynced until then), so no snapshot is ever built without it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from frrnode.api.core import BASIC_AUTH
from frrnode.api.v1beta1 import LabelSelector
from frrnode.kube.resources import API_VERSION, key_of, labels_of, meta, name_of
from frrnode.pipeline.select import matches, selector_errors

Key = tuple[str, str]


def _slim_meta(obj: dict[str, Any]) -> dict[str, Any]:
    """The metadata the pipeline reads (managedFields and the like can be large)."""
    m = meta(obj)
    keep = ("name", "namespace", "labels", "generation", "resourceVersion", "uid")
    return {k: m[k] for k in keep if k in m}


class ObjectStore:
    """Objects by (namespace, name), each reduced by `slim`; a change is a change of the slim form."""

    def __init__(self, slim: Callable[[dict[str, Any]], dict[str, Any]]):
        self.slim = slim
        self.objects: dict[Key, dict[str, Any]] = {}
        self._staged: dict[Key, dict[str, Any]] = {}

    def begin(self) -> None:
        self._staged = {}

    def stage(self, obj: dict[str, Any]) -> None:
        self._staged[key_of(obj)] = self.slim(obj)

    def commit(self) -> bool:
        changed = self._staged != self.objects
        self.objects, self._staged = self._staged, {}
        return changed

    def apply(self, event: str, obj: dict[str, Any]) -> bool:
        key = key_of(obj)
        if event == "DELETED":
            return self.objects.pop(key, None) is not None
        slim = self.slim(obj)
        if self.objects.get(key) == slim:
            return False
        self.objects[key] = slim
        return True


def slim_node(obj: dict[str, Any]) -> dict[str, Any]:
    """A Node is its name and labels: status heartbeats must not wake the agent."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name_of(obj), "labels": labels_of(obj)}}


def slim_secret(obj: dict[str, Any]) -> dict[str, Any]:
    """Only basic-auth Secrets keep their data (the only kind a neighbor may use; the type is
    kept for the others so that a wrong reference is reported as such)."""
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": _slim_meta(obj)}
    out["type"] = obj.get("type") or "Opaque"
    if out["type"] == BASIC_AUTH:
        out["data"] = dict(obj.get("data") or {})
    return out


def slim_object(obj: dict[str, Any], kind: str = "FRRConfiguration") -> dict[str, Any]:
    """An FRRConfiguration or FRRK8sConfiguration as the pipeline reads it (list items of
    some servers carry no apiVersion/kind: they are set here)."""
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": _slim_meta(obj),
        "spec": copy.deepcopy(obj.get("spec") or {}),
    }


class _Selector:
    """A parsed nodeSelector; `None` model when it cannot be evaluated (the pipeline reports why)."""

    __slots__ = ("model",)

    def __init__(self, model: LabelSelector | None):
        self.model = model

    def selects(self, labels: Mapping[str, str]) -> bool:
        return self.model is None or matches(self.model, labels)


class SelectedConfigs:
    """FRRConfigurations of the agent namespace: full bodies only for those selecting the node.

    `labels` are the node's labels (`set_labels` when they change). An object with a selector
    that cannot be parsed is kept whole: it cannot be said not to select the node, and the
    pipeline must report it.
    """

    def __init__(self, labels: Mapping[str, str] | None = None):
        self.labels: dict[str, str] = dict(labels or {})
        self.selectors: dict[Key, _Selector] = {}
        self.bodies: dict[Key, dict[str, Any]] = {}
        self.missing_bodies = False
        """Set when a label change made an object select the node whose body was dropped."""
        self._interned: dict[str, _Selector] = {}
        self._staged: tuple[dict[Key, _Selector], dict[Key, dict[str, Any]]] | None = None

    def _selector(self, obj: dict[str, Any]) -> _Selector:
        raw = (obj.get("spec") or {}).get("nodeSelector") or {}
        text = json.dumps(raw, sort_keys=True)
        found = self._interned.get(text)
        if found is None:
            try:
                model: LabelSelector | None = LabelSelector.model_validate(raw)
            except ValidationError:
                model = None
            if model is not None and selector_errors(model):
                model = None
            found = _Selector(model)
            self._interned[text] = found
        return found

    def _add(
        self, selectors: dict[Key, _Selector], bodies: dict[Key, dict[str, Any]], obj: dict[str, Any]
    ) -> None:
        key = key_of(obj)
        selector = self._selector(obj)
        selectors[key] = selector
        if selector.selects(self.labels):
            bodies[key] = slim_object(obj)
        else:
            bodies.pop(key, None)

    def begin(self) -> None:
        self._staged = ({}, {})

    def stage(self, obj: dict[str, Any]) -> None:
        assert self._staged is not None
        self._add(*self._staged, obj)

    def commit(self) -> bool:
        assert self._staged is not None
        selectors, bodies = self._staged
        self._staged = None
        # The labels may have changed while the pages came in: judge every object by the current ones.
        self.missing_bodies = False
        for key, selector in selectors.items():
            if not selector.selects(self.labels):
                bodies.pop(key, None)
            elif key not in bodies:
                self.missing_bodies = True
        changed = bodies != self.bodies
        self.selectors, self.bodies = selectors, bodies
        self._gc_interned()
        return changed

    def apply(self, event: str, obj: dict[str, Any]) -> bool:
        key = key_of(obj)
        if event == "DELETED":
            self.selectors.pop(key, None)
            return self.bodies.pop(key, None) is not None
        before = self.bodies.get(key)
        self._add(self.selectors, self.bodies, obj)
        return self.bodies.get(key) != before

    def set_labels(self, labels: Mapping[str, str]) -> bool:
        """Re-evaluate every selector; True when the selected set changed. Bodies that are now
        needed but were dropped set `missing_bodies` (the caller relists)."""
        if dict(labels) == self.labels:
            return False
        self.labels = dict(labels)
        changed = False
        for key, selector in self.selectors.items():
            if selector.selects(self.labels):
                if key not in self.bodies:
                    self.missing_bodies = changed = True
            elif self.bodies.pop(key, None) is not None:
                changed = True
        return changed

    def _gc_interned(self) -> None:
        live = {id(s) for s in self.selectors.values()}
        self._interned = {k: s for k, s in self._interned.items() if id(s) in live}
