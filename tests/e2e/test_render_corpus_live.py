"""Compatibility corpus, strongest form: FRR's running config is byte-identical for upstream's file and ours.

For each `render` case of ../shared/compat/cases, one FRR 8.4.4 instance (in a network
namespace this test creates, `rnd-<pid>-corpus`, always removed) is started with the file upstream
renders for the input, then with our rendering (`UPSTREAM` options) of the same input through
the real pipeline; `show running-config` must be identical. This also covers what the offline
`frr-reload.py --test --input` check (tests/frr/test_compat_corpus.py) cannot see, such as
values FRR normalises or hides. About 30 s.
"""

from __future__ import annotations

import difflib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from frrnode.api.loader import load_paths
from frrnode.frr.instance import FrrInstance
from frrnode.frr.render import UPSTREAM, render_config
from frrnode.pipeline import Settings, build_node_config

pytestmark = pytest.mark.lab

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "compat" / "cases"  # ../shared beside the checkout


def render_cases() -> list[Any]:
    cases = []
    for case_dir in sorted(CORPUS.iterdir()):
        case = yaml.safe_load((case_dir / "case.yaml").read_text())
        if case["expected"]["outcome"] == "render":
            cases.append(pytest.param(case_dir, case, id=case_dir.name))
    return cases


def ours(case_dir: Path, case: dict[str, Any]) -> str:
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
    return render_config(build_node_config(load_paths([case_dir / "input.yaml"]), settings), UPSTREAM)


@pytest.fixture(scope="module")
def frr() -> Iterator[FrrInstance]:
    name = f"rnd-{os.getpid()}-corpus"
    subprocess.run(["ip", "netns", "add", name], check=True)
    instance = FrrInstance(name, name)
    try:
        yield instance
    finally:
        instance.cleanup()
        subprocess.run(["ip", "netns", "del", name], check=False)


def running_after_loading(frr: FrrInstance, text: str) -> str:
    frr.stop()
    frr.start(text)  # raises FrrError if a daemon rejects a line
    return frr.vtysh.running_config()


@pytest.mark.parametrize(("case_dir", "case"), render_cases())
def test_running_config_identical(frr: FrrInstance, case_dir: Path, case: dict[str, Any]) -> None:
    expected = running_after_loading(
        frr, (case_dir / case["expected"]["upstream_output_for_input"]).read_text()
    )
    got = running_after_loading(frr, ours(case_dir, case))
    assert got == expected, "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True)))


def test_comparison_can_fail(frr: FrrInstance) -> None:
    case_dir = CORPUS / "TestSingleSession"
    case = yaml.safe_load((case_dir / "case.yaml").read_text())
    text = ours(case_dir, case)
    mutated = text.replace("-in permit 4\n", "-in permit 5\n")
    assert mutated != text
    assert running_after_loading(frr, text) != running_after_loading(frr, mutated)
