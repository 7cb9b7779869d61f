"""frrnode.agent.status: object building, redaction, peer formatting and the status files."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from st_fixtures import FIXTURES, ReplayVtysh

from frrnode.agent import status
from frrnode.frr import state

PASSWORDS = ("s3cret-r1-pw", "n0de-side-pw")


@dataclass(frozen=True)
class R:
    ok: bool
    message: str
    at: float


def _snapshot() -> state.Snapshot:
    return state.read_snapshot(ReplayVtysh())


def test_redact_every_password_line() -> None:
    running = (FIXTURES / "running_config.txt").read_text()
    assert all(p in running for p in PASSWORDS)  # the fixture really has them
    red = status.redact(running)
    assert not any(p in red for p in PASSWORDS)
    assert red.count("password <retracted>") == 2
    assert " neighbor 172.29.0.2 password <retracted>\n" in red
    assert "router bgp 64512" in red  # the rest is untouched


def test_format_peer() -> None:
    assert status.format_peer("172.29.0.2") == "172.29.0.2"
    assert status.format_peer("fc00:f853:ccd:e899::") == "fc00-f853-0ccd-e899-0000-0000-0000-0000"
    assert status.format_peer("fd00:29::4") == "fd00-0029-0000-0000-0000-0000-0000-0004"
    assert status.format_peer("eth0") == "eth0"


def test_node_state_fields_and_redaction() -> None:
    running = (FIXTURES / "running_config.txt").read_text()
    obj = status.build_node_state(
        "node-a",
        running,
        last_reload=R(False, "ERROR: neighbor 172.29.0.2 password s3cret-r1-pw rejected", 1_700_000_000.0),
        last_conversion=R(True, "success", 1_700_000_001.0),
        applied_generations={"FRRConfiguration/ns/b": 2, "FRRConfiguration/ns/a": "7"},
    )
    st = obj.status
    assert obj.metadata.name == "node-a" and obj.kind == "FRRNodeState"
    assert "password <retracted>" in st.running_config
    assert st.last_reload_result == "ERROR: neighbor 172.29.0.2 password <retracted>"
    assert st.last_conversion_result == "success"
    assert st.last_reload_time == "2023-11-14T22:13:20Z"
    assert list(st.applied_generations.items()) == [
        ("FRRConfiguration/ns/a", "7"),
        ("FRRConfiguration/ns/b", "2"),
    ]


def test_conversion_result_text() -> None:
    assert status.conversion_result(None) == "success"
    assert status.conversion_result("secret nonexisting not found") == "failed: secret nonexisting not found"


def test_session_states_labels_and_counts() -> None:
    objs = status.build_session_states("node-a", _snapshot(), namespace="frr-k8s-system")
    by_peer = {(o.status.vrf, o.status.peer): o for o in objs}
    assert set(by_peer) == {
        ("", "172.29.0.2"),
        ("", "172.29.0.3"),
        ("", "172.29.0.5"),
        ("", "fd00-0029-0000-0000-0000-0000-0000-0004"),
        ("red", "172.28.0.2"),
    }
    r1 = by_peer[("", "172.29.0.2")]
    assert r1.metadata.labels == {
        "frrk8s.metallb.io/node": "node-a",
        "frrk8s.metallb.io/peer": "172.29.0.2",
        "frrk8s.metallb.io/vrf": "",
    }
    assert r1.metadata.namespace == "frr-k8s-system"
    assert (r1.status.bgp_status, r1.status.bfd_status) == ("Established", "Up")
    assert (r1.status.received_prefixes, r1.status.accepted_prefixes, r1.status.advertised_prefixes) == (
        5,
        3,
        2,
    )
    r2 = by_peer[("", "172.29.0.3")]
    assert (r2.status.bgp_status, r2.status.bfd_status) == ("Connect", "N/A")
    r3 = by_peer[("", "fd00-0029-0000-0000-0000-0000-0000-0004")]
    assert r3.status.received_prefixes is None and r3.status.accepted_prefixes == 3
    assert r3.metadata.name == "node-a-default-fd00-0029-0000-0000-0000-0000-0000-0004"
    assert (
        by_peer[("", "172.29.0.5")].status.last_error
        == "BGP Notification send: OPEN Message Error/Bad Peer AS"
    )
    assert by_peer[("red", "172.28.0.2")].metadata.labels["frrk8s.metallb.io/vrf"] == "red"


def test_yaml_shape_is_upstream_plus_extras() -> None:
    (r3,) = [o for o in status.build_session_states("n", _snapshot()) if o.status.peer.startswith("fd00")]
    data = yaml.safe_load(status.to_yaml(r3))
    assert data["apiVersion"] == "frrk8s.metallb.io/v1beta1" and data["kind"] == "BGPSessionState"
    assert "receivedPrefixes" not in data["status"]  # unknown, so absent (not 0)
    assert {"bgpStatus", "bfdStatus", "node", "peer", "vrf"} <= set(data["status"])


def _files(d: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(d.iterdir())}


def test_writer_one_file_per_object_only_when_changed(tmp_path: Path) -> None:
    w = status.StatusWriter(tmp_path)
    node = status.build_node_state("n", "router bgp 1\n", R(True, "success", 1.0), R(True, "success", 1.0))
    sessions = status.build_session_states("n", _snapshot())
    rep = w.write(node, sessions)
    assert len(rep.written) == 6 and not rep.unchanged
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert set(before) == {"frrnodestate-n.yaml"} | {
        f"bgpsessionstate-{s.metadata.name}.yaml" for s in sessions
    }
    # Same content: nothing rewritten (mtime untouched).
    rep = w.write(node, sessions)
    assert rep.written == [] and len(rep.unchanged) == 6
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    # Round trip.
    nodes, read = status.read_status_dir(tmp_path)
    assert nodes == [node] and read == sessions


def test_writer_deletes_vanished_sessions(tmp_path: Path) -> None:
    w = status.StatusWriter(tmp_path)
    sessions = status.build_session_states("n", _snapshot())
    w.write_sessions(sessions)
    rep = w.write_sessions(sessions[:2])
    assert len(rep.deleted) == 3 and len(rep.unchanged) == 2
    assert sorted(_files(tmp_path)) == sorted(f"bgpsessionstate-{s.metadata.name}.yaml" for s in sessions[:2])


def test_writer_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    w = status.StatusWriter(tmp_path)
    node = status.build_node_state("n", "a\n", None, None)
    w.write_node_state(node)
    changed = status.build_node_state("n", "b\n", None, None)
    inode = (tmp_path / "frrnodestate-n.yaml").stat().st_ino
    assert w.write_node_state(changed).written == ["frrnodestate-n.yaml"]
    # Replaced by rename (new inode), never truncated in place; no leftovers.
    assert (tmp_path / "frrnodestate-n.yaml").stat().st_ino != inode
    assert os.listdir(tmp_path) == ["frrnodestate-n.yaml"]


def test_no_password_in_any_status_file(tmp_path: Path) -> None:
    w = status.StatusWriter(tmp_path)
    running = (FIXTURES / "running_config.txt").read_text()
    # FRR's error quotes the failing line: the password argument is hidden by its position.
    error = "line 7: Failure to communicate[13] to bgpd, line:  neighbor 172.29.0.2 password s3cret-r1-pw"
    node = status.build_node_state("n", running, R(False, error, 1.0), None)
    w.write(node, status.build_session_states("n", _snapshot()))
    text = "".join(_files(tmp_path).values())
    assert "<retracted>" in text
    for p in PASSWORDS:
        assert p not in text


def test_short_secret_value_alters_nothing(tmp_path: Path) -> None:
    """Redaction is by position: a Secret whose value is `1` (or any short string) does not
    punch holes into `router bgp 64512` (a value search did, and the holes gave the value away)."""
    running = "router bgp 64512\n neighbor 172.29.0.2 remote-as 64513\n neighbor 172.29.0.2 password 1\n"
    result = R(False, "line 2: % Unknown command: neighbor 1.2.3.1 password 1 x", 1.0)
    node = status.build_node_state(
        "n", running, result, R(True, "success", 1.0), {"FRRConfiguration/ns/a": "1"}
    )
    w = status.StatusWriter(tmp_path)
    w.write(node, status.build_session_states("n", _snapshot()))
    text = _files(tmp_path)["frrnodestate-n.yaml"]
    st = yaml.safe_load(text)["status"]
    assert "router bgp 64512\n neighbor 172.29.0.2 remote-as 64513\n" in st["runningConfig"]
    assert " neighbor 172.29.0.2 password <retracted>" in st["runningConfig"]
    assert st["lastReloadResult"] == "ERROR: line 2: % Unknown command: neighbor 1.2.3.1 password <retracted>"
    assert st["appliedGenerations"] == {"FRRConfiguration/ns/a": "1"}
    assert "645<retracted>" not in text and text.count("<retracted>") == 2


def test_unnumbered_session_state_name_and_labels() -> None:
    s = state.SessionState(vrf="", peer="eth0", bgp_state="Active", bfd_status="N/A")
    obj = status.build_session_state("node-a", s)
    assert obj.metadata.name == "node-a-default-eth0"
    assert obj.metadata.labels["frrk8s.metallb.io/peer"] == "eth0" and obj.status.peer == "eth0"


def test_writer_ignores_frr_established_epoch_jitter(tmp_path: Path) -> None:
    """FRR recomputes bgpTimerUpEstablishedEpoch per call; a 1 s wobble must not rewrite files."""
    w = status.StatusWriter(tmp_path)
    base = state.SessionState(
        vrf="", peer="172.29.0.2", bgp_state="Established", bfd_status="Up",
        connections_established=1, established_since=1_700_000_000,
    )  # fmt: skip
    assert w.write_sessions([status.build_session_state("n", base)]).written
    wobble = replace(base, established_since=1_700_000_001)
    assert w.write_sessions([status.build_session_state("n", wobble)]).written == []
    # A new connection (or a real jump) is written.
    again = replace(base, connections_established=2, established_since=1_700_000_060)
    assert w.write_sessions([status.build_session_state("n", again)]).written
    ((_, read),) = [status.read_status_dir(tmp_path)]
    assert read[0].status.established_since == "2023-11-14T22:14:20Z"


def test_read_status_dir_skips_broken_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("kind: BGPSessionState\nmetadata: 3\n")
    (tmp_path / "b.yaml").write_text(": : :\n")
    (tmp_path / "c.yaml").write_text("- a list\n")
    status.StatusWriter(tmp_path).write_node_state(status.build_node_state("n", "x\n"))
    nodes, sessions = status.read_status_dir(tmp_path)
    assert [n.metadata.name for n in nodes] == ["n"] and sessions == []
