"""The webhook's decision (spec §2.2, reporting like `frrnode validate`), on informer caches.

`AdmissionIndex` is a store for two informers (all Nodes, all FRRConfigurations) feeding the
pipeline's `ConfigIndex`; `review()` answers one AdmissionReview request from it, without
listing anything. As upstream, `passwordSecret` references are not resolved at admission (a
Secret may be created after the object that uses it): the daemon reports a missing Secret.
Every error is reported, each naming the object and field path, conflicts naming both objects.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from frrnode.api.loader import Resources, load_documents
from frrnode.api.v1beta1 import FRRConfiguration
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.kube.cache import Key, slim_node, slim_object
from frrnode.kube.resources import key_of
from frrnode.model import ObjectRef
from frrnode.pipeline import warnings
from frrnode.pipeline.index import ConfigIndex

log = logging.getLogger(__name__)


def without_secret_refs(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` with every neighbor's `passwordSecret` removed (upstream's `Validate` clears them)."""
    out = copy.deepcopy(obj)
    for router in ((out.get("spec") or {}).get("bgp") or {}).get("routers") or []:
        for neighbor in (router or {}).get("neighbors") or []:
            if isinstance(neighbor, dict):
                neighbor.pop("passwordSecret", None)
    return out


def parse_configuration(obj: dict[str, Any]) -> tuple[FRRConfiguration | None, list[ConfigError]]:
    """The pydantic model of a wire object, or its schema errors with field paths."""
    document = json.dumps(slim_object(obj))
    try:
        resources = load_documents(document, file="")
    except ConfigErrors as exc:
        return None, list(exc.errors)
    return resources.configurations[0], []


class _Nodes:
    def __init__(self, index: ConfigIndex):
        self.index = index

    def begin(self) -> None:
        self._staged: dict[str, dict[str, str]] = {}

    def stage(self, obj: dict[str, Any]) -> None:
        slim = slim_node(obj)
        self._staged[slim["metadata"]["name"]] = slim["metadata"]["labels"]

    def commit(self) -> bool:
        for name in self.index.nodes.names():
            if name not in self._staged:
                self.index.remove_node(name)
        for name, labels in self._staged.items():
            self.index.nodes.upsert(name, labels)
        return True

    def apply(self, event: str, obj: dict[str, Any]) -> bool:
        slim = slim_node(obj)
        name = slim["metadata"]["name"]
        if event == "DELETED":
            self.index.remove_node(name)
            return True
        labels = slim["metadata"]["labels"]
        if name in self.index.nodes and self.index.nodes.labels(name) == labels:
            return False
        self.index.nodes.upsert(name, labels)
        return True


class _Configs:
    def __init__(self, index: ConfigIndex):
        self.index = index
        self.refs: dict[Key, ObjectRef] = {}

    def begin(self) -> None:
        self._staged: dict[Key, dict[str, Any]] = {}

    def stage(self, obj: dict[str, Any]) -> None:
        self._staged[key_of(obj)] = obj

    def commit(self) -> bool:
        for key in set(self.refs) - set(self._staged):
            self.index.remove(self.refs.pop(key))
        for obj in self._staged.values():
            self.apply("ADDED", obj)
        self._staged = {}
        return True

    def apply(self, event: str, obj: dict[str, Any]) -> bool:
        key = key_of(obj)
        if event == "DELETED":
            ref = self.refs.pop(key, None)
            if ref is not None:
                self.index.remove(ref)
            return True
        config, problems = parse_configuration(without_secret_refs(obj))
        if config is None:
            log.warning("not indexing %s/%s: %s", *key, "; ".join(map(str, problems)))
            return False
        self.refs[key] = ObjectRef("FRRConfiguration", *key)
        self.index.upsert(config)
        return True


@dataclass
class Verdict:
    allowed: bool
    errors: list[ConfigError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class AdmissionIndex:
    """The caches the webhook answers from."""

    def __init__(self, namespace: str):
        self.index = ConfigIndex(namespace)
        self.nodes = _Nodes(self.index)
        self.configs = _Configs(self.index)

    def review(self, operation: str, obj: dict[str, Any], old: dict[str, Any] | None = None) -> Verdict:
        """The verdict on CREATE/UPDATE of `obj` (DELETE is always allowed, as upstream)."""
        if operation not in ("CREATE", "UPDATE"):
            return Verdict(True)
        config, problems = parse_configuration(without_secret_refs(obj))
        if config is None:
            return Verdict(False, problems)
        notes = warnings_for(config, obj, old)
        errors = self.index.validate(config)
        return Verdict(not errors, errors, notes)


def warnings_for(config: FRRConfiguration, obj: dict[str, Any], old: dict[str, Any] | None) -> list[str]:
    """Upstream's two warnings: `disableMP` is deprecated; `enableGracefulRestart` changed on an
    existing neighbor (it takes effect on the next session restart)."""
    notes = warnings(Resources(configurations=[config]))
    if old is None:
        return notes
    previous, _ = parse_configuration(without_secret_refs(old))
    if previous is None:
        return notes
    before = {
        (r.vrf, n.asn, n.address): n.enable_graceful_restart
        for r in previous.spec.bgp.routers
        for n in r.neighbors
    }
    for router in config.spec.bgp.routers:
        for n in router.neighbors:
            was = before.get((router.vrf, n.asn, n.address))
            if was is not None and was != n.enable_graceful_restart:
                notes.append(
                    "Graceful restart configuration changed, it will be available on the next restart"
                )
    return notes
