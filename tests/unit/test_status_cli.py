"""`frrnode status` on a status directory and the `frrnode routes` row logic (no FRR needed)."""

from __future__ import annotations

import json
from pathlib import Path

from st_fixtures import FIXTURES, ReplayVtysh, load
from typer.testing import CliRunner

from frrnode.agent import status as st
from frrnode.cli import app
from frrnode.cli import status as cli_status
from frrnode.frr import state

runner = CliRunner()


def _write(tmp_path: Path) -> None:
    running = (FIXTURES / "running_config.txt").read_text()
    node = st.build_node_state("node-a", running, applied_generations={"FRRConfiguration/ns/a": "3"})
    st.StatusWriter(tmp_path).write(
        node, st.build_session_states("node-a", state.read_snapshot(ReplayVtysh()))
    )


def test_status_table(tmp_path: Path) -> None:
    _write(tmp_path)
    res = runner.invoke(app, ["status", "--status-dir", str(tmp_path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "FRRNodeState node-a" in res.output
    assert "Established" in res.output and "Bad Peer AS" in res.output
    assert "fd00:29::4" in res.output  # as FRR prints it, not the status file's label form
    assert "ns/a @ 3" in res.output


def test_status_table_fits_80_columns_without_breaking_words(tmp_path: Path) -> None:
    _write(tmp_path)
    res = runner.invoke(app, ["status", "--status-dir", str(tmp_path)], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert max(len(line) for line in lines) <= 80, res.output
    # The node is named once, in the title, not on every row.
    assert res.output.count("node-a") == 2  # FRRNodeState node-a, BGP sessions of node-a
    words = {w for line in lines for w in line.split()}
    _, sessions = st.read_status_dir(tmp_path)
    for o in sessions:
        for word in (o.status.last_error or "").split():
            assert word in words, f"{word!r} was broken across lines:\n{res.output}"
        assert cli_status.display_peer(o.status.peer) in words
    for value in ("Established", "Connect", "default", "172.29.0.2"):
        assert value in words


def test_status_json_has_no_password(tmp_path: Path) -> None:
    _write(tmp_path)
    res = runner.invoke(app, ["status", "--status-dir", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    objs = json.loads(res.output)
    assert [o["kind"] for o in objs].count("BGPSessionState") == 5
    assert "s3cret-r1-pw" not in res.output and "password <retracted>" in res.output


def test_status_missing_dir(tmp_path: Path) -> None:
    res = runner.invoke(app, ["status", "--status-dir", str(tmp_path / "nope")])
    assert res.exit_code == 1


def test_routes_rows_received_accepted_kernel() -> None:
    nr = state.NeighborRoutes(
        vrf="",
        peer="172.29.0.2",
        family="ipv4Unicast",
        received=state.parse_route_table(load("r1_v4_received.json"), "receivedRoutes"),
        accepted=state.parse_route_table(load("r1_v4_accepted.json"), "routes") or (),
    )
    kernel = {"10.101.0.0/24": ["172.29.0.2"], "172.29.0.0/24": ["eth0"]}
    rows = {r["prefix"]: r for r in cli_status.routes_rows(nr, kernel)}
    assert rows["10.101.0.0/24"] == {
        "prefix": "10.101.0.0/24", "nextHops": ["172.29.0.2"], "received": True, "accepted": True,
        "kernel": True, "kernelNextHops": ["172.29.0.2"],
    }  # fmt: skip
    assert (rows["10.101.1.0/24"]["accepted"], rows["10.101.1.0/24"]["kernel"]) == (True, False)
    assert (rows["10.101.2.0/24"]["received"], rows["10.101.2.0/24"]["accepted"]) == (True, False)
    # Without Adj-RIB-In the received column is unknown, not "no".
    unknown = state.NeighborRoutes("", "x", "ipv4Unicast", None, nr.accepted)
    assert {r["received"] for r in cli_status.routes_rows(unknown, None)} == {None}
