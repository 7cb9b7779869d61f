"""The CEL rules of the generated CRDs (which the API-server double does not evaluate, and a real
API server does) accept exactly what frrnode's own validators accept: evaluated with a CEL
implementation (`common-expression-language`, plus the `split` of Kubernetes' strings library)
against `frrnode.api.v1beta1` on generated and edge-case inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cel
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from frrnode.api import v1beta1

ROOT = Path(__file__).resolve().parents[2]
CRD = yaml.safe_load_all((ROOT / "config/crd/bases/frrk8s.metallb.io_frrconfigurations.yaml").read_text())
SCHEMA = next(d for d in CRD if d)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def node(path: str) -> dict[str, Any]:
    cur = SCHEMA
    for part in path.split("."):
        cur = cur["properties"][part.removesuffix("[]")]
        if part.endswith("[]"):
            cur = cur["items"]
    return cur


L3 = "spec.bgp.routers[].evpn.l3vni"
FIELDS = {
    "rd": (node(f"{L3}.rd"), lambda v: v1beta1._check_rd(v)),
    "import": (node(f"{L3}.importRTs[]"), lambda v: v1beta1._check_import_rt(v)),
    "export": (node(f"{L3}.exportRTs[]"), lambda v: v1beta1._check_export_rt(v)),
}


def cel_accepts(schema: dict[str, Any], value: Any) -> bool:
    """What a real API server decides for `value` (maxLength, then every rule; errors reject)."""
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return False
    ctx = cel.Context()
    ctx.add_function("split", lambda s, sep: s.split(sep))
    ctx.add_variable("self", value)
    for rule in schema.get("x-kubernetes-validations", []):
        try:
            if cel.evaluate(rule["rule"], ctx) is not True:
                return False
        except Exception:
            return False
    return True


def model_accepts(check: Any, value: Any) -> bool:
    try:
        check(value)
    except ValueError:
        return False
    return True


EDGES = [
    ":",
    "1:",
    ":1",
    "65000:100",
    "65535:4294967295",
    "65536:65535",
    "65536:65536",
    "4294967295:1",
    "4294967296:1",
    "192.0.2.1:65535",
    "192.0.2.1:65536",
    "300.0.0.1:1",
    "1.2.3:4",
    "*:100",
    "*:4294967295",
    "*:4294967296",
    "a:1",
    "1:a",
    "1:2:3",
    "0:0",
    "01:02",
    "192.0.2.1:0",
    "1:99999999999",
]
numbers = st.one_of(
    st.integers(0, 70000).map(str), st.integers(0, 2**33).map(str), st.sampled_from(["", "x", "-1"])
)
ipv4 = st.tuples(*[st.integers(0, 300)] * 4).map(lambda t: ".".join(map(str, t)))
globals_ = st.one_of(numbers, ipv4, st.just("*"))
values = st.one_of(
    st.sampled_from(EDGES), st.tuples(globals_, numbers).map(":".join), st.text(min_size=1, max_size=24)
)


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("value", EDGES)
def test_edges(field: str, value: str) -> None:
    schema, check = FIELDS[field]
    assert cel_accepts(schema, value) == model_accepts(check, value), (field, value)


@settings(max_examples=300, deadline=None)
@given(value=values, field=st.sampled_from(sorted(FIELDS)))
def test_cel_rules_agree_with_the_model(value: str, field: str) -> None:
    schema, check = FIELDS[field]
    assert cel_accepts(schema, value) == model_accepts(check, value), (field, value)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_explicit_empty_string(field: str) -> None:
    """The one difference: an explicit "" is refused by the CRD's rules (as upstream's, which run
    on any value present) while frrnode's loader reads it as unset."""
    schema, check = FIELDS[field]
    assert not cel_accepts(schema, "") and model_accepts(check, "")


@pytest.mark.parametrize("text", ["1s", "90s", "65535s", "0s", "65536s", "1500ms", "2m", "1h30m", "500ms"])
def test_connect_time_rules(text: str) -> None:
    schema = node("spec.bgp.routers[].neighbors[].connectTime")
    expected = model_accepts(lambda v: v1beta1._check_connect_time(v1beta1.parse_duration(v)), text)
    assert cel_accepts(schema, text) == expected, text
