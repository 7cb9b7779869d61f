"""Fault suite, the config directory side (issue 9): the real agent and the lab node's real FRR
while the manifests directory is deleted, recreated, replaced, written slowly or partially,
swapped the way kubelet updates a ConfigMap volume, and hit by a burst of 1,000 edits.

Each test checks what FRR runs (and what r1 learns) during and after the fault, what the status
says, and records every config the agent sends to FRR: nothing but a desired config may go.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from agent_harness import RunningAgent, agent_session, bgp_table, frrconfig, lab_session, wait_until

from frrnode.frr.reload import ApplyResult
from frrnode.lab.topology import LabTopology

pytestmark = pytest.mark.lab

R1 = "172.30.0.2"


def advertise(prefix: str) -> str:
    return frrconfig(
        "advertise",
        f"""
        bgp:
          routers:
          - asn: 64512
            prefixes: [{prefix}]
            neighbors:
            - address: {R1}
              asn: 64513
              toAdvertise:
                allowed:
                  prefixes: [{prefix}]
        """,
    )


@pytest.fixture(scope="module")
def topo() -> Iterator[LabTopology]:
    yield from lab_session("df")


class Recorder:
    """Every config text the agent hands to FRR's applier (the real one, called through)."""

    def __init__(self, agent: RunningAgent):
        self.sent: list[str] = []
        applier = agent.agent.reconciler.applier
        real = applier.apply

        def apply(text: str) -> ApplyResult:
            self.sent.append(text)
            return real(text)

        applier.apply = apply  # type: ignore[method-assign]


@pytest.fixture
def agent(topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(topo, tmp_path)


def announced(agent: RunningAgent, prefix: str) -> bool:
    return f"network {prefix}" in (agent.state.applied_config or "")


def start(topo: LabTopology, agent: RunningAgent, prefix: str = "192.0.2.10/32") -> Recorder:
    agent.apply("advertise.yaml", advertise(prefix))
    wait_until(lambda: prefix in bgp_table(topo.router("r1")), what=f"{prefix} on r1")
    return Recorder(agent)


def node_status(agent: RunningAgent) -> dict[str, object]:
    path = agent.status_dir / "frrnodestate-node-a.yaml"
    status: dict[str, object] = yaml.safe_load(path.read_text())["status"]
    return status


def write_slowly(path: Path, text: str, pieces: int, check: object = None, pause: float = 0.4) -> None:
    """Rewrite `path` in place (truncated, then `pieces` parts `pause` seconds apart; line by
    line when `pieces` is the number of lines), calling `check` between the parts."""
    lines = text.splitlines(keepends=True)
    step = -(-len(lines) // pieces)
    with path.open("w") as handle:
        for first in range(0, len(lines), step):
            handle.write("".join(lines[first : first + step]))
            handle.flush()
            time.sleep(pause)
            if callable(check):
                check()


def test_slow_in_place_write_is_applied_once_complete(topo: LabTopology, agent: RunningAgent) -> None:
    r1 = topo.router("r1")
    recorder = start(topo, agent)
    path = agent.config_dir / "advertise.yaml"

    def still_announced() -> None:
        assert "192.0.2.10/32" in bgp_table(r1), "the prefix was withdrawn during a slow write"

    # The same content rewritten slowly: nothing is sent to FRR and the prefix stays announced.
    same = advertise("192.0.2.10/32")
    write_slowly(path, same, pieces=len(same.splitlines()), check=still_announced)
    time.sleep(2.0)
    assert recorder.sent == []
    # New content written slowly: exactly one apply, of the final version.
    write_slowly(path, advertise("192.0.2.11/32"), pieces=5, check=still_announced)
    wait_until(lambda: announced(agent, "192.0.2.11/32"), what="the final version applied")
    assert len(recorder.sent) == 1 and "network 192.0.2.11/32" in recorder.sent[0]
    wait_until(lambda: "192.0.2.11/32" in bgp_table(r1), what="the new prefix on r1")


def test_partial_write_is_refused_and_frr_keeps_its_config(topo: LabTopology, agent: RunningAgent) -> None:
    r1 = topo.router("r1")
    recorder = start(topo, agent)
    path = agent.config_dir / "advertise.yaml"
    text = advertise("192.0.2.12/32")
    since = agent.state.reconciles
    path.write_text(text[: text.index("routers:")] + "routers:\n    - asn: [64512\n")  # cut short
    state = agent.wait_rejected(since=since)
    assert state.last_conversion is not None and "advertise.yaml" in state.last_conversion.message
    assert recorder.sent == [] and "192.0.2.10/32" in bgp_table(r1)
    wait_until(lambda: "advertise.yaml" in str(node_status(agent)["lastConversionResult"]), what="status")
    path.write_text(text)  # the writer finishes
    wait_until(lambda: announced(agent, "192.0.2.12/32"), what="the completed file applied")
    assert len(recorder.sent) == 1


def test_directory_deleted_recreated_and_replaced(topo: LabTopology, agent: RunningAgent) -> None:
    r1 = topo.router("r1")
    recorder = start(topo, agent)
    root = agent.config_dir
    backup = root.parent / "backup"
    shutil.copytree(root, backup)

    # Deleted: FRR keeps its last good config; the status says why.
    since = agent.state.reconciles
    shutil.rmtree(root)
    state = agent.wait_rejected(since=since)
    assert state.last_conversion is not None and "does not exist" in state.last_conversion.message
    wait_until(lambda: "does not exist" in str(node_status(agent)["lastConversionResult"]), what="status")
    assert recorder.sent == [] and "192.0.2.10/32" in bgp_table(r1)

    # Recreated by a copy (with an edit): applied, and later edits are seen at once again.
    (backup / "advertise.yaml").write_text(advertise("192.0.2.13/32"))
    shutil.copytree(backup, root)
    wait_until(lambda: announced(agent, "192.0.2.13/32"), what="the recreated directory applied")
    begin = time.monotonic()
    agent.write("advertise.yaml", advertise("192.0.2.14/32"))
    wait_until(lambda: announced(agent, "192.0.2.14/32"), what="an edit after the recreation")
    took = time.monotonic() - begin
    assert took < 5.0, f"{took:.1f}s: the edit waited for the resync (30 s), the watch was lost"

    # Replaced by a rename: applied at once; the new directory is watched, the old one is not.
    (backup / "advertise.yaml").write_text(advertise("192.0.2.15/32"))
    os.rename(root, root.parent / "old")
    os.rename(backup, root)
    wait_until(lambda: announced(agent, "192.0.2.15/32"), what="the replacement applied")
    begin = time.monotonic()
    agent.write("advertise.yaml", advertise("192.0.2.16/32"))
    wait_until(lambda: announced(agent, "192.0.2.16/32"), what="an edit after the replacement")
    took = time.monotonic() - begin
    assert took < 5.0, f"{took:.1f}s: the edit waited for the resync (30 s), the watch was lost"
    wait_until(lambda: "192.0.2.16/32" in bgp_table(r1), what="the last prefix on r1")
    # Only desired configs went to FRR: never an empty set while the directory was missing.
    assert all("router bgp 64512" in text for text in recorder.sent)
    assert [t for t in recorder.sent if "network 192.0.2.1" in t] == recorder.sent


def test_configmap_volume_swap(topo: LabTopology, agent: RunningAgent) -> None:
    """kubelet's layout and atomic `..data` swap, inside the watched directory."""
    root = agent.config_dir
    stamp = "..2024_01_01_00_00_00.000000001"
    (root / stamp).mkdir()
    (root / stamp / "advertise.yaml").write_text(advertise("192.0.2.17/32"))
    (root / "..data").symlink_to(stamp)
    since = agent.state.reconciles
    (root / "advertise.yaml").symlink_to(Path("..data") / "advertise.yaml")
    agent.wait_applied(since=since)
    assert announced(agent, "192.0.2.17/32")
    recorder = Recorder(agent)

    new = "..2024_01_01_00_01_00.000000002"
    (root / new).mkdir()
    (root / new / "advertise.yaml").write_text(advertise("192.0.2.18/32"))
    (root / "..data_tmp").symlink_to(new)
    os.rename(root / "..data_tmp", root / "..data")
    shutil.rmtree(root / stamp)
    wait_until(lambda: announced(agent, "192.0.2.18/32"), what="the swapped ConfigMap applied")
    assert len(recorder.sent) == 1
    wait_until(lambda: "192.0.2.18/32" in bgp_table(topo.router("r1")), what="the new prefix on r1")


def test_burst_of_1000_edits(topo: LabTopology, agent: RunningAgent) -> None:
    """1,000 atomic edits of the node's own manifest in about 10 s: at most 2 applies, the last
    version exact in FRR."""
    r1 = topo.router("r1")
    recorder = start(topo, agent)
    begin = time.monotonic()
    for i in range(1000):
        agent.write("advertise.yaml", advertise(f"198.51.100.{i % 250}/32" if i < 999 else "203.0.113.7/32"))
        time.sleep(max(0.0, begin + (i + 1) * 0.01 - time.monotonic()))
    wait_until(lambda: announced(agent, "203.0.113.7/32"), what="the last version applied")
    assert 1 <= len(recorder.sent) <= 2, f"{len(recorder.sent)} applies for one burst"
    applied = agent.state.applied_config or ""
    assert "network 203.0.113.7/32" in applied and "198.51.100." not in applied.split("router bgp")[1]
    wait_until(lambda: "203.0.113.7/32" in bgp_table(r1), what="the last prefix on r1")
    wait_until(lambda: not any(p.startswith("198.51.100.") for p in bgp_table(r1)), what="no other on r1")
