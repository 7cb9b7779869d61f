"""agent.sessions and the status publisher while FRR cannot report sessions (issue 9, defect 1):
sessions are kept and reported down, never dropped."""

from __future__ import annotations

from pathlib import Path

import yaml
from pl_helpers import SETTINGS, build, config, neighbor, node, router
from st_fixtures import ReplayVtysh

from frrnode.agent import wiring
from frrnode.agent.blame import blame_raw, refused_lines
from frrnode.agent.metrics import AgentMetrics
from frrnode.agent.sessions import desired_sessions, with_missing_down
from frrnode.agent.state import AgentState, DaemonStatus
from frrnode.errors import FrrError
from frrnode.frr import state as frr_state
from frrnode.model import ObjectRef, RawSnippet


def test_with_missing_down_keeps_known_and_desired_sessions() -> None:
    live = frr_state.read_snapshot(ReplayVtysh())
    assert any(s.established for s in live.sessions)
    desired = desired_sessions(
        build(config("a", router(neighbor(address="fd00::0002", asn=65001))), node("node1"))
    )
    assert [(s.vrf, s.peer) for s in desired] == [("", "fd00::2")]  # as FRR prints it
    out = with_missing_down(frr_state.Snapshot(), [*live.sessions, *desired], "bgpd is not running")
    assert {(s.vrf, s.peer) for s in out.sessions} == {(s.vrf, s.peer) for s in live.sessions} | {
        ("", "fd00::2")
    }
    for s in out.sessions:
        assert s.bgp_state == "Idle" and not s.established and s.last_error == "bgpd is not running"
        assert s.accepted == 0 and s.advertised == 0 and s.established_since is None


class DeadBgpd(ReplayVtysh):
    """FRR whose bgpd was killed: BGP commands print nothing (vtysh exits 0)."""

    dead = False

    def _answer(self, command: str) -> object:
        if self.dead and command.startswith("show bgp"):
            raise FrrError(f"no answer to {command!r}: the FRR daemon that serves it is not running")
        return super()._answer(command)

    def running_config(self) -> str:
        return "router bgp 64512\n"


def test_publisher_reports_the_sessions_of_a_dead_bgpd_down(tmp_path: Path) -> None:
    vtysh = DeadBgpd()
    metrics = AgentMetrics(process_metrics=False)
    publisher = wiring.StatusPublisher(SETTINGS, vtysh, tmp_path, metrics)  # type: ignore[arg-type]
    state = AgentState()
    publisher.poll(state)
    files = sorted(p.name for p in tmp_path.glob("bgpsessionstate-*.yaml"))
    assert files, "the fixture has sessions"
    up = metrics.exposition().decode().count("frrk8s_bgp_session_up{")

    vtysh.dead = True
    state.daemons = {"bgpd": DaemonStatus(running=False)}
    publisher.poll(state)
    assert sorted(p.name for p in tmp_path.glob("bgpsessionstate-*.yaml")) == files
    for name in files:
        status = yaml.safe_load((tmp_path / name).read_text())["status"]
        assert status["bgpStatus"] == "Idle" and status["lastError"] == "bgpd is not running"
    text = metrics.exposition().decode()
    samples = [line for line in text.splitlines() if line.startswith("frrk8s_bgp_session_up{")]
    assert len(samples) == up and all(line.endswith(" 0") for line in samples)

    # Not yet noticed by the watch (bgpd just died): FRR's silence alone keeps them too.
    state.daemons = {"bgpd": DaemonStatus(running=True)}
    publisher.poll(state)
    assert sorted(p.name for p in tmp_path.glob("bgpsessionstate-*.yaml")) == files


def test_blame_finds_the_raw_line_frr_quotes() -> None:
    message = (
        "frr-reload.py --reload failed (exit 1)\n"
        "line 41: Failure to communicate[13] to bgpd, line:  neighbor 172.30.0.9 password x\n"
        "line 7: % Unknown command[25]:  neighbor 1.2.3.4   bogus"
    )
    assert refused_lines(message) == ["neighbor 172.30.0.9 password x", "neighbor 1.2.3.4 bogus"]
    snippet = RawSnippet(
        5, "router bgp 64512\n  neighbor 1.2.3.4 bogus\n", ObjectRef("FRRConfiguration", "ns", "r")
    )
    (culprit,) = blame_raw(message, [snippet])
    assert str(culprit) == "FRRConfiguration/ns/r spec.raw.rawConfig line 2 ('neighbor 1.2.3.4 bogus')"
