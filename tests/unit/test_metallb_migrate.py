"""Migration off MetalLB's raw and legacy configurations.

- `migrate bgpextras`: each row is a bgpextras text and what it must become (the neighbor's
  toReceive, or the lines left as rawConfig / dropped, with the reason).
- the migrated objects merge with MetalLB's own `metallb-<node>` in frrnode's pipeline.
- `migrate configmap`: upstream's configmaptocrs test data, text for text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from mlb_corpus import CORPUS
from mlb_helpers import node, obj, parsed, peer
from typer.testing import CliRunner

from frrnode.cli import app
from frrnode.metallb import legacy
from frrnode.metallb.frrk8s import to_object
from frrnode.metallb.migrate import migrate
from frrnode.metallb.resources import Settings
from frrnode.metallb.stage import MetalLBStage
from frrnode.model import Selector
from frrnode.pipeline import Settings as NodeSettings
from frrnode.pipeline import build_node_config

R1 = peer("r1", "172.30.0.2", asn=64513, holdTime="9s")
R2 = peer("r2", "172.30.0.3", asn=64514)
R6 = peer("r6", "fd00:30::2", asn=64513)
RV = peer("rv", "172.31.0.2", asn=64520, vrf="red")
PEERS = [R1, R2, R6, RV]
RECIPE = """\
ip prefix-list allowed seq 10 permit 172.16.1.0/24 le 32
ipv6 prefix-list allowed6 seq 10 permit fc00:f853:ccd:e800::/64 le 128
route-map 172.30.0.2-in permit 20
  match ip address prefix-list allowed
route-map fd00:30::2-in permit 20
  match ipv6 address prefix-list allowed6
route-map 172.31.0.2-red-in permit 20
  match ip address prefix-list allowed
"""


def run(extras: str, *docs: dict[str, Any]) -> tuple[dict[str, Any], list[str], str]:
    """(toReceive per neighbor address, notes, rawConfig text)."""
    config = parsed(*(docs or PEERS))
    result = migrate(extras, config.peers, config.bfd_profiles)
    receive: dict[str, Any] = {}
    raw = ""
    for o in result.objects:
        raw += o["spec"].get("raw", {}).get("rawConfig", "")
        for r in o["spec"].get("bgp", {}).get("routers", []):
            for n in r["neighbors"]:
                receive[(f"{r['vrf']}/" if "vrf" in r else "") + n["address"]] = n["toReceive"]["allowed"]
    return receive, result.notes, raw


def sel(*items: tuple[str, int | None]) -> dict[str, Any]:
    return {"mode": "filtered", "prefixes": [{"prefix": p, **({"le": le} if le else {})} for p, le in items]}


CASES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "e2e-recipe",
        RECIPE,
        {
            "172.30.0.2": sel(("172.16.1.0/24", 32)),
            "fd00:30::2": sel(("fc00:f853:ccd:e800::/64", 128)),
            "red/172.31.0.2": sel(("172.16.1.0/24", 32)),
        },
        "",
    ),
    (
        "permit-without-match-is-all",
        "route-map 172.30.0.3-in permit 20\n",
        {"172.30.0.3": {"mode": "all"}},
        "",
    ),
    (
        "two-entries-union",
        "ip prefix-list a permit 10.0.0.0/8 le 24\nip prefix-list b permit 10.200.0.0/24\n"
        "route-map 172.30.0.2-in permit 10\n match ip address prefix-list a\n"
        "route-map 172.30.0.2-in permit 20\n match ip address prefix-list b\n",
        {"172.30.0.2": sel(("10.0.0.0/8", 24), ("10.200.0.0/24", None))},
        "",
    ),
    (
        "permit-any",
        "ip prefix-list a seq 5 permit any\n"
        "route-map 172.30.0.2-in permit 20\n match ip address prefix-list a\n",
        {"172.30.0.2": sel(("0.0.0.0/0", 32))},
        "",
    ),
    (
        "trailing-deny-is-implicit",
        "ip prefix-list a seq 5 permit 10.0.0.0/8\nip prefix-list a seq 10 deny any\n"
        "route-map 172.30.0.2-in permit 20\n match ip address prefix-list a\n",
        {"172.30.0.2": sel(("10.0.0.0/8", None))},
        "",
    ),
    ("metallb-deny-redeclared", "route-map 172.30.0.2-in deny 20\n", {}, ""),
    ("after-entry-20-never-applied", "route-map 172.30.0.2-in permit 30\n", {}, ""),
    (
        "deny-before-permit-stays-raw",
        "ip prefix-list a seq 5 deny 10.1.0.0/16\nip prefix-list a seq 10 permit 10.0.0.0/8 le 24\n"
        "route-map 172.30.0.2-in permit 20\n match ip address prefix-list a\n",
        {},
        "ALL",
    ),
    ("set-clause-stays-raw", "route-map 172.30.0.2-in permit 20\n set local-preference 200\n", {}, "ALL"),
    ("other-route-map-stays-raw", "route-map foo permit 10\n", {}, "route-map foo permit 10\n"),
    (
        "unknown-prefix-list-stays-raw",
        "route-map 172.30.0.2-in permit 20\n match ip address prefix-list nope\n",
        {},
        "ALL",
    ),
    (
        "unused-prefix-list-stays-raw",
        "ip prefix-list lonely permit 10.0.0.0/8\n",
        {},
        "ip prefix-list lonely permit 10.0.0.0/8\n",
    ),
    (
        "both-families-in-one-entry-stays-raw",
        "ip prefix-list a permit 10.0.0.0/8\nipv6 prefix-list b permit fc00::/8\n"
        "route-map 172.30.0.2-in permit 20\n match ip address prefix-list a\n"
        " match ipv6 address prefix-list b\n",
        {},
        "ALL",
    ),
    (
        "other-config-stays-raw",
        "router bgp 64512\n bgp bestpath as-path multipath-relax\n",
        {},
        "router bgp 64512\n bgp bestpath as-path multipath-relax\n",
    ),
]


@pytest.mark.parametrize(("extras", "receive", "raw"), [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_bgpextras(extras: str, receive: dict[str, Any], raw: str) -> None:
    got, notes, got_raw = run(extras)
    assert got == receive
    assert got_raw == (extras if raw == "ALL" else raw)
    # Every non-empty line is accounted for, in order, with what became of it.
    lines = [i for i, text in enumerate(extras.splitlines(), start=1) if text.strip()]
    assert [int(n.split(":", 1)[0].removeprefix("line ")) for n in notes] == lines


def test_notes_say_why() -> None:
    _, notes, _ = run("route-map 172.30.0.2-in permit 30\nroute-map 172.30.0.2-in permit 20\n set weight 5\n")
    assert "never had an effect" in notes[0] and "deny 20" in notes[0]
    assert "left as rawConfig (only `match ip|ipv6 address prefix-list` clauses map to toReceive)" in notes[1]


def test_one_object_per_node_selector_and_bfd_profiles() -> None:
    docs = [
        peer("a", "172.30.0.2", bfdProfile="fast", nodeSelectors=[{"matchLabels": {"rack": "1"}}]),
        peer("b", "172.30.0.3", bfdProfile="fast"),
        obj("BFDProfile", "fast", {"receiveInterval": 100}),
    ]
    config = parsed(*docs)
    result = migrate(
        "route-map 172.30.0.2-in permit 20\nroute-map 172.30.0.3-in permit 20\n",
        config.peers,
        config.bfd_profiles,
    )
    selectors = [o["spec"].get("nodeSelector") for o in result.objects]
    assert selectors == [{"matchLabels": {"rack": "1"}}, None]
    assert all(o["spec"]["bgp"]["bfdProfiles"][0]["name"] == "fast" for o in result.objects)


def test_migrated_objects_merge_with_metallbs() -> None:
    docs = [node("n1"), *PEERS]
    stage = MetalLBStage("n1", Settings(frrk8s_namespace="frr-k8s-system"))
    from mlb_helpers import load

    resources = stage.apply(load(*docs))
    config = parsed(*docs)
    for o in migrate(RECIPE, config.peers, config.bfd_profiles).objects:
        resources.configurations.append(to_object(o))
    merged = build_node_config(resources, NodeSettings(node_name="n1"))
    got = {(r.vrf, n.peer): n.receive for r in merged.routers for n in r.neighbors}
    assert got[("", "172.30.0.2")].selectors_v4 == (Selector("172.16.1.0/24", 32),)
    assert got[("", "fd00:30::2")].selectors_v6 == (Selector("fc00:f853:ccd:e800::/64", 128),)
    assert got[("red", "172.31.0.2")].selectors_v4 == (Selector("172.16.1.0/24", 32),)
    assert not got[("", "172.30.0.3")].all and not got[("", "172.30.0.3")].selectors_v4


def test_cli_bgpextras(tmp_path: Path) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "bgpextras", "namespace": "metallb-system"},
        "data": {"extras": RECIPE + "route-map foo permit 10\n"},
    }
    (tmp_path / "cm.yaml").write_text(yaml.safe_dump(cm))
    (tmp_path / "metallb.yaml").write_text(yaml.safe_dump_all(PEERS))
    result = CliRunner().invoke(
        app, ["migrate", "bgpextras", str(tmp_path / "cm.yaml"), str(tmp_path / "metallb.yaml")]
    )
    assert result.exit_code == 0, result.stderr
    objects = list(yaml.safe_load_all(result.stdout))
    assert [o["metadata"]["name"] for o in objects] == ["metallb-bgpextras", "metallb-bgpextras-raw"]
    assert objects[1]["spec"]["raw"]["rawConfig"] == "route-map foo permit 10\n"
    assert "line 9: 'route-map foo permit 10': left as rawConfig" in " ".join(result.stderr.split())


def test_cli_bgpextras_needs_peers(tmp_path: Path) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "bgpextras", "namespace": "metallb-system"},
        "data": {"extras": RECIPE},
    }
    (tmp_path / "cm.yaml").write_text(yaml.safe_dump(cm))
    result = CliRunner().invoke(app, ["migrate", "bgpextras", str(tmp_path / "cm.yaml")])
    assert result.exit_code == 1
    assert "no BGPPeer found" in result.stderr


LEGACY = sorted((CORPUS / "configmaptocrs").glob("*/*.yaml"))


@pytest.mark.parametrize("path", LEGACY, ids=[p.stem for p in LEGACY])
def test_legacy_configmap_conversion(path: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", "configmap", str(path)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == path.with_suffix(".golden").read_text()


def test_legacy_corpus_is_there() -> None:
    assert len(LEGACY) == 12


def test_legacy_names_are_normalised() -> None:
    assert legacy.normalize_name("01-numbered_Pool") == "numbered-pool"
    assert legacy.normalize_name("x" * 70) == "x" * 63


@pytest.mark.parametrize("command", ["bgpextras", "configmap"])
def test_cli_migrate_reads_within_the_loaders_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """The files `migrate` reads get the manifest loader's guards: a size limit
    (FRRNODE_MAX_FILE_BYTES), and YAML aliases that expand without bound are refused."""
    big = tmp_path / "big.yaml"
    big.write_text("data:\n  config: |\n" + "    # padding\n" * 200)
    monkeypatch.setenv("FRRNODE_MAX_FILE_BYTES", "1000")
    result = CliRunner().invoke(app, ["migrate", command, str(big)])
    assert result.exit_code == 2, result.output
    assert "file larger than 1000 bytes: refused" in " ".join(result.stderr.split())
    monkeypatch.delenv("FRRNODE_MAX_FILE_BYTES")

    bomb = tmp_path / "bomb.yaml"
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb.write_text("\n".join(levels) + "\n")
    result = CliRunner().invoke(app, ["migrate", command, str(bomb)])
    assert result.exit_code in (1, 2), result.output
    assert "expands to more than" in " ".join(result.stderr.split())
