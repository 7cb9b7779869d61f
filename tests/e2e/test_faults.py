"""The fault suite (issue 9): FRR daemons killed and restarted, all of FRR restarted on an old
frr.conf, the agent killed, a link down, a full status filesystem.

Each test drives the real agent against the lab node's real FRR and checks, during and after
the fault, that the status files and /metrics say what FRR really does, that FRR ends on the
desired config in every daemon (not only in the merged `show running-config`, which hides a
daemon that lost its config), and how long that took. The measured times are printed as
`MEASURED <fault>: <seconds>` (run with `-s` to see them; docs/operations.md lists them); the
assertions allow several times more, since other test runs share the machine.

Peers: r1 (AS 64513, announces 10.100.0.0/24 and 10.100.1.0/24, BFD configured) and r2
(AS 64514, announces 10.200.0.0/24 and 10.201.0.0/24). The node announces 192.0.2.10/32 to both.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_harness import (
    NODE_YAML,
    Records,
    RunningAgent,
    agent_session,
    bgp_table,
    captured_logs,
    frrconfig,
    http_get,
    kernel_routes,
    lab_session,
    metric,
    neighbor_info,
    status_files,
    wait_until,
)

from frrnode.frr.instance import FrrInstance
from frrnode.frr.reload import ReloadApplier, carry_over_host_lines
from frrnode.frr.repair import missing_lines
from frrnode.frr.vtysh import DEFAULT_DAEMONS, Vtysh
from frrnode.lab.topology import LabTopology

pytestmark = pytest.mark.lab

R1, R2 = "172.30.0.2", "172.30.0.3"
LB_IP = "192.0.2.10/32"
RECOVERY_BOUND = 20.0
"""Generous: measured recoveries are 1-3 s (docs/operations.md); the machine is shared."""

ADVERTISE_BFD = """
bgp:
  bfdProfiles:
  - name: fast
    receiveInterval: {interval}
    transmitInterval: {interval}
  routers:
  - asn: 64512
    prefixes: [192.0.2.10/32]
    neighbors:
    - address: 172.30.0.2
      asn: 64513
      bfdProfile: fast
      toAdvertise:
        allowed:
          prefixes: [192.0.2.10/32]
    - address: 172.30.0.3
      asn: 64514
      toAdvertise:
        allowed:
          mode: all
"""


def advertise(bfd_interval: int = 200) -> str:
    """MetalLB's object: the LoadBalancer IP to r1 (with BFD) and r2."""
    return frrconfig("metallb-node-a", ADVERTISE_BFD.format(interval=bfd_interval))


ADVERTISE = advertise()


def receive(prefix: str) -> str:
    """The platform team's object: learn only `prefix` from r1, everything from r2."""
    return frrconfig(
        "receive-from-routers",
        f"""
bgp:
  routers:
  - asn: 64512
    neighbors:
    - address: {R1}
      asn: 64513
      toReceive:
        allowed:
          prefixes:
          - prefix: {prefix}
    - address: {R2}
      asn: 64514
      toReceive:
        allowed:
          mode: all
""",
    )


@pytest.fixture(scope="module")
def topo() -> Iterator[LabTopology]:
    yield from lab_session("fx")


@pytest.fixture
def logs() -> Iterator[Records]:
    yield from captured_logs()


@pytest.fixture
def frr(topo: LabTopology) -> Iterator[FrrInstance]:
    """The node's FRR; whatever a test killed is running again afterwards."""
    inst = FrrInstance(topo.node.pathspace, topo.node.namespace)
    yield inst
    if not inst.alive():
        for daemon in inst.daemons:
            if daemon not in inst.pids():
                inst.restart_daemon(daemon)


@pytest.fixture
def agent(topo: LabTopology, tmp_path: Path, logs: Records, frr: FrrInstance) -> Iterator[RunningAgent]:
    # The periodic check is pushed out of the way: recovery must come from seeing the restart.
    yield from agent_session(
        topo, tmp_path, poll_interval=1.0, metrics_address="127.0.0.1:0", verify_interval=600.0
    )


# ---------------------------------------------------------------- what FRR runs, what is reported


def desired_text(agent: RunningAgent, vtysh: Vtysh) -> str:
    assert agent.state.desired_config is not None
    return carry_over_host_lines(agent.state.desired_config, vtysh.running_config())


def daemons_missing(agent: RunningAgent, vtysh: Vtysh) -> dict[str, list[str]]:
    """Lines of the desired config each daemon should hold but does not. The agent's
    incremental applier feeds prefix-lists to bgpd alone (no other daemon uses them in these
    configs; FRR 8.4 pays their cost per daemon): bgpd must hold every one of them."""
    return missing_lines(
        desired_text(agent, vtysh), vtysh.daemon_configs(), DEFAULT_DAEMONS, plist_holders=("bgpd",)
    )


def wait_complete(agent: RunningAgent, vtysh: Vtysh, what: str) -> float:
    """Wait until every daemon holds its share of the desired config; return when it did."""
    missing: dict[str, list[str]] = {}

    def complete() -> bool:
        nonlocal missing
        missing = daemons_missing(agent, vtysh)
        return not missing

    try:
        wait_until(complete, timeout=RECOVERY_BOUND, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; missing per daemon: {missing}") from None
    return time.monotonic()


def wait_repaired(agent: RunningAgent, before: int, what: str) -> None:
    """The agent finished a repair after a daemon restart (`before`: the count of such repairs
    before the fault): the merged reconcile (frr-reload.py) ran after the push to the daemon."""
    wait_until(
        lambda: agent.state.repairs["daemon_restart"] > before and agent.state.in_sync,
        timeout=RECOVERY_BOUND,
        what=what,
    )


def merged_diff(agent: RunningAgent, vtysh: Vtysh, tmp: Path) -> list[str]:
    """What frr-reload.py would still change in FRR's merged running config."""
    path = tmp / "desired-check.conf"
    path.write_text(desired_text(agent, vtysh))
    return ReloadApplier(vtysh, tmp).diff(path)


def on_desired_config(agent: RunningAgent, vtysh: Vtysh, tmp: Path) -> bool:
    return not daemons_missing(agent, vtysh) and not merged_diff(agent, vtysh, tmp)


def scrape(agent: RunningAgent) -> str:
    code, body = http_get(agent.metrics_url + "/metrics")
    assert code == 200, body
    return body


def measured(fault: str, seconds: float) -> None:
    print(f"\nMEASURED {fault}: {seconds:.2f}s")


def settle(agent: RunningAgent, topo: LabTopology, accepted: str, filtered: str) -> None:
    """The agent applied; sessions are up; the node learned `accepted` (not `filtered`) from r1
    and r1 has the node's LoadBalancer IP."""
    node = topo.node
    wait_until(lambda: established(topo, R1, R2), timeout=60, what="sessions with r1 and r2")
    wait_until(lambda: accepted in kernel_routes(node), what=f"{accepted} in the node's kernel")
    wait_until(lambda: LB_IP in bgp_table(topo.router("r1")), what="the LoadBalancer IP on r1")
    assert filtered not in kernel_routes(node), "the inbound filter let a denied route in"


def established(topo: LabTopology, *peers: str) -> bool:
    return all(neighbor_info(topo.node, p).get("bgpState") == "Established" for p in peers)


def wait_reported_down(agent: RunningAgent, daemon: str) -> dict[str, object]:
    """The status file says the daemon is down and FRR does not run the config."""

    def down() -> dict[str, object]:
        node, _ = status_files(agent.status_dir)
        ok = (
            node.get("daemons", {}).get(daemon, {}).get("running") is False
            and node.get("lastReloadResult", "").startswith("ERROR")
            and daemon in node.get("lastReloadResult", "")
            and node.get("appliedGenerations") == {}
        )
        return node if ok else {}

    return wait_until(down, timeout=15, what=f"the status to say {daemon} is down")


# ---------------------------------------------------------------- the faults


@pytest.mark.parametrize("boot", [False, True], ids=["empty", "watchfrr-boot"])
def test_bgpd_killed_and_restarted(
    topo: LabTopology, agent: RunningAgent, frr: FrrInstance, tmp_path: Path, boot: bool
) -> None:
    """Defect 1: bgpd kill -9. While dead: sessions kept and reported down (metric 0), no apply
    reported as success, no version claimed live. Restarted empty, or like watchfrr with the
    (older) frr.conf: the agent sees the new process and restores the whole config in bgpd."""
    vtysh = Vtysh(topo.node.pathspace)
    agent.write("metallb.yaml", ADVERTISE)
    agent.apply("receive.yaml", receive("10.100.0.0/24"))
    settle(agent, topo, "10.100.0.0/24", "10.100.1.0/24")

    repairs = agent.state.repairs["daemon_restart"]
    killed = time.monotonic()
    frr.kill_daemon("bgpd")
    node = wait_reported_down(agent, "bgpd")
    measured("bgpd kill -9: the status file says so", time.monotonic() - killed)
    sessions = wait_until(
        lambda: (
            all(s["bgpStatus"] == "Idle" for s in status_files(agent.status_dir)[1].values())
            and status_files(agent.status_dir)[1]
        ),
        what="the sessions reported down",
    )
    assert set(sessions) == {("", R1), ("", R2)}, "session files must be kept while bgpd is dead"
    for st in sessions.values():
        assert "bgpd is not running" in st["lastError"], st
    body = scrape(agent)
    assert metric(body, "frrk8s_bgp_session_up", peer=R1, vrf="default") == 0
    assert metric(body, "frrk8s_bgp_session_up", peer=R2, vrf="default") == 0
    assert metric(body, "frrnode_frr_daemon_up", daemon="bgpd") == 0
    assert metric(body, "frrk8s_k8s_client_config_stale_bool") == 1

    # A change while bgpd is dead is not reported as applied.
    since = agent.state.reconciles
    agent.write("receive.yaml", receive("10.100.1.0/24"))
    wait_until(lambda: agent.state.reconciles > since, what="the pass for the change")
    assert agent.state.last_reload is not None and not agent.state.last_reload.ok
    assert agent.state.applied_generations == {}
    assert node.get("lastReloadResult", "").startswith("ERROR")

    start = time.monotonic()
    frr.restart_daemon("bgpd", boot=boot)
    wait_complete(agent, vtysh, "bgpd's config back")
    measured(
        f"bgpd kill -9, restarted {'with the old frr.conf' if boot else 'empty'}", time.monotonic() - start
    )
    wait_repaired(agent, repairs, "the repair of bgpd")
    assert not merged_diff(agent, vtysh, tmp_path)

    # FRR runs the version written during the outage, filtered: 10.100.1.0/24 now, not 10.100.0.0/24.
    settle(agent, topo, "10.100.1.0/24", "10.100.0.0/24")
    wait_until(lambda: status_files(agent.status_dir)[0].get("lastReloadResult") == "success", what="success")
    node, _ = status_files(agent.status_dir)
    assert (
        node["appliedGenerations"] == agent.state.pending_generations and len(node["appliedGenerations"]) == 2
    )
    assert "bgpd" in node["lastRepairResult"] and node["daemons"]["bgpd"]["restarts"] == 1
    body = scrape(agent)
    assert metric(body, "frrnode_frr_daemon_restarts_total", daemon="bgpd") == 1
    assert metric(body, "frrnode_frr_repairs_total", reason="daemon_restart") == 1
    assert metric(body, "frrnode_frr_daemon_up", daemon="bgpd") == 1
    wait_until(
        lambda: metric(scrape(agent), "frrk8s_bgp_session_up", peer=R1, vrf="default") == 1,
        what="the session metric back to 1",
    )


def bfd_peer_status(topo: LabTopology, peer: str) -> str | None:
    peers = Vtysh(topo.node.pathspace).json("show bfd peers json")
    for p in peers if isinstance(peers, list) else []:
        if p.get("peer") == peer:
            return str(p.get("status"))
    return None


def wait_bfd_up(topo: LabTopology, peer: str, timeout: float = 30.0) -> None:
    try:
        wait_until(lambda: bfd_peer_status(topo, peer) == "up", timeout=timeout, what=f"BFD with {peer} up")
    except AssertionError as exc:
        vtysh = Vtysh(topo.node.pathspace)
        raise AssertionError(
            f"{exc}\nnode bfd peers: {vtysh.run('show bfd peers')}\n"
            f"bgp: {neighbor_info(topo.node, peer).get('peerBfdInfo')}"
        ) from None


def watchfrr_restart(frr: FrrInstance, daemon: str) -> None:
    """What watchfrr (FRR 8.4) does after `daemon` died: restart it and feed it its share of
    frr.conf; but when zebra died, a "phased restart" of everything: the other daemons are
    stopped, zebra started, then the others (each booted from frr.conf)."""
    if daemon != "zebra":
        frr.restart_daemon(daemon, boot=True)
        return
    for other in frr.daemons:
        if other != "zebra":
            frr.kill_daemon(other, signal.SIGTERM)
    for each in frr.daemons:  # zebra first
        frr.restart_daemon(each, boot=True)


@pytest.mark.parametrize("daemon", ["zebra", "bfdd"])
def test_zebra_or_bfdd_killed_and_restarted_like_watchfrr(
    topo: LabTopology, agent: RunningAgent, frr: FrrInstance, tmp_path: Path, daemon: str
) -> None:
    """zebra (prefix-lists, route-maps, kernel routes) or bfdd (BFD profiles) kill -9, then
    restarted as watchfrr does (for zebra: all daemons) from /etc/frr/<ps>/frr.conf, made to
    hold version 1 while FRR runs version 2 (another filter, other BFD timers). The agent
    restores version 2 in every daemon; routes and BFD come back."""
    vtysh = Vtysh(topo.node.pathspace)
    agent.write("metallb.yaml", ADVERTISE)
    agent.apply("receive.yaml", receive("10.100.0.0/24"))
    settle(agent, topo, "10.100.0.0/24", "10.100.1.0/24")
    version1 = vtysh.running_config()
    agent.write("metallb.yaml", advertise(bfd_interval=250))
    agent.apply("receive.yaml", receive("10.100.1.0/24"))
    settle(agent, topo, "10.100.1.0/24", "10.100.0.0/24")
    wait_bfd_up(topo, R1)
    # The agent keeps frr.conf on what FRR runs (version 2); an older one (a restored volume,
    # another writer) is what the repair must cope with.
    assert "10.100.1.0/24" in (frr.config_dir / "frr.conf").read_text()
    (frr.config_dir / "frr.conf").write_text(version1)

    repairs = agent.state.repairs["daemon_restart"]
    frr.kill_daemon(daemon)
    wait_reported_down(agent, daemon)
    assert metric(scrape(agent), "frrnode_frr_daemon_up", daemon=daemon) == 0

    start = time.monotonic()
    watchfrr_restart(frr, daemon)
    wait_complete(agent, vtysh, f"{daemon}'s config back")
    measured(f"{daemon} kill -9, restarted like watchfrr", time.monotonic() - start)
    # A daemon booted from the old frr.conf holds old prefix-list entries it does not use (they
    # are fed to bgpd alone): the merged reconcile removes them, after the push.
    wait_repaired(agent, repairs, f"the repair of {daemon}")
    assert not merged_diff(agent, vtysh, tmp_path)
    settle(agent, topo, "10.100.1.0/24", "10.100.0.0/24")
    wait_bfd_up(topo, R1)
    wait_until(lambda: status_files(agent.status_dir)[0].get("lastReloadResult") == "success", what="success")
    node, _ = status_files(agent.status_dir)
    restarted = frr.daemons if daemon == "zebra" else (daemon,)
    assert all(d in node["lastRepairResult"] for d in restarted), node["lastRepairResult"]
    assert {d: node["daemons"][d]["restarts"] for d in restarted} == dict.fromkeys(restarted, 1)
    assert node["appliedGenerations"] == agent.state.pending_generations
    body = scrape(agent)
    assert [metric(body, "frrnode_frr_daemon_restarts_total", daemon=d) for d in restarted] == [1] * len(
        restarted
    )


def test_all_of_frr_restarted_on_an_old_frr_conf(
    topo: LabTopology, agent: RunningAgent, frr: FrrInstance, tmp_path: Path
) -> None:
    """A pod restart: every daemon killed, FRR started again from an old frr.conf (version 1
    while version 2 is desired). Meanwhile the status says FRR runs nothing; afterwards FRR
    runs version 2 in every daemon, and nothing of version 1 is left."""
    vtysh = Vtysh(topo.node.pathspace)
    agent.write("metallb.yaml", ADVERTISE)
    agent.apply("receive.yaml", receive("10.100.0.0/24"))
    settle(agent, topo, "10.100.0.0/24", "10.100.1.0/24")
    old = vtysh.running_config()
    agent.apply("receive.yaml", receive("10.100.1.0/24"))
    settle(agent, topo, "10.100.1.0/24", "10.100.0.0/24")
    v2 = dict(agent.state.applied_generations)

    for daemon in frr.daemons:
        frr.kill_daemon(daemon)
    node = wait_reported_down(agent, "bgpd")
    assert set(node["daemons"]) == set(frr.daemons)
    assert not any(d["running"] for d in node["daemons"].values())
    _, sessions = status_files(agent.status_dir)
    assert {k: v["bgpStatus"] for k, v in sessions.items()} == {("", R1): "Idle", ("", R2): "Idle"}

    start = time.monotonic()
    frr.start(old)  # writes the old config to /etc/frr/<ps>/frr.conf and boots it
    wait_complete(agent, vtysh, "version 2 in FRR")
    wait_until(lambda: not merged_diff(agent, vtysh, tmp_path), timeout=RECOVERY_BOUND, what="no v1 left")
    measured("all of FRR kill -9, restarted on an old frr.conf", time.monotonic() - start)
    settle(agent, topo, "10.100.1.0/24", "10.100.0.0/24")
    wait_until(lambda: status_files(agent.status_dir)[0].get("lastReloadResult") == "success", what="success")
    node, _ = status_files(agent.status_dir)
    assert node["appliedGenerations"] == v2
    assert all(d["running"] and d["restarts"] == 1 for d in node["daemons"].values()), node["daemons"]


def test_link_down_and_up(topo: LabTopology, agent: RunningAgent, tmp_path: Path) -> None:
    """The node's link to the routers goes down: sessions are reported down (files kept,
    metric 0), the config is untouched; when it comes back, so do sessions and routes."""
    vtysh = Vtysh(topo.node.pathspace)
    node = topo.node
    agent.write("metallb.yaml", ADVERTISE)
    agent.apply("receive.yaml", receive("10.100.0.0/24"))
    settle(agent, topo, "10.100.0.0/24", "10.100.1.0/24")
    applies = agent.state.applies
    link = ["ip", "-n", node.namespace, "link", "set", "eth0"]
    subprocess.run([*link, "down"], check=True, timeout=10)
    try:
        wait_until(
            lambda: all(s["bgpStatus"] != "Established" for s in status_files(agent.status_dir)[1].values()),
            timeout=30,
            what="both sessions reported down",
        )
        assert set(status_files(agent.status_dir)[1]) == {("", R1), ("", R2)}
        assert metric(scrape(agent), "frrk8s_bgp_session_up", peer=R1, vrf="default") == 0
        assert "10.100.0.0/24" not in kernel_routes(node)
    finally:
        subprocess.run([*link, "up"], check=True, timeout=10)
    start = time.monotonic()
    settle(agent, topo, "10.100.0.0/24", "10.100.1.0/24")
    measured("link down/up: sessions and routes back after the link is up", time.monotonic() - start)
    assert agent.state.applies == applies, "a link flap must not re-apply anything"
    assert on_desired_config(agent, vtysh, tmp_path)
    wait_until(
        lambda: metric(scrape(agent), "frrk8s_bgp_session_up", peer=R1, vrf="default") == 1,
        what="the session metric back to 1",
    )


def test_raw_snippet_that_removed_config_is_undone_at_once(
    topo: LabTopology, agent: RunningAgent, tmp_path: Path
) -> None:
    """Defect 6: a rawConfig `no router bgp 64512` removes the router; deleting that object
    brings FRR back to the desired config at once, not at the periodic check (10 min here)."""
    vtysh = Vtysh(topo.node.pathspace)
    agent.write("metallb.yaml", ADVERTISE)
    agent.apply("receive.yaml", receive("10.100.0.0/24"))
    settle(agent, topo, "10.100.0.0/24", "10.100.1.0/24")
    raw = frrconfig("remover", "raw:\n  rawConfig: |\n    no router bgp 64512\n")
    agent.apply("remover.yaml", raw)
    wait_until(lambda: "router bgp" not in vtysh.running_config(), what="the router removed by the snippet")

    start = time.monotonic()
    since = agent.state.reconciles
    agent.remove("remover.yaml")
    agent.wait_applied(since=since)
    wait_until(
        lambda: on_desired_config(agent, vtysh, tmp_path), timeout=RECOVERY_BOUND, what="the router back"
    )
    measured("raw snippet removing the router, then deleted: desired config back", time.monotonic() - start)
    assert f"neighbor {R1} remote-as 64513" in vtysh.running_config()
    settle(agent, topo, "10.100.0.0/24", "10.100.1.0/24")


@pytest.fixture
def full_status_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs at tmp_path/status (the agent's status directory), always unmounted."""
    status = tmp_path / "status"
    status.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "frrnode-test-status", str(status)], check=True)
    try:
        yield status
    finally:
        subprocess.run(["umount", "-l", str(status)], check=False)


def fill(directory: Path) -> Path:
    """Fill the filesystem of `directory` until ENOSPC; return the filler file."""
    filler = directory / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_full_status_filesystem(
    topo: LabTopology, full_status_fs: Path, tmp_path: Path, logs: Records, frr: FrrInstance
) -> None:
    """The status filesystem fills up: one clear log line (not a traceback every poll), a
    metric, and the agent keeps applying; once there is room, the status is current again."""
    agent = RunningAgent(topo, tmp_path, poll_interval=1.0, metrics_address="127.0.0.1:0")
    try:
        agent.start()
        agent.write("metallb.yaml", ADVERTISE)
        agent.apply("receive.yaml", receive("10.100.0.0/24"))
        settle(agent, topo, "10.100.0.0/24", "10.100.1.0/24")
        wait_until(
            lambda: status_files(agent.status_dir)[0].get("lastReloadResult") == "success", what="status"
        )
        filler = fill(full_status_fs)
        first = len(logs.lines)

        agent.apply("receive.yaml", receive("10.100.1.0/24"))  # the agent keeps managing FRR
        settle(agent, topo, "10.100.1.0/24", "10.100.0.0/24")
        wait_until(
            lambda: (metric(scrape(agent), "frrnode_status_write_errors_total") or 0) >= 3,
            what="three failed status writes",
        )
        lines = logs.lines[first:]
        errors = [line for line in lines if "cannot write status files" in line and line.startswith("ERROR")]
        assert len(errors) == 1, errors
        assert "No space left on device" in errors[0]
        assert not [line for line in lines if "Traceback" in line or "polling FRR state failed" in line]
        node, _ = status_files(agent.status_dir)
        assert "10.100.1.0/24" not in node["runningConfig"]  # stale, as the log said

        filler.unlink()
        wait_until(
            lambda: "10.100.1.0/24" in status_files(agent.status_dir)[0].get("runningConfig", ""),
            what="the status current again",
        )
        wait_until(
            lambda: "statusWriteError" not in status_files(agent.status_dir)[0], what="no statusWriteError"
        )
        assert any("writable again" in line for line in logs.lines[first:])
    finally:
        try:
            for name in ("metallb.yaml", "receive.yaml"):
                since = agent.state.reconciles
                agent.remove(name)
                agent.wait_applied(since=since)
        finally:
            agent.stop()


class AgentProcess:
    """`frrnode run` as its own process (so it can be killed -9), logging to a file."""

    def __init__(self, topo: LabTopology, workdir: Path) -> None:
        self.workdir = workdir
        self.config_dir = workdir / "manifests"
        self.status_dir = workdir / "status"
        self.log_path = workdir / "agent.log"
        self.cmd = [
            sys.executable, "-m", "frrnode", "run",
            "--config-dir", str(self.config_dir),
            "--node", "node-a",
            "--frr-pathspace", topo.node.pathspace,
            "--frr-netns", topo.node.namespace,
            "--status-dir", str(self.status_dir),
            "--metrics-address", "127.0.0.1:0",
            "--workdir", str(workdir / "work"),
            "--poll-interval", "1",
        ]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        with self.log_path.open("a") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT)
        return self

    def log(self) -> str:
        return self.log_path.read_text()

    def alive(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, f"the agent exited:\n{self.log()}"
        return True

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send `sig` and wait for the exit; an agent still running after 30 s is killed -9
        (a test never leaves it behind)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
                raise


@pytest.fixture
def agent_process(topo: LabTopology, tmp_path: Path) -> Iterator[AgentProcess]:
    agent = AgentProcess(topo, tmp_path)
    agent.config_dir.mkdir()
    (agent.config_dir / "node.yaml").write_text(NODE_YAML.format(name="node-a"))
    try:
        yield agent
    finally:
        agent.kill()
        # Leave the node's FRR without BGP config for the next test.
        for path in agent.config_dir.glob("*.yaml"):
            if path.name != "node.yaml":
                path.unlink()
        agent.start()
        try:
            wait_until(
                lambda: "router bgp" not in Vtysh(topo.node.pathspace).running_config(), what="cleanup"
            )
        finally:
            agent.kill(signal.SIGTERM)


def connections(topo: LabTopology) -> dict[str, tuple[int, int]]:
    """(connectionsEstablished, connectionsDropped) of the node's sessions with r1 and r2."""
    infos = {p: neighbor_info(topo.node, p) for p in (R1, R2)}
    return {p: (i["connectionsEstablished"], i["connectionsDropped"]) for p, i in infos.items()}


def test_agent_killed_and_restarted_keeps_sessions_and_sighup_resyncs(
    topo: LabTopology, agent_process: AgentProcess, frr: FrrInstance
) -> None:
    """The agent is killed -9 and started again: FRR keeps running its config meanwhile, and
    the new agent takes over without resetting a session. SIGHUP is logged and makes the agent
    compare FRR with the manifests at once (it repairs a change made by hand)."""
    agent = agent_process
    (agent.config_dir / "metallb.yaml").write_text(ADVERTISE)
    (agent.config_dir / "receive.yaml").write_text(receive("10.100.0.0/24"))
    agent.start()
    node_file = agent.status_dir / "frrnodestate-node-a.yaml"

    def reload_time() -> str:
        node, _ = status_files(agent.status_dir)
        return str(node.get("lastReloadTime")) if node.get("lastReloadResult") == "success" else ""

    wait_until(lambda: agent.alive() and reload_time(), timeout=60, what="the first apply in the status")
    wait_until(lambda: established(topo, R1, R2), timeout=60, what="sessions with r1 and r2")
    before = connections(topo)
    running = Vtysh(topo.node.pathspace).running_config()
    first = reload_time()

    agent.kill()
    assert "10.100.0.0/24" in kernel_routes(topo.node), "FRR keeps the routes without the agent"
    time.sleep(1.5)  # the next agent's lastReloadTime (whole seconds) must differ
    start = time.monotonic()
    agent.start()
    wait_until(
        lambda: agent.alive() and reload_time() not in ("", first), timeout=60, what="the new agent's apply"
    )
    measured("agent kill -9 and restart: status current again", time.monotonic() - start)
    assert connections(topo) == before, "the restarted agent reset a session"
    assert Vtysh(topo.node.pathspace).running_config() == running
    assert node_file.exists()

    # By hand: remove the inbound filter's prefix-list entry. SIGHUP repairs it at once (the
    # periodic check would take a minute).
    Vtysh(topo.node.pathspace).configure("no ip prefix-list 172.30.0.2-inpl-ipv4 seq 1 permit 10.100.0.0/24")
    assert "10.100.0.0/24" not in Vtysh(topo.node.pathspace).running_config()
    assert agent.proc is not None
    agent.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "SIGHUP received" in agent.log(), what="SIGHUP in the log")
    wait_until(
        lambda: (
            "172.30.0.2-inpl-ipv4 seq 1 permit 10.100.0.0/24" in Vtysh(topo.node.pathspace).running_config()
        ),
        timeout=15,
        what="the prefix-list entry back after SIGHUP",
    )
    wait_until(lambda: "drift repaired" in agent.log(), what="the repair in the log")
    assert agent.alive()
    assert "Traceback" not in agent.log()
