"""`frrnode diff`: what applying manifests would send to a running FRR, without applying it.

Against a real FRR running the examples' config: an unchanged set prints nothing (exit 0); a
changed filter prints exactly the incremental batch (exit 1), and feeding that batch to FRR
makes the next diff empty, so the printed commands are exactly what the change needs.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_frr_helpers import frr_in_netns
from typer.testing import CliRunner

from frrnode.cli import app
from frrnode.frr.instance import FrrInstance
from frrnode.frr.reload import ReloadApplier

pytestmark = pytest.mark.frr
runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def frr() -> Iterator[FrrInstance]:
    with frr_in_netns("df") as inst:
        yield inst


def diff(frr: FrrInstance, path: Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["diff", str(path), "--node", "node-a", "--pathspace", frr.pathspace])
    return result.exit_code, result.stdout, result.stderr


def test_diff_prints_the_batch_the_agent_would_send(frr: FrrInstance, tmp_path: Path) -> None:
    render = runner.invoke(
        app, ["render", str(EXAMPLES), "--node", "node-a", "--hostname", socket.gethostname()]
    )
    ReloadApplier(frr.vtysh, tmp_path / "work").apply(render.stdout)
    code, out, err = diff(frr, EXAMPLES)
    assert (code, out) == (0, ""), err
    assert "no changes" in err

    changed = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, changed)
    receive = changed / "receive-routes.yaml"
    receive.write_text(receive.read_text().replace("10.100.0.0/24", "10.100.1.0/24"))
    before = frr.vtysh.running_config()
    code, out, err = diff(frr, changed)
    assert code == 1, err
    assert out == (
        "ip prefix-list 172.30.0.2-inpl-ipv4 seq 1 permit 10.100.1.0/24\n"
        "! then: clear bgp 172.30.0.2 soft in\n"
    )
    assert frr.vtysh.running_config() == before, "diff must not change FRR"

    frr.vtysh.configure([line for line in out.splitlines() if not line.startswith("!")])
    assert diff(frr, changed)[:2] == (0, "")


def test_diff_of_invalid_manifests_is_an_error(frr: FrrInstance, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(EXAMPLES, bad)
    receive = bad / "receive-routes.yaml"
    receive.write_text(receive.read_text().replace("asn: 64514", "asn: 64999"))
    code, out, err = diff(frr, bad)
    assert code == 2 and out == ""
    assert "conflict" in err
