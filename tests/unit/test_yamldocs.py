"""api.yamldocs: the fast builder gives exactly what PyYAML's constructor gives (same objects,
same errors) on generated YAML texts, and is really the path taken for ordinary manifests."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from manifest_fuzz import TEXTS

from frrnode.api import yamldocs
from frrnode.api.loader import parse_manifest
from frrnode.api.yamldocs import YAMLLoader, documents

# Plain scalars that YAML 1.1 resolves to every type (and some that are errors in flow context).
PLAIN = [
    "a", "x y", "65000:10", "1:30", "190:20:30:15", "yes", "No", "on", "OFF", "y", "n", "true",
    "False", "~", "null", "Null", "0", "-0", "+12", "012", "09", "0o12", "0x1F", "0b101", "1_000",
    "3.14", "1e3", "6.8523015e+5", ".inf", "-.Inf", ".NaN", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "2002-12-14 21:59:43.10", "=", "<<", "10.0.0.1/24", "fe80::1", "-", "a:b", "#x", "é", "1.2.3",
]  # fmt: skip
QUOTED = ['"yes"', "'0x10'", '""', '"a\\tb"', "'it''s'", '"\\u00e9"', '"65000:10"']
TAGS = [
    "!!str", "!!int", "!!float", "!!bool", "!!null", "!!binary", "!!timestamp", "!!set", "!!omap",
    "!!pairs", "!!map", "!!seq", "!foo", "!", "!!merge", "!!value", "!!python/tuple",
]  # fmt: skip


class Renderer:
    """Renders a generated tree to flow-style YAML, with anchors and aliases to earlier ones."""

    def __init__(self) -> None:
        self.anchors = 0

    def node(self, tree: Any) -> str:
        kind, anchor, tag, body = tree
        prefix = ""
        if anchor:
            self.anchors += 1
            prefix += f"&a{self.anchors} "
        if tag is not None:
            prefix += f"{tag} "
        if kind == "alias":
            # Mostly an anchor defined earlier (or the one being defined: recursion), sometimes undefined.
            return f"*a{body % (self.anchors + 2)}"
        if kind == "scalar":
            return prefix + body
        if kind == "seq":
            return prefix + "[" + ", ".join(self.node(item) for item in body) + "]"
        return prefix + "{" + ", ".join(f"{self.node(k)}: {self.node(v)}" for k, v in body) + "}"


def tree_st() -> st.SearchStrategy[Any]:
    def wrap(kind: str, body: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        tag = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(TAGS))
        return st.tuples(st.just(kind), st.booleans(), tag, body)

    scalar = wrap("scalar", st.sampled_from(PLAIN + QUOTED))
    leaf = st.one_of(
        scalar, scalar, scalar, st.tuples(st.just("alias"), st.just(False), st.none(), st.integers(1, 9))
    )
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            wrap("seq", st.lists(children, max_size=4)),
            wrap("map", st.lists(st.tuples(st.one_of(scalar, scalar, children), children), max_size=4)),
        ),
        max_leaves=25,
    )


def outcome(build: Any) -> tuple[str, str]:
    """What building gave: the objects (repr: NaN equals itself, recursion shows as [...]) or the error."""
    try:
        return "ok", repr(build())
    except yaml.YAMLError as exc:
        return "yaml", str(exc)
    except RecursionError:
        return "recursion", ""
    except yamldocs.TooLarge as exc:
        return "too large", str(exc)


def same_as_pyyaml(text: str) -> None:
    fast = outcome(lambda: list(documents(text)))
    slow = outcome(lambda: list(documents(text, fast=False)))
    assert fast == slow, text
    if slow[0] == "ok":  # and the slow path is PyYAML itself
        assert slow == outcome(lambda: list(yaml.load_all(text, Loader=YAMLLoader)))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tree_st(), min_size=1, max_size=3))
def test_generated_flow_documents_build_as_pyyaml_builds_them(trees: list[Any]) -> None:
    renderer = Renderer()
    same_as_pyyaml("\n---\n".join(renderer.node(tree) for tree in trees) + "\n")


values_st = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8),
        st.sampled_from(PLAIN), st.binary(max_size=4), st.dates(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=4),
    ),
    max_leaves=20,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(values_st, st.booleans())
def test_dumped_block_documents_build_as_pyyaml_builds_them(value: Any, flow: bool) -> None:
    shared = [value, value]  # the same object twice: dumped as an anchor and an alias
    same_as_pyyaml(yaml.safe_dump_all([value, shared], default_flow_style=flow, allow_unicode=True))


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1}\nderived: {<<: *b, y: 2}\n",  # merge key
        "a: !!set {x, y}\n",
        "a: &r [1, *r]\n",  # recursive
        "a: " + "[" * 80 + "]" * 80 + "\n",  # deeper than FAST_DEPTH
        "a: !foo x\n",
        "? [a, b]\n: c\n",  # unhashable key
        "a: !!int abc\nb: 1\n",  # PyYAML raises ValueError here
        '!!int ""\n',  # ... and IndexError here (an empty value: found by hypothesis)
        "a: !!float ''\n",
        "a: &x [" + ", ".join(["*y"] * 3) + "]\n",  # undefined alias
    ],
)
def test_what_the_fast_builder_leaves_to_pyyaml(text: str) -> None:
    same_as_pyyaml(text)


def test_the_corpus_takes_the_fast_path() -> None:
    """Every document of every manifest we ship is built by the fast builder (else the tests
    above could pass with everything falling back to PyYAML)."""
    for text in TEXTS:
        loader = yamldocs._FastLoader(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                if node is not None:
                    yamldocs._Builder(loader, yamldocs.MAX_EXPANDED_NODES).build(
                        node
                    )  # raises _Slow otherwise
        finally:
            loader.dispose()


def test_an_empty_tagged_number_is_an_error_not_a_traceback() -> None:
    errors = parse_manifest('a: !!int ""\nb: !!float ""\n', "f.yaml").errors
    assert [str(e) for e in errors] == [
        "f.yaml#0: invalid YAML (line 1, column 4): cannot read '' as tag:yaml.org,2002:int"
    ]


def test_sexagesimal_stays_a_string_and_a_bad_tagged_value_is_an_error() -> None:
    assert list(documents("c: 65000:10\nd: 1:30\ne: 0x10\n")) == [{"c": "65000:10", "d": "1:30", "e": 16}]
    errors = parse_manifest("a: 1\nb: !!int abc\n", "f.yaml").errors
    assert [str(e) for e in errors] == [
        "f.yaml#0: invalid YAML (line 2, column 4): cannot read 'abc' as tag:yaml.org,2002:int"
    ]


@pytest.mark.parametrize("extra", [0, 1])
def test_the_alias_guard_counts_exactly_as_before(extra: int) -> None:
    """A document expanding to exactly MAX_EXPANDED_NODES nodes is built; one more is refused."""
    levels = "a: &a [" + ", ".join(["x"] * 10) + "]\n"
    for prev, name in zip("abcd", "bcde", strict=True):
        levels += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    root = yaml.compose(levels, Loader=YAMLLoader)
    assert root is not None
    missing = yamldocs.MAX_EXPANDED_NODES - yamldocs.expanded_size(root, {}) - 2 + extra
    text = levels + "pad: [" + ", ".join(["y"] * missing) + "]\n"
    same_as_pyyaml(text)
    kind, _ = outcome(lambda: list(documents(text)))
    assert kind == ("too large" if extra else "ok")


def test_a_reader_bug_refuses_the_file_instead_of_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever escapes the YAML reader (a bug, such as PyYAML's IndexError above before it was
    handled) refuses that file with an error naming it; it never ends the agent's pass."""
    from frrnode.api import loader

    def broken(text: str) -> Any:
        yield {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}
        raise IndexError("string index out of range")

    monkeypatch.setattr(loader, "documents", broken)
    parsed = parse_manifest("whatever", "f.yaml")
    assert [str(e) for e in parsed.errors] == [
        "f.yaml#1: cannot read: IndexError: string index out of range "
        "(a bug in frrnode's reader: please report it)"
    ]
