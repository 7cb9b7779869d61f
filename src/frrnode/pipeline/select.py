"""Which FRRConfigurations apply to a node: Kubernetes LabelSelector semantics (spec §3.1, R44)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from frrnode.api.core import Node
from frrnode.api.v1beta1 import FRRConfiguration, LabelSelector
from frrnode.errors import ConfigError
from frrnode.model import ObjectRef

_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

HOSTNAME_LABEL = "kubernetes.io/hostname"


def node_labels(
    nodes: Iterable[Node], name: str, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The labels of node `name` as selectors see them: `kubernetes.io/hostname` (the kubelet
    always sets it; selectors on it must work without a Node object), then its Node object's
    labels (if found), then `overrides`."""
    labels = {HOSTNAME_LABEL: name}
    for node in nodes:
        if node.name == name:
            labels.update(node.labels)
    if overrides is not None:
        labels.update(overrides)
    return labels


def _key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"invalid label key {key!r}: prefix must be a DNS subdomain"
    if not name or len(name) > 63 or not _NAME.match(name):
        return (
            f"invalid label key {key!r}: name must be 1-63 characters, alphanumeric, '-', '_' or '.', "
            "starting and ending with an alphanumeric character"
        )
    return None


def _value_problem(value: str) -> str | None:
    if value and (len(value) > 63 or not _NAME.match(value)):
        return (
            f"invalid label value {value!r}: must be empty or 1-63 characters, alphanumeric, '-', '_' "
            "or '.', starting and ending with an alphanumeric character"
        )
    return None


def selector_errors(
    selector: LabelSelector, obj: ObjectRef | None = None, path: str = "spec.nodeSelector"
) -> list[ConfigError]:
    """Why `selector` cannot be parsed (R44), as errors naming the object and field; [] if valid."""
    errors: list[ConfigError] = []

    def err(message: str, where: str) -> None:
        errors.append(ConfigError(f"invalid nodeSelector: {message}", obj=obj, path=f"{path}.{where}"))

    for key, value in selector.match_labels.items():
        problem = _key_problem(key) or _value_problem(value)
        if problem:
            err(problem, f"matchLabels[{key!r}]")
    for index, req in enumerate(selector.match_expressions):
        where = f"matchExpressions[{index}]"
        problem = _key_problem(req.key)
        if problem:
            err(problem, f"{where}.key")
        if req.operator not in _OPERATORS:
            err(
                f"{req.operator!r} is not a valid label selector operator (use {', '.join(_OPERATORS)})",
                f"{where}.operator",
            )
        elif req.operator in ("In", "NotIn") and not req.values:
            err(f"values must be non-empty for operator {req.operator}", f"{where}.values")
        elif req.operator in ("Exists", "DoesNotExist") and req.values:
            err(f"values must be empty for operator {req.operator}", f"{where}.values")
        for vindex, value in enumerate(req.values):
            problem = _value_problem(value)
            if problem:
                err(problem, f"{where}.values[{vindex}]")
    return errors


def matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    """Whether `labels` satisfy a valid `selector` (an empty selector matches everything)."""
    for key, value in selector.match_labels.items():
        if labels.get(key) != value:
            return False
    for req in selector.match_expressions:
        present = req.key in labels
        if req.operator == "In" and not (present and labels[req.key] in req.values):
            return False
        if req.operator == "NotIn" and present and labels[req.key] in req.values:
            return False
        if req.operator == "Exists" and not present:
            return False
        if req.operator == "DoesNotExist" and present:
            return False
    return True


def in_namespace(config: FRRConfiguration, namespace: str) -> bool:
    """Objects without a namespace (plain manifests) count as the agent's own."""
    return config.metadata.namespace in ("", namespace)


def select(
    configs: list[FRRConfiguration], labels: Mapping[str, str], namespace: str
) -> tuple[list[FRRConfiguration], list[ConfigError]]:
    """The configurations of `namespace` that select a node with `labels`, plus R44 errors.

    An object whose selector is invalid cannot be said to select or not select the node: it
    is reported (upstream fails the whole conversion), never silently dropped.
    """
    chosen: list[FRRConfiguration] = []
    errors: list[ConfigError] = []
    for config in configs:
        if not in_namespace(config, namespace):
            continue
        ref = ObjectRef("FRRConfiguration", config.metadata.namespace, config.metadata.name)
        problems = selector_errors(config.spec.node_selector, ref)
        if problems:
            errors += problems
        elif matches(config.spec.node_selector, labels):
            chosen.append(config)
    return chosen, errors
