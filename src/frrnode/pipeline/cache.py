"""Per-object results of selection and translation, reused from one agent pass to the next.

The agent rebuilds its node's config from a full snapshot on every pass. A loader that
re-parses only changed files hands back the *same* Python objects for unchanged ones, so what
was computed for an object (does it select this node? its fragment) stays valid while the
object is the same object, the Secrets it references are the same, and the node's labels and
namespace are unchanged. Entries hold weak references: the cache never keeps an object of an
old snapshot alive, and an object that is gone cannot be mistaken for a new one at the same
address.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass

from frrnode.api.core import Secret
from frrnode.api.v1beta1 import FRRConfiguration
from frrnode.errors import ConfigError
from frrnode.pipeline.select import in_namespace, matches, selector_errors
from frrnode.pipeline.translate import ConfigFragment, ref_of, secret_names, translate_configuration


@dataclass(frozen=True)
class _Selected:
    obj: weakref.ref[FRRConfiguration]
    problems: tuple[ConfigError, ...]
    selected: bool


@dataclass(frozen=True)
class _Translated:
    obj: weakref.ref[FRRConfiguration]
    secrets: tuple[tuple[str, Secret | None], ...]
    """The Secrets the object references, as they were (compared by identity)."""
    namespace: str
    fragment: ConfigFragment
    problems: tuple[ConfigError, ...]


class PipelineCache:
    """Selection and translation results of one node's pipeline, by object identity.

    Give one instance to `build_node_config` on every pass (it is not thread-safe; the agent
    runs one pass at a time). Results are the same as without the cache.
    """

    def __init__(self) -> None:
        self._context: tuple[frozenset[tuple[str, str]], str] | None = None
        self._selected: dict[int, _Selected] = {}
        self._translated: dict[int, _Translated] = {}
        self.hits = 0
        self.misses = 0

    def select(
        self, configs: list[FRRConfiguration], labels: Mapping[str, str], namespace: str
    ) -> tuple[list[FRRConfiguration], list[ConfigError]]:
        """Same as `frrnode.pipeline.select.select`; entries of objects not listed are dropped."""
        context = (frozenset(labels.items()), namespace)
        previous = self._selected if context == self._context else {}
        self._context = context
        current: dict[int, _Selected] = {}
        chosen: list[FRRConfiguration] = []
        errors: list[ConfigError] = []
        for config in configs:
            if not in_namespace(config, namespace):
                continue
            entry = previous.get(id(config))
            if entry is None or entry.obj() is not config:
                problems = tuple(selector_errors(config.spec.node_selector, ref_of(config)))
                picked = not problems and matches(config.spec.node_selector, labels)
                entry = _Selected(weakref.ref(config), problems, picked)
            current[id(config)] = entry
            errors += entry.problems
            if entry.selected:
                chosen.append(config)
        self._selected = current
        return chosen, errors

    def translate_all(
        self, configs: list[FRRConfiguration], secrets: Mapping[str, Secret], namespace: str
    ) -> list[tuple[ConfigFragment, list[ConfigError]]]:
        """`translate_configuration` of each of `configs`, reusing the results of unchanged ones."""
        current: dict[int, _Translated] = {}
        out: list[tuple[ConfigFragment, list[ConfigError]]] = []
        for config in configs:
            entry = self._translated.get(id(config))
            if (
                entry is None
                or entry.obj() is not config
                or entry.namespace != namespace
                or any(secrets.get(name) is not secret for name, secret in entry.secrets)
            ):
                self.misses += 1
                used = tuple((name, secrets.get(name)) for name in sorted(secret_names(config)))
                fragment, problems = translate_configuration(config, secrets, namespace)
                entry = _Translated(weakref.ref(config), used, namespace, fragment, tuple(problems))
            else:
                self.hits += 1
            current[id(config)] = entry
            out.append((entry.fragment, list(entry.problems)))
        self._translated = current
        return out
