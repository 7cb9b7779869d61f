"""`frrnode render --check`: the rendered config of every compat case passes FRR's own parser."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from frrnode.cli import app

pytestmark = pytest.mark.frr
runner = CliRunner()
CASES = Path(__file__).resolve().parents[3] / "shared" / "compat" / "cases"  # ../shared beside the checkout


def _render_cases() -> list[Path]:
    return [
        p.parent
        for p in sorted(CASES.glob("*/case.yaml"))
        if yaml.safe_load(p.read_text())["expected"]["outcome"] == "render"
    ]


@pytest.mark.parametrize("case", _render_cases(), ids=lambda p: p.name)
def test_render_check_accepts_corpus(case: Path) -> None:
    agent = yaml.safe_load((case / "case.yaml").read_text())["agent"]
    args = [
        "render",
        str(case / "input.yaml"),
        "--node",
        agent["node_name"],
        "--hostname",
        agent["hostname"],
        "--check",
    ]
    if not agent["node_has_ipv4_address"]:
        args.append("--no-ipv4")
    for cidr in agent["always_block"]:
        args += ["--always-block", cidr]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "router bgp" in result.stdout or "hostname" in result.stdout


def test_render_check_refuses_bad_raw_config(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        "apiVersion: frrk8s.metallb.io/v1beta1\nkind: FRRConfiguration\n"
        "metadata: {name: a, namespace: frr-k8s-system}\n"
        'spec: {raw: {rawConfig: "this is not an frr command"}}\n'
    )
    result = runner.invoke(app, ["render", str(path), "--node", "n1", "--check"])
    assert result.exit_code == 1
    assert "FRR rejected the configuration" in result.stderr
