"""Node selection: LabelSelector semantics, invalid selectors (R44), the agent's namespace."""

from __future__ import annotations

from typing import Any

import pytest
from pl_helpers import build, config, errors_of, neighbor, node, ref, router

from frrnode.api.v1beta1 import LabelSelector
from frrnode.pipeline import Settings
from frrnode.pipeline.select import matches, selector_errors

LABELS = {"zone": "a", "role": "edge", "kubernetes.io/hostname": "node1"}


def sel(**fields: Any) -> LabelSelector:
    return LabelSelector.model_validate(fields)


def expr(key: str, op: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": op, "values": list(values)}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param({}, True, id="empty-matches-all"),
        pytest.param({"matchLabels": {"zone": "a"}}, True, id="matchLabels"),
        pytest.param({"matchLabels": {"zone": "b"}}, False, id="matchLabels-other-value"),
        pytest.param({"matchLabels": {"zone": "a", "role": "core"}}, False, id="matchLabels-all-must-match"),
        pytest.param({"matchExpressions": [expr("zone", "In", "a", "b")]}, True, id="In"),
        pytest.param({"matchExpressions": [expr("zone", "In", "b")]}, False, id="In-miss"),
        pytest.param({"matchExpressions": [expr("missing", "In", "b")]}, False, id="In-absent-key"),
        pytest.param({"matchExpressions": [expr("zone", "NotIn", "b")]}, True, id="NotIn"),
        pytest.param({"matchExpressions": [expr("zone", "NotIn", "a")]}, False, id="NotIn-miss"),
        pytest.param({"matchExpressions": [expr("missing", "NotIn", "a")]}, True, id="NotIn-absent-key"),
        pytest.param({"matchExpressions": [expr("role", "Exists")]}, True, id="Exists"),
        pytest.param({"matchExpressions": [expr("missing", "Exists")]}, False, id="Exists-miss"),
        pytest.param({"matchExpressions": [expr("missing", "DoesNotExist")]}, True, id="DoesNotExist"),
        pytest.param({"matchExpressions": [expr("zone", "DoesNotExist")]}, False, id="DoesNotExist-miss"),
        pytest.param(
            {"matchLabels": {"zone": "a"}, "matchExpressions": [expr("role", "In", "core")]}, False, id="AND"
        ),
    ],
)
def test_matches(selector: dict[str, Any], expected: bool) -> None:
    s = sel(**selector)
    assert selector_errors(s) == []
    assert matches(s, LABELS) is expected


@pytest.mark.parametrize(
    ("selector", "path"),
    [
        ({"matchLabels": {"app": "@"}}, "spec.nodeSelector.matchLabels['app']"),
        ({"matchLabels": {"-bad": "x"}}, "spec.nodeSelector.matchLabels['-bad']"),
        ({"matchLabels": {"UPPER.example/x": "x"}}, "spec.nodeSelector.matchLabels['UPPER.example/x']"),
        ({"matchLabels": {"k": "x" * 64}}, "spec.nodeSelector.matchLabels['k']"),
        ({"matchExpressions": [expr("k", "Exists", "v")]}, "spec.nodeSelector.matchExpressions[0].values"),
        ({"matchExpressions": [expr("k", "NotIn")]}, "spec.nodeSelector.matchExpressions[0].values"),
        ({"matchExpressions": [expr("k", "in", "v")]}, "spec.nodeSelector.matchExpressions[0].operator"),
        ({"matchExpressions": [expr("", "Exists")]}, "spec.nodeSelector.matchExpressions[0].key"),
    ],
)
def test_invalid_selector(selector: dict[str, Any], path: str) -> None:
    errors = selector_errors(sel(**selector), ref("a"))
    assert [e.path for e in errors] == [path]
    assert errors[0].obj == ref("a")


def test_node_labels_from_node_object_and_settings_override() -> None:
    docs = [
        config("zone-a", router(neighbor(address="10.0.0.1")), selector={"matchLabels": {"zone": "a"}}),
        config("zone-b", router(neighbor(address="10.0.0.2")), selector={"matchLabels": {"zone": "b"}}),
        node("node1", zone="a"),
    ]
    nc = build(*docs, settings=Settings("node1"))
    assert [s.name for s in nc.sources] == ["zone-a"]
    nc = build(*docs, settings=Settings("node1", node_labels={"zone": "b"}))
    assert [s.name for s in nc.sources] == ["zone-b"]
    nc = build(*docs, settings=Settings("other-node"))
    assert nc.sources == () and nc.routers == ()


def test_only_the_agent_namespace_counts() -> None:
    docs = [config("mine", router(neighbor())), config("theirs", router(neighbor(asn=1)), ns="default")]
    nc = build(*docs)
    assert [s.name for s in nc.sources] == ["mine"]
    nc = build(*docs, settings=Settings("node1", namespace="default"))
    assert [s.name for s in nc.sources] == ["theirs"]


def test_invalid_selector_fails_the_build_even_if_it_would_not_match() -> None:
    errors = errors_of(config("a", router(), selector={"matchLabels": {"app": "@"}}))
    assert [e.path for e in errors] == ["spec.nodeSelector.matchLabels['app']"]


def test_hostname_label_defaults_to_the_node_name() -> None:
    doc = config("a", router(neighbor()), selector={"matchLabels": {"kubernetes.io/hostname": "node7"}})
    assert [s.name for s in build(doc, settings=Settings("node7")).sources] == ["a"]
    assert build(doc, settings=Settings("node8")).sources == ()
