"""`build_node_config` end to end: globals, translation details (§4), validate_all, compat corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pl_helpers import GV, NS, build, config, dump, errors_of, neighbor, node, ref, router, secret

from frrnode.api.loader import load_documents, load_paths
from frrnode.errors import ConfigErrors, ConflictError
from frrnode.model import NodeConfig
from frrnode.pipeline import Settings, build_node_config, frr_log_level, router_id_from_hostname, validate_all

N, R, C = neighbor, router, config
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "compat" / "cases"  # ../shared beside the checkout


def one(*docs: dict[str, Any], **settings: Any) -> Any:
    nc = build(*docs, settings=Settings("node1", **settings))
    return nc.routers[0].neighbors[0]


def test_no_configuration_gives_globals_only() -> None:
    nc = build_node_config(load_documents(""), Settings("node1", always_block=("10.96.0.0/12",)))
    assert nc == NodeConfig(hostname="node1", always_block=("10.96.0.0/12",))


def test_hostname_and_router_id_fallback() -> None:
    assert router_id_from_hostname("dummyhostname") == "167.62.253.30"
    docs = [C("a", R(N()), R(vrf="red", id="9.9.9.9"))]
    nc = build(*docs, settings=Settings("node1", hostname="dummyhostname", node_has_ipv4=False))
    assert nc.hostname == "dummyhostname"
    assert [r.router_id for r in nc.routers] == ["167.62.253.30", "9.9.9.9"]
    assert build(*docs, settings=Settings("node1")).routers[0].router_id is None


def test_log_level_from_frrk8sconfiguration_named_config() -> None:
    def k8s(name: str, level: str, ns: str = NS) -> dict[str, Any]:
        return {
            "apiVersion": GV,
            "kind": "FRRK8sConfiguration",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"logLevel": level},
        }

    assert build(C("a", R())).log_level == "informational"
    assert build(C("a", R()), settings=Settings("n", log_level="warn")).log_level == "warnings"
    assert build(C("a", R()), k8s("config", "all")).log_level == "debugging"
    assert build(C("a", R()), k8s("other", "debug")).log_level == "informational"
    assert build(C("a", R()), k8s("config", "debug", ns="default")).log_level == "informational"
    assert [frr_log_level(x) for x in ("debug", "info", "warn", "error", "none", "bogus")] == [
        "debugging",
        "informational",
        "warnings",
        "errors",
        "emergencies",
        "informational",
    ]


def test_always_block_normalised_and_sorted() -> None:
    nc = build(
        C("a", R()), settings=Settings("n", always_block=("fc00::1/64", "192.168.1.2/24", "10.0.0.0/8"))
    )
    assert nc.always_block == ("10.0.0.0/8", "192.168.1.0/24", "fc00::/64")
    errors = errors_of(C("a", R()), settings=Settings("n", always_block=("nope",)))
    assert errors[0].path == "always_block[0]"


@pytest.mark.parametrize(
    ("fields", "family", "dcc"),
    [
        ({"address": "192.168.1.2"}, "ipv4", False),
        ({"address": "2001:db8::2"}, "ipv6", True),
        ({"address": "2001:db8::2", "ebgpMultiHop": True}, "ipv6", False),
        ({"address": "2001:db8::2", "asn": 65000}, "ipv6", False),  # iBGP
        ({"address": "2001:db8::2", "asn": None, "dynamicASN": "internal"}, "ipv6", False),
        ({"address": "2001:db8::2", "asn": None, "dynamicASN": "external"}, "ipv6", True),
        ({"address": "2001:db8::2", "dualStackAddressFamily": True}, "dual", False),
        ({"address": None, "interface": "eth0"}, "dual", False),
        ({"address": "::ffff:10.0.0.1"}, "ipv4", False),
    ],
)
def test_family_and_disable_connected_check(fields: dict[str, Any], family: str, dcc: bool) -> None:
    n = one(C("a", R(N(**fields))))
    assert (n.family, n.disable_connected_check) == (family, dcc)


def test_neighbor_fields_resolved() -> None:
    n = one(
        C(
            "a",
            R(
                N(
                    address="2001:db8::2",
                    asn=None,
                    dynamicASN="external",
                    port=180,
                    holdTime="1m30s",
                    keepaliveTime="30500ms",
                    connectTime="10s",
                    passwordSecret={"name": "s"},
                    localASN=64000,
                    addressFamilies=["unicast", "evpn"],
                ),
                vrf="red",
            ),
        ),
        secret("s", "p@ss"),
    )
    assert n.id == "2001:db8::2-red" and n.peer == "2001:db8::2" and n.remote_as == "external"
    assert n.display_name == "external@2001:db8::2"
    assert (n.port, n.hold_time, n.keepalive_time, n.connect_time) == (180, 90, 30, 10)
    assert n.password == "p@ss" and n.local_asn == 64000
    assert n.address_families == ("evpn", "unicast")


def test_mode_all_expands_to_router_and_imported_prefixes_of_neighbor_family() -> None:
    docs = [
        C(
            "a",
            R(
                N(toAdvertise={"allowed": {"mode": "all", "prefixes": ["ignored"]}}),
                N(address="2001:db8::2", toAdvertise={"allowed": {"mode": "all"}}),
                prefixes=["10.1.0.0/16", "2001:db8:1::/64"],
                imports=[{"vrf": "red"}],
            ),
            R(vrf="red", prefixes=["10.2.0.0/16"]),
        )
    ]
    nc = build(*docs)
    v4, v6 = nc.routers[0].neighbors  # sorted by id string: "192..." < "2001:..."
    assert v4.advertise.prefixes_v4 == ("10.1.0.0/16", "10.2.0.0/16") and v4.advertise.prefixes_v6 == ()
    assert v6.advertise.prefixes_v6 == ("2001:db8:1::/64",) and v6.advertise.prefixes_v4 == ()
    assert nc.routers[0].prefixes_v4 == ("10.1.0.0/16",)  # imported prefixes are not `network`ed


def test_imported_prefix_may_be_listed_in_filtered_mode() -> None:
    docs = [
        C(
            "a",
            R(
                vrf="red",
                imports=[{"vrf": "default"}],
                neighbors=[N(toAdvertise={"allowed": {"prefixes": ["10.9.0.0/16"]}})],
            ),
            R(prefixes=["10.9.0.0/16"]),
        )
    ]
    assert build(*docs).routers[1].neighbors[0].advertise.prefixes_v4 == ("10.9.0.0/16",)


def test_prefixes_must_be_in_the_same_object() -> None:
    # "Each configuration must be self contained" (spec §3.5).
    errors = errors_of(
        C("a", R(prefixes=["10.1.0.0/16"])),
        C("b", R(N(toAdvertise={"allowed": {"prefixes": ["10.1.0.0/16"]}}))),
    )
    assert [(e.obj, e.path) for e in errors] == [
        (ref("b"), "spec.bgp.routers[0].neighbors[0].toAdvertise.allowed.prefixes[0]")
    ]


def test_validate_all_per_node_merge_and_transient_secrets() -> None:
    docs = [
        C("a", R(N()), selector={"matchLabels": {"zone": "a"}}),
        C("b", R(N(asn=65002)), selector={"matchLabels": {"zone": "a"}}),
        C("c", R(N(asn=65003)), selector={"matchLabels": {"zone": "c"}}),
        C("d", R(N(address="10.0.0.5", passwordSecret={"name": "missing"}))),
        C("other-ns", R(N(address="bad")), ns="default"),
        node("n1", zone="a"),
        node("n2", zone="c"),
    ]
    errors = validate_all(load_documents(dump(*docs), "f.yaml"), NS)
    conflicts = [e for e in errors if isinstance(e, ConflictError)]
    assert [(e.obj, e.other) for e in conflicts] == [(ref("a"), ref("b"))]
    transient = [e for e in errors if e.transient]
    assert [e.obj for e in transient] == [ref("d")]
    assert any(e.obj == ref("other-ns", "default") for e in errors)  # validated alone, like the webhook
    assert all(str(e.location).startswith("f.yaml#") for e in errors)


def test_validate_all_without_nodes_merges_unselective_objects() -> None:
    docs = [
        C("a", R(N())),
        C("b", R(N(asn=65002))),
        C("c", R(N(asn=65003)), selector={"matchLabels": {"x": "y"}}),
    ]
    errors = validate_all(load_documents(dump(*docs)), NS)
    assert [(e.obj, getattr(e, "other", None)) for e in errors] == [(ref("a"), ref("b"))]


def test_errors_are_config_errors_with_stable_order() -> None:
    docs = [C("b", R(N(address="x"))), C("a", R(N(address="y")))]
    with pytest.raises(ConfigErrors) as exc:
        build(*docs)
    assert [e.obj for e in exc.value.errors] == [ref("a"), ref("b")]
    assert not exc.value.transient


# ---------------------------------------------------------------- compat corpus


def _cases() -> list[Path]:
    return sorted(CORPUS.glob("*/case.yaml"))


def _settings(case: dict[str, Any]) -> Settings:
    agent = case["agent"]
    return Settings(
        node_name=agent["node_name"],
        hostname=agent["hostname"],
        namespace=agent["namespace"],
        always_block=tuple(agent["always_block"]),
        log_level=agent["log_level"],
        node_labels=agent["node_labels"],
        node_has_ipv4=agent["node_has_ipv4_address"],
    )


@pytest.mark.parametrize("case_file", _cases(), ids=lambda p: p.parent.name)
def test_compat_corpus(case_file: Path) -> None:
    case = yaml.safe_load(case_file.read_text())
    resources = load_paths([case_file.parent / "input.yaml"])
    settings = _settings(case)
    outcome = case["expected"]["outcome"]
    if outcome == "conversion_error":
        with pytest.raises(ConfigErrors):
            build_node_config(resources, settings)
        return
    nc = build_node_config(resources, settings)
    assert nc.hostname == case["agent"]["hostname"]
    assert nc.log_level == case["agent"]["frr_log_level"]
    assert nc.sources, "every case has at least one FRRConfiguration"


def test_corpus_present() -> None:
    cases = _cases()
    assert len(cases) == 32
    outcomes = [yaml.safe_load(c.read_text())["expected"]["outcome"] for c in cases]
    assert outcomes.count("conversion_error") == 1
