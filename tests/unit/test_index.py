"""pipeline.index: indexed selection equals testing every pair; ConfigIndex validates one object
against the nodes it selects, merged with the objects already selecting them (webhook view)."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from pl_helpers import NS, config, dump, neighbor, node, ref, router, secret

from frrnode.api.core import Node, Secret
from frrnode.api.loader import load_documents
from frrnode.api.v1beta1 import FRRConfiguration, LabelSelector
from frrnode.errors import ConflictError
from frrnode.model import ObjectRef
from frrnode.pipeline import validate_all
from frrnode.pipeline.index import ConfigIndex, NodeIndex, selector_key
from frrnode.pipeline.merge import merge
from frrnode.pipeline.select import matches, selector_errors
from frrnode.pipeline.translate import translate_configuration

KEYS = ["zone", "role", "kubernetes.io/hostname"]
VALUES = ["a", "b", "c"]

labels_st = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3)
requirement_st = st.fixed_dictionaries(
    {
        "key": st.sampled_from(KEYS),
        "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
        "values": st.lists(st.sampled_from(VALUES), max_size=2),
    }
)
selector_st = st.fixed_dictionaries(
    {},
    optional={
        "matchLabels": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2),
        "matchExpressions": st.lists(requirement_st, max_size=2),
    },
)


def cfg(doc: dict[str, Any]) -> FRRConfiguration:
    return load_documents(dump(doc)).configurations[0]


def node_obj(name: str, **labels: str) -> Node:
    return load_documents(dump(node(name, **labels))).nodes[0]


def secret_obj(name: str, password: str) -> Secret:
    return load_documents(dump(secret(name, password))).secrets[0]


@settings(max_examples=300, deadline=None)
@given(st.lists(labels_st, max_size=8), st.lists(selector_st, max_size=6))
def test_indexed_selection_equals_every_pair(
    nodes: list[dict[str, str]], selectors: list[dict[str, Any]]
) -> None:
    index = NodeIndex((f"n{i}", labels) for i, labels in enumerate(nodes))
    configs = ConfigIndex(NS)
    for i, labels in enumerate(nodes):
        configs.set_node(f"n{i}", labels)
    for i, raw in enumerate(selectors):
        configs.upsert(cfg(config(f"c{i}", router(neighbor()), selector=raw)))
    for raw in selectors:
        selector = LabelSelector.model_validate(raw)
        if selector_errors(selector):
            continue
        brute = sorted(f"n{i}" for i, labels in enumerate(nodes) if matches(selector, labels))
        assert index.selected(selector) == brute
    selecting = dict(configs.node_groups())
    for i, labels in enumerate(nodes):
        brute_refs = sorted(
            ref(f"c{i}")
            for i, raw in enumerate(selectors)
            if not selector_errors(LabelSelector.model_validate(raw))
            and matches(LabelSelector.model_validate(raw), labels)
        )
        assert selecting[f"n{i}"] == brute_refs


def test_node_index_follows_label_changes_and_removal() -> None:
    index = NodeIndex([("n1", {"zone": "a"}), ("n2", {"zone": "b"})])
    zone_a = LabelSelector.model_validate({"matchLabels": {"zone": "a"}})
    assert index.selected(zone_a) == ["n1"]
    index.upsert("n2", {"zone": "a"})
    index.upsert("n1", {"zone": "b"})
    assert index.selected(zone_a) == ["n2"]
    index.remove("n2")
    assert index.selected(zone_a) == []
    assert index.names() == ["n1"]


def test_selector_key_ignores_order() -> None:
    a = LabelSelector.model_validate(
        {
            "matchLabels": {"x": "1", "y": "2"},
            "matchExpressions": [{"key": "z", "operator": "In", "values": ["b", "a"]}],
        }
    )
    b = LabelSelector.model_validate(
        {
            "matchLabels": {"y": "2", "x": "1"},
            "matchExpressions": [{"key": "z", "operator": "In", "values": ["a", "b"]}],
        }
    )
    assert selector_key(a) == selector_key(b)


ON_N1 = {"matchLabels": {"kubernetes.io/hostname": "n1"}}
ON_N2 = {"matchLabels": {"kubernetes.io/hostname": "n2"}}


def _selecting_n1(index: ConfigIndex) -> list[ObjectRef]:
    """The valid objects of the namespace merged for node n1."""
    return dict(index.node_groups())["n1"]


def _index() -> ConfigIndex:
    index = ConfigIndex(NS)
    index.upsert_node(node_obj("n1", **{"kubernetes.io/hostname": "n1", "zone": "a"}))
    index.upsert_node(node_obj("n2", **{"kubernetes.io/hostname": "n2", "zone": "a"}))
    index.upsert(cfg(config("existing", router(neighbor(asn=65001)), selector=ON_N1)))
    return index


def test_validate_reports_a_conflict_with_an_object_selecting_the_same_node() -> None:
    index = _index()
    errors = index.validate(
        cfg(config("new", router(neighbor(asn=65009)), selector={"matchLabels": {"zone": "a"}}))
    )
    assert len(errors) == 1
    assert isinstance(errors[0], ConflictError)
    assert "multiple asns specified for 192.168.1.2 (65001 != 65009)" in str(errors[0])
    assert {errors[0].obj, errors[0].other} == {ref("existing"), ref("new")}


def test_validate_ignores_objects_on_other_nodes_and_does_not_change_the_index() -> None:
    index = _index()
    new = cfg(config("new", router(neighbor(asn=65009)), selector=ON_N2))
    assert index.validate(new) == []
    assert index.refs() == [ref("existing")]


def test_validate_replaces_the_indexed_version_of_the_same_object() -> None:
    index = _index()
    # The indexed "existing" says 65001; its new version says 65002: no conflict with itself.
    assert index.validate(cfg(config("existing", router(neighbor(asn=65002)), selector=ON_N1))) == []


def test_validate_returns_the_object_alone_problems_first() -> None:
    index = _index()
    bad = cfg(config("bad", router(neighbor(asn=65009, address="10.0.0.256")), selector=ON_N1))
    errors = index.validate(bad)
    assert errors and all(e.obj == ref("bad") for e in errors)
    assert not any(isinstance(e, ConflictError) for e in errors)


def test_validate_without_nodes_merges_objects_with_an_empty_selector() -> None:
    index = ConfigIndex(NS)
    index.upsert(cfg(config("everywhere", router(neighbor(asn=65001)))))
    assert len(index.validate(cfg(config("new", router(neighbor(asn=65009)))))) == 1
    assert index.validate(cfg(config("new", router(neighbor(asn=65009)), selector=ON_N1))) == []


def test_objects_of_another_namespace_are_checked_alone_but_never_merged() -> None:
    index = _index()
    other = cfg(config("other", router(neighbor(asn=65009)), ns="elsewhere", selector=ON_N1))
    assert index.validate(other) == []
    assert index.upsert(other) == []
    assert _selecting_n1(index) == [ref("existing")]


def test_a_secret_change_retranslates_the_objects_using_it() -> None:
    index = _index()
    with_secret = cfg(
        config("pw", router(neighbor(address="192.168.1.9", passwordSecret={"name": "s"})), selector=ON_N1)
    )
    problems = index.upsert(with_secret)
    assert [e.transient for e in problems] == [True]  # the Secret does not exist yet
    index.upsert_secret(secret_obj("s", "pw1"))
    assert index.problems(ref("pw")) == []
    assert _selecting_n1(index) == [ref("existing"), ref("pw")]
    index.remove_secret("s")
    assert [e.transient for e in index.problems(ref("pw"))] == [True]
    assert _selecting_n1(index) == [ref("existing")]


def test_removing_an_object_removes_it_from_its_nodes() -> None:
    index = _index()
    index.remove(ref("existing"))
    assert _selecting_n1(index) == []
    assert index.validate(cfg(config("new", router(neighbor(asn=65009)), selector=ON_N1))) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(labels_st, max_size=4),
    st.lists(st.tuples(selector_st, st.sampled_from([65001, 65002])), max_size=5),
)
def test_validate_all_finds_the_conflicts_of_every_node(
    nodes: list[dict[str, str]], objects: list[tuple[dict[str, Any], int]]
) -> None:
    """Same conflicts as merging, for every node, all the objects that select it (brute force)."""
    docs = [node(f"n{i}", **labels) for i, labels in enumerate(nodes)]
    docs += [config(f"c{i}", router(neighbor(asn=asn)), selector=raw) for i, (raw, asn) in enumerate(objects)]
    resources = load_documents(dump(*docs))
    found = {str(e) for e in validate_all(resources, NS) if isinstance(e, ConflictError)}
    expected: set[str] = set()
    index = ConfigIndex(NS)
    for c in resources.configurations:
        index.upsert(c)
    groups = [
        [
            ref(f"c{i}")
            for i, c in enumerate(resources.configurations)
            if not index.problems(ref(f"c{i}")) and matches(c.spec.node_selector, n.labels)
        ]
        for n in resources.nodes
    ] or [
        [
            ref(f"c{i}")
            for i, c in enumerate(resources.configurations)
            if selector_key(c.spec.node_selector) == ((), ())
        ]
    ]
    for group in groups:
        expected |= {str(e) for e in index.conflicts(group)}
    event(f"conflicts found: {bool(expected)}; nodes checked: {min(len(groups), 2)}+")
    assert found == expected


TIMERS: list[dict[str, str]] = [
    {},
    {"holdTime": "90s", "keepaliveTime": "30s"},
    {"holdTime": "9s", "keepaliveTime": "3s"},
]
neighbor_st = st.builds(
    lambda base, timers: {**base, **timers},
    st.fixed_dictionaries(
        {"address": st.sampled_from(["192.168.1.2", "192.168.1.3"]), "asn": st.sampled_from([65001, 65002])},
        optional={"port": st.sampled_from([179, 180])},
    ),
    st.sampled_from(TIMERS),
)
router_st = st.fixed_dictionaries(
    {
        "asn": st.sampled_from([65000, 65010]),
        "neighbors": st.lists(neighbor_st, max_size=2, unique_by=lambda n: n["address"]),
    },
    optional={"id": st.sampled_from(["1.1.1.1", "2.2.2.2"]), "vrf": st.just("red")},
)
valid_selector_st = st.fixed_dictionaries(
    {},
    optional={
        "matchLabels": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1),
        "matchExpressions": st.lists(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "key": st.sampled_from(KEYS),
                        "operator": st.sampled_from(["In", "NotIn"]),
                        "values": st.lists(st.sampled_from(VALUES), min_size=1, max_size=2),
                    }
                ),
                st.fixed_dictionaries(
                    {"key": st.sampled_from(KEYS), "operator": st.sampled_from(["Exists", "DoesNotExist"])}
                ),
            ),
            max_size=1,
        ),
    },
)
object_st = st.tuples(valid_selector_st, st.lists(router_st, min_size=1, max_size=2))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(labels_st, max_size=5),
    st.lists(object_st, max_size=6),
    object_st,
    st.sampled_from(["new", "c0"]),
)
def test_check_equals_merging_for_every_node(
    nodes: list[dict[str, str]],
    objects: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    new: tuple[dict[str, Any], list[dict[str, Any]]],
    new_name: str,
) -> None:
    """`check` (interaction keys, alike nodes merged once) finds exactly the conflicts that
    merging the new object, node by node, with every object selecting that node adds (on
    nodes whose objects agree already: an admitted set)."""
    index = ConfigIndex(NS)
    for i, labels in enumerate(nodes):
        index.set_node(f"n{i}", labels)
    existing = [cfg(config(f"c{i}", *routers, selector=raw)) for i, (raw, routers) in enumerate(objects)]
    for c in existing:
        index.upsert(c)
    candidate = cfg(config(new_name, *new[1], selector=new[0]))
    fragment, alone = translate_configuration(candidate, {}, NS)
    alone = selector_errors(candidate.spec.node_selector, ref(new_name)) + alone
    found = {str(e) for e in index.check(candidate).errors}
    if alone:
        event(f"invalid alone: {str(alone[0]).split(': ')[-1][:60]}")
        assert found == {str(e) for e in alone}
        return
    valid = [c for c in existing if not index.problems(ref(c.metadata.name)) and c.metadata.name != new_name]
    if nodes:
        selector = candidate.spec.node_selector
        groups = [
            [c for c in valid if matches(c.spec.node_selector, labels)]
            for labels in nodes
            if matches(selector, labels)
        ]
    elif selector_key(candidate.spec.node_selector) == ((), ()):
        groups = [[c for c in valid if selector_key(c.spec.node_selector) == ((), ())]]
    else:
        groups = []
    expected: set[str] = set()
    for group in groups:
        others = [translate_configuration(c, {}, NS)[0] for c in group]
        assume(not merge(others)[1])
        expected |= {str(e) for e in merge([*others, fragment])[1]}
    event(f"conflicts found: {bool(expected)}; nodes checked: {min(len(groups), 2)}+")
    assert found == expected


def test_check_merges_once_per_kind_of_node_and_tells_kinds_apart() -> None:
    """40 nodes, each with its own object: those that declare the neighbor alike are merged
    once; the one node whose object differs (another ASN) gets its own merge and its conflict."""
    index = ConfigIndex(NS)
    for i in range(40):
        index.set_node(f"m{i}", {"kubernetes.io/hostname": f"m{i}"})
        routers = router(neighbor(asn=65002 if i == 17 else 65001), prefixes=[f"192.0.2.{i}/32"])
        index.upsert(
            cfg(config(f"own-{i}", routers, selector={"matchLabels": {"kubernetes.io/hostname": f"m{i}"}}))
        )
    check = index.check(cfg(config("everywhere", router(neighbor(asn=65001)))))
    assert check.nodes == 40 and check.merges == 2
    [error] = check.errors
    assert isinstance(error, ConflictError) and {error.obj, error.other} == {ref("own-17"), ref("everywhere")}
