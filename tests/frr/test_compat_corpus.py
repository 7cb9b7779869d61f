"""Compatibility corpus: for every upstream case, our rendering loads into FRR like upstream's.

For each case in ../shared/compat/cases whose `expected.outcome` is `render`, the input
objects go through the real pipeline (`load_paths` -> `build_node_config` with the case's
`agent` settings) and the renderer. FRR itself judges equivalence with the file upstream
renders for that input (`expected.upstream_output_for_input`):
`frr-reload.py --test --input EXPECTED OURS` must report no line to add or delete. It runs
offline (it parses both files with `vtysh -m`, no daemons needed). No normalisation is applied:
hostname and log lines are identical because the case's agent settings are used.

With the agent extras on, the only differences must be the documented extra lines
(docs/compatibility.md, "Agent extras"). `conversion_error` cases must fail in the pipeline;
`render_invalid_frr` cases must render a file that `vtysh --dryrun` rejects. Every file we render
must pass `vtysh --dryrun -f`.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from frrnode.api.loader import load_paths
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.frr.invariants import check_invariants
from frrnode.frr.render import UPSTREAM, RenderOptions, render_config
from frrnode.model import NodeConfig
from frrnode.pipeline import Settings, build_node_config

pytestmark = pytest.mark.frr

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "compat" / "cases"  # ../shared beside the checkout
FRR_RELOAD = "/usr/lib/frr/frr-reload.py"


def _cases(*outcomes: str) -> list[Any]:
    found = []
    for case_dir in sorted(CORPUS.iterdir()):
        case = yaml.safe_load((case_dir / "case.yaml").read_text())
        if case["expected"]["outcome"] in outcomes:
            found.append(pytest.param(case_dir, case, id=case_dir.name))
    return found


RENDER_CASES = _cases("render")


def build(case_dir: Path, case: dict[str, Any]) -> NodeConfig:
    agent = case["agent"]
    settings = Settings(
        node_name=agent["node_name"],
        hostname=agent["hostname"],
        node_labels=dict(agent["node_labels"]),
        namespace=agent["namespace"],
        log_level=agent["log_level"],
        always_block=tuple(agent["always_block"]),
        node_has_ipv4=agent["node_has_ipv4_address"],
    )
    return build_node_config(load_paths([case_dir / "input.yaml"]), settings)


def frr_reload_diff(expected: Path, ours: Path) -> tuple[list[str], list[str]]:
    """(lines to delete, lines to add) to go from `expected` to `ours`, as frr-reload.py sees it."""
    proc = subprocess.run(
        [FRR_RELOAD, "--test", "--stdout", "--input", str(expected), str(ours)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    deletes: list[str] = []
    adds: list[str] = []
    target: list[str] | None = None
    for line in proc.stdout.splitlines():
        if line == "Lines To Delete":
            target = deletes
        elif line == "Lines To Add":
            target = adds
        elif target is not None and line.strip() and not re.fullmatch(r"=+", line):
            target.append(line.rstrip())
    return deletes, adds


def dryrun(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["vtysh", "--dryrun", "-f", str(path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("case_dir", "case"), RENDER_CASES)
def test_upstream_equivalent(case_dir: Path, case: dict[str, Any], tmp_path: Path) -> None:
    expected = case_dir / case["expected"]["upstream_output_for_input"]
    ours = tmp_path / "frr.conf"
    ours.write_text(render_config(build(case_dir, case), UPSTREAM))
    proc = dryrun(ours)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert check_invariants(ours.read_text()) == []
    assert frr_reload_diff(expected, ours) == ([], []), ours.read_text()


def _context_free(lines: list[str]) -> list[str]:
    """frr-reload prints each changed line after its context headers; keep the leaf lines."""
    headers = re.compile(r"^(router bgp \d+( vrf \S+)?| address-family \S+ \S+)$")
    return sorted(line.strip() for line in lines if not headers.match(line))


@pytest.mark.parametrize(("case_dir", "case"), RENDER_CASES)
def test_agent_extras_are_the_only_difference(case_dir: Path, case: dict[str, Any], tmp_path: Path) -> None:
    node = build(case_dir, case)
    expected = case_dir / case["expected"]["upstream_output_for_input"]
    ours = tmp_path / "frr.conf"
    ours.write_text(render_config(node, RenderOptions(agent_extras=True)))
    proc = dryrun(ours)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    deletes, adds = frr_reload_diff(expected, ours)
    assert deletes == []
    want = ["bgp route-map delay-timer 1"] + ["coalesce-time 100"] * len(node.routers)
    for router in node.routers:
        for n in router.neighbors:
            if n.unicast:
                afs = 2 if n.family == "dual" else 1
                want += [f"neighbor {n.peer} soft-reconfiguration inbound"] * afs
    assert _context_free(adds) == sorted(want)


@pytest.mark.parametrize(("case_dir", "case"), _cases("conversion_error"))
def test_conversion_errors_fail(case_dir: Path, case: dict[str, Any]) -> None:
    with pytest.raises((ConfigError, ConfigErrors)):
        render_config(build(case_dir, case))


@pytest.mark.parametrize(("case_dir", "case"), _cases("render_invalid_frr"))
def test_invalid_frr_is_rejected_by_vtysh(case_dir: Path, case: dict[str, Any], tmp_path: Path) -> None:
    ours = tmp_path / "frr.conf"
    ours.write_text(render_config(build(case_dir, case), UPSTREAM))
    proc = dryrun(ours)
    assert proc.returncode != 0
    assert "Unknown command" in proc.stdout + proc.stderr


def test_corpus_is_there() -> None:
    """Guard against an empty parametrisation silently passing."""
    assert len(RENDER_CASES) >= 30
