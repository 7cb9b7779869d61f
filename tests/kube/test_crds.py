"""The CRDs under config/crd/bases: generated from the pydantic models (no drift), and
field-for-field compatible with FRR-K8s's own CRDs (tests/fixtures/upstream-crds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from frrnode.kube import crds

ROOT = Path(__file__).resolve().parents[2]
BASES = ROOT / "config" / "crd" / "bases"
UPSTREAM = ROOT / "tests" / "fixtures" / "upstream-crds"

# Fields upstream added after the fixture's commit, as described by the specification of
# upstream HEAD (shared/reference/frrk8s-spec.md §1.2, §1.2.1, §1.2.2), with what the spec says.
N = "spec.bgp.routers[].neighbors[]"
LATER_ADDITIONS = {
    f"{N}.localASN": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 4294967295},
    f"{N}.dualStackAddressFamily": {"type": "boolean", "default": False},
    f"{N}.addressFamilies": {
        "type": "array",
        "default": ["unicast"],
        "maxItems": 2,
        "items": {"type": "string", "enum": ["unicast", "evpn"]},
    },
    f"{N}.toAdvertise.nextHop": None,
    f"{N}.toAdvertise.nextHop.ipv4": {"type": "string", "format": "ipv4"},
    f"{N}.toAdvertise.nextHop.ipv6": {"type": "string", "format": "ipv6"},
    "spec.bgp.routers[].evpn": None,
}
# Keywords upstream added to existing fields after the fixture's commit (spec §1.2).
LATER_KEYWORDS = {("spec.bgp.routers", "maxItems"): 50}
# Status fields frrnode adds (docs/status.md): prefix counts, FRR's view, applied generations.
EXTENSIONS = {
    "BGPSessionState": {
        "status.receivedPrefixes",
        "status.acceptedPrefixes",
        "status.advertisedPrefixes",
        "status.lastError",
        "status.connectionsEstablished",
        "status.connectionsDropped",
        "status.establishedSince",
    },
    "FRRNodeState": {
        "status.lastReloadTime",
        "status.lastConversionTime",
        "status.appliedGenerations",
        "status.notes",
        "status.daemons",
        "status.lastRepairResult",
        "status.lastRepairTime",
        "status.statusWriteError",
    },
}


def _load(path: Path) -> dict[str, Any]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert len(docs) == 1
    return docs[0]  # type: ignore[no-any-return]


def _compare(
    theirs: dict[str, Any], ours: dict[str, Any], path: str, allowed: set[str], problems: list[str]
) -> None:
    for key in sorted(set(theirs) | set(ours)):
        if key == "description":
            continue
        if key == "properties":
            for prop in sorted(set(theirs.get(key, {})) | set(ours.get(key, {}))):
                sub = f"{path}.{prop}" if path else prop
                if prop not in ours.get(key, {}):
                    problems.append(f"{sub}: missing (upstream has it)")
                elif prop not in theirs.get(key, {}):
                    if not any(sub == a or sub.startswith(a + ".") for a in allowed):
                        problems.append(f"{sub}: not in upstream's CRD")
                else:
                    _compare(theirs[key][prop], ours[key][prop], sub, allowed, problems)
        elif key == "items":
            _compare(theirs.get(key, {}), ours.get(key, {}), path + "[]", allowed, problems)
        elif (path, key) in LATER_KEYWORDS and key not in theirs:
            if ours.get(key) != LATER_KEYWORDS[(path, key)]:
                problems.append(
                    f"{path}: {key} is {ours.get(key)!r}, the specification says "
                    f"{LATER_KEYWORDS[(path, key)]!r}"
                )
        elif theirs.get(key) != ours.get(key):
            problems.append(f"{path or '<root>'}: {key} is {ours.get(key)!r}, upstream {theirs.get(key)!r}")


def test_checked_in_crds_match_the_generator() -> None:
    generated = crds.all_crds()
    assert sorted(p.name for p in BASES.glob("*.yaml")) == sorted(generated)
    for name, obj in generated.items():
        assert (BASES / name).read_text() == crds.render(obj), (
            f"config/crd/bases/{name} is stale: run `frrnode k8s crds --write config/crd/bases`"
        )


@pytest.mark.parametrize(
    "plural", ["frrconfigurations", "frrnodestates", "bgpsessionstates", "frrk8sconfigurations"]
)
def test_compatible_with_upstream(plural: str) -> None:
    theirs = _load(UPSTREAM / f"{plural}.yaml")
    ours = _load(BASES / f"frrk8s.metallb.io_{plural}.yaml")
    assert ours["metadata"]["name"] == theirs["metadata"]["name"]
    ts, os_ = theirs["spec"], ours["spec"]
    assert os_["group"] == ts["group"] and os_["scope"] == ts["scope"] and os_["names"] == ts["names"]
    assert [v["name"] for v in os_["versions"]] == [v["name"] for v in ts["versions"]]
    tv, ov = ts["versions"][0], os_["versions"][0]
    for key in ("served", "storage", "subresources"):
        assert ov[key] == tv[key], key
    kind = ts["names"]["kind"]
    allowed = set(LATER_ADDITIONS) | EXTENSIONS.get(kind, set())
    problems: list[str] = []
    _compare(tv["schema"]["openAPIV3Schema"], ov["schema"]["openAPIV3Schema"], "", allowed, problems)
    assert problems == []


def _node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    for part in path.split("."):
        schema = schema["properties"][part.removesuffix("[]")]
        if part.endswith("[]"):
            schema = schema["items"]
    return schema


def test_later_additions_as_the_specification_describes() -> None:
    ours = _load(BASES / "frrk8s.metallb.io_frrconfigurations.yaml")
    root = ours["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for path, expected in LATER_ADDITIONS.items():
        node = _node(root, path)
        if expected is not None:
            assert {k: v for k, v in node.items() if k != "description"} == expected, path
    evpn = _node(root, "spec.bgp.routers[].evpn")
    assert evpn["properties"]["advertiseVNIs"]["enum"] == ["Disabled", "All"]
    assert evpn["properties"]["advertiseVNIs"]["allOf"] == [{"enum": ["Disabled", "All"]}]
    assert evpn["properties"]["l2vnis"]["maxItems"] == 10
    for vni in (evpn["properties"]["l2vnis"]["items"], evpn["properties"]["l3vni"]):
        assert vni["properties"]["vni"] == {
            "type": "integer",
            "format": "int32",
            "minimum": 1,
            "maximum": 16777215,
        }
        assert vni["properties"]["rd"]["maxLength"] == 21
        assert vni["properties"]["rd"]["x-kubernetes-validations"][0]["message"] == (
            "RD must contain exactly one colon"
        )
        assert vni["properties"]["importRTs"]["maxItems"] == 100
        assert "vni" in vni["required"]
    l3 = evpn["properties"]["l3vni"]
    assert l3["properties"]["advertisePrefixes"] == {
        "type": "array",
        "minItems": 1,
        "maxItems": 1,
        "items": {"type": "string", "enum": ["unicast"]},
    }
    assert sorted(l3["required"]) == ["advertisePrefixes", "vni"]
    states = _load(BASES / "frrk8s.metallb.io_bgpsessionstates.yaml")["spec"]["versions"][0]
    assert [(c["name"], c["jsonPath"]) for c in states["additionalPrinterColumns"]] == [
        ("Node", ".status.node"),
        ("Peer", ".status.peer"),
        ("VRF", ".status.vrf"),
        ("BGP", ".status.bgpStatus"),
        ("BFD", ".status.bfdStatus"),
    ]


def test_every_model_field_is_in_the_crd() -> None:
    """A field added to a pydantic model and not to the CRD would be pruned by the API server."""
    from frrnode.api.v1beta1 import FRRConfiguration

    ours = _load(BASES / "frrk8s.metallb.io_frrconfigurations.yaml")
    root = ours["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    neighbor = _node(root, "spec.bgp.routers[].neighbors[]")
    from frrnode.api.v1beta1 import Neighbor

    assert sorted(neighbor["properties"]) == sorted(f.alias or n for n, f in Neighbor.model_fields.items())
    assert set(root["properties"]) == {f.alias or n for n, f in FRRConfiguration.model_fields.items()}


def test_a_full_node_status_survives_the_api_servers_pruning() -> None:
    """Every status field the agent writes, nested ones too (a map of FRR daemons), is declared:
    the API server would silently drop the rest, and the status sink would then write on every
    poll, its object never equal to what it wants."""
    from frrnode.agent.state import DaemonStatus, Result
    from frrnode.agent.status import build_node_state
    from frrnode.lab.apiserver.schema import prune

    done = Result(True, "success", 1_700_000_000.0)
    node = build_node_state(
        "n1",
        "router bgp 64512\n",
        last_reload=done,
        last_conversion=done,
        applied_generations={"FRRConfiguration/ns/a": "3"},
        daemons={
            "bgpd": DaemonStatus(running=False, pid=None, restarts=2, last_restart_at=1.0, down_since=2.0)
        },
        last_repair=done,
        status_write_error="cannot write status files",
        notes=["skipped a ConfigMap"],
    )
    obj = node.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert obj["status"]["daemons"]["bgpd"]["restarts"] == 2
    root = _load(BASES / "frrk8s.metallb.io_frrnodestates.yaml")["spec"]["versions"][0]["schema"]
    pruned = yaml.safe_load(yaml.safe_dump(obj))
    assert prune(pruned, root["openAPIV3Schema"]) == []
    assert pruned == obj
