"""The webhook's decision (spec §2.2, reporting like `frrnode validate`), on informer caches.

`AdmissionIndex` feeds what two informers (all Nodes, all FRRConfigurations) saw into the
pipeline's `ConfigIndex` (each object translated once per version); `review()` answers one
AdmissionReview request with `ConfigIndex.check`, the pipeline's one way of validating a new
object against every node it selects, without listing anything.
As upstream, `passwordSecret` references are not resolved at admission (a Secret may be
created after the object that uses it): the daemon reports a missing Secret.
Every error is reported, each naming the object and field path, conflicts naming both objects.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any

from frrnode.api.loader import Resources
from frrnode.api.v1beta1 import FRRConfiguration
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.kube.cache import Key, slim_node, slim_object
from frrnode.kube.resources import key_of, load_objects
from frrnode.model import ObjectRef
from frrnode.pipeline import warnings
from frrnode.pipeline.conflicts import Check
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
    try:
        resources = load_objects([slim_object(obj)])
    except ConfigErrors as exc:
        return None, list(exc.errors)
    return resources.configurations[0], []


class _Nodes:
    """Store for the Node informer: names and labels into the index."""

    def __init__(self, index: ConfigIndex):
        self.index = index
        self._staged: dict[str, dict[str, str]] = {}

    def begin(self) -> None:
        self._staged = {}

    def stage(self, obj: dict[str, Any]) -> None:
        slim = slim_node(obj)
        self._staged[slim["metadata"]["name"]] = slim["metadata"]["labels"]

    def commit(self) -> bool:
        for name in self.index.nodes.names():
            if name not in self._staged:
                self.index.remove_node(name)
        for name, labels in self._staged.items():
            self.index.set_node(name, labels)
        self._staged = {}
        return True

    def apply(self, event: str, obj: dict[str, Any]) -> bool:
        slim = slim_node(obj)
        name, labels = slim["metadata"]["name"], slim["metadata"]["labels"]
        if event == "DELETED":
            return self.index.remove_node(name)
        return self.index.set_node(name, labels)


class _Configs:
    """Store for the FRRConfiguration informer: every object into the index, as the webhook
    reads it (`passwordSecret` references cleared). An object the schema refuses is left out."""

    def __init__(self, index: ConfigIndex):
        self.index = index
        self._staged: dict[Key, dict[str, Any]] = {}

    def begin(self) -> None:
        self._staged = {}

    def stage(self, obj: dict[str, Any]) -> None:
        self._staged[key_of(obj)] = obj

    def commit(self) -> bool:
        for ref in self.index.refs():
            if (ref.namespace, ref.name) not in self._staged:
                self.index.remove(ref)
        for obj in self._staged.values():
            self.apply("ADDED", obj)
        self._staged = {}
        self.index.prepare()  # what the first review would otherwise build
        return True

    def apply(self, event: str, obj: dict[str, Any]) -> bool:
        ref = ObjectRef("FRRConfiguration", *key_of(obj))
        self.index.remove(ref)
        if event == "DELETED":
            return True
        config, _ = parse_configuration(without_secret_refs(obj))
        if config is not None:
            self.index.upsert(config)
        return True


@dataclass
class Verdict:
    allowed: bool
    errors: list[ConfigError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    nodes: int = 0
    merges: int = 0
    truncated: bool = False
    alike: dict[ObjectRef, list[ObjectRef]] = field(default_factory=dict)
    """Object named in an error -> other objects (on other nodes) that conflict the same way."""

    @classmethod
    def of(cls, check: Check, warnings: list[str]) -> Verdict:
        return cls(
            not check.errors, check.errors, warnings, check.nodes, check.merges, check.truncated, check.alike
        )

    @property
    def message(self) -> str:
        lines = [str(e) for e in self.errors]
        for ref, more in sorted(self.alike.items()):
            names = ", ".join(r.name for r in more[:5]) + (", ..." if len(more) > 5 else "")
            lines.append(f"the same with {len(more)} more object(s) like {ref} on other nodes: {names}")
        if self.truncated:
            lines.append(f"(stopped after {len(self.errors)} errors)")
        return "\n".join(lines)


class AdmissionIndex:
    """The caches the webhook answers from (a `ConfigIndex` filled by two informer stores),
    and the decision: for every node the object selects, its merge with the other objects
    selecting that node (as `frrnode validate`), a few merges however many nodes
    (`pipeline.conflicts`). Conflicts that exist without the new object are not blamed on it.
    """

    def __init__(self, namespace: str, max_errors: int = 50):
        self.namespace = namespace
        self.index = ConfigIndex(namespace, max_errors=max_errors)
        self.nodes = _Nodes(self.index)
        self.configs = _Configs(self.index)

    def review(self, operation: str, obj: dict[str, Any], old: dict[str, Any] | None = None) -> Verdict:
        """The verdict on CREATE/UPDATE of `obj` (DELETE is always allowed, as upstream)."""
        if operation not in ("CREATE", "UPDATE"):
            return Verdict(True)
        config, problems = parse_configuration(without_secret_refs(obj))
        if config is None:
            return Verdict(False, problems)
        return Verdict.of(self.index.check(config), warnings_for(config, old))


def warnings_for(config: FRRConfiguration, old: dict[str, Any] | None) -> list[str]:
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
