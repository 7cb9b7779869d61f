"""Vtysh and FrrInstance against real FRR 8.4.4 daemons in a private network namespace."""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_frr_helpers import frr_in_netns, frr_processes, private_netns, require_root_and_frr
from st_netlab import wait_for

from frrnode.errors import FrrError
from frrnode.frr.instance import FrrInstance, pid_running
from frrnode.frr.vtysh import Vtysh, strip_running_config_headers

pytestmark = pytest.mark.frr


@pytest.fixture(scope="module")
def inst() -> Iterator[FrrInstance]:
    with frr_in_netns("v") as i:
        yield i


def test_run_and_json(inst: FrrInstance) -> None:
    assert "FRRouting 8" in inst.vtysh.run("show version")
    data = inst.vtysh.json("show bgp vrf all summary json")
    assert isinstance(data, dict)
    # several commands in one vtysh process
    out = inst.vtysh.run("show daemons", "show version")
    assert "bgpd" in out and "FRRouting" in out


def test_unknown_command_raises_with_frr_message(inst: FrrInstance) -> None:
    with pytest.raises(FrrError) as err:
        inst.vtysh.run("show no-such-thing")
    assert "% Unknown command: show no-such-thing" in str(err.value)
    assert err.value.output  # FRR's own text, for the status layer


def test_configure_and_running_config(inst: FrrInstance) -> None:
    inst.vtysh.configure(
        ["router bgp 64512", " bgp router-id 192.0.2.1", " neighbor 192.0.2.9 remote-as 64513", "exit"]
    )
    running = inst.vtysh.running_config()
    assert "router bgp 64512" in running and " neighbor 192.0.2.9 remote-as 64513" in running
    assert not running.startswith(("Building configuration", "Current configuration"))
    assert inst.vtysh.json("show bgp neighbors 192.0.2.9 json")["192.0.2.9"]["remoteAs"] == 64513


def test_configure_refused_line_raises(inst: FrrInstance) -> None:
    with pytest.raises(FrrError) as err:
        inst.vtysh.configure("router bgp 64512\n neighbor 192.0.2.10 peer-group NOPE\nexit\n")
    assert "peer-group" in str(err.value)
    with pytest.raises(FrrError) as err2:
        inst.vtysh.configure("ip prefix-list x seq 5 permit 10.0.0.0/33\n")
    assert "Unknown command" in str(err2.value)
    assert "ip prefix-list x" not in inst.vtysh.running_config()


def test_dryrun(tmp_path: Path) -> None:
    require_root_and_frr()
    good = tmp_path / "good.conf"
    good.write_text("router bgp 64512\n neighbor 192.0.2.1 remote-as 64513\nexit\n")
    bad = tmp_path / "bad.conf"
    bad.write_text("router bgp 64512\n neighbor 192.0.2.1 remote-as 64513\n bogus words\nexit\n")
    v = Vtysh(None)  # needs no daemons
    v.dryrun(good)
    with pytest.raises(FrrError) as err:
        v.dryrun(bad)
    assert "line 3" in str(err.value) and "bogus words" in str(err.value)


def test_timeout_raises_frr_error(tmp_path: Path) -> None:
    slow = tmp_path / "slow-vtysh"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(FrrError, match="timed out"):
        Vtysh("x", timeout=0.3, binary=str(slow)).run("show version")


def test_strip_headers() -> None:
    text = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\nrouter bgp 1\n"
    assert strip_running_config_headers(text) == "frr version 8.4.4\nrouter bgp 1\n"


def test_daemons_alive_and_crash_recovery(inst: FrrInstance) -> None:
    assert inst.alive() and inst.vtysh.daemons_alive()
    pids = inst.pids()
    assert set(pids) == {"zebra", "bgpd", "staticd", "bfdd"}
    inst.start()  # idempotent: nothing restarted
    assert inst.pids() == pids
    os.kill(pids["bgpd"], signal.SIGKILL)
    # SIGKILL is delivered asynchronously and an exiting process loses its cmdline before its
    # sockets close: on a loaded machine the two views agree only after a moment.
    wait_for(lambda: not inst.alive(), timeout=10)
    wait_for(lambda: not inst.vtysh.daemons_alive(), timeout=10)
    inst.start()  # partially running: restarted cleanly
    assert inst.alive() and inst.vtysh.daemons_alive()
    assert not any(pid_running(p) for p in pids.values())  # old daemons were stopped, not leaked


def test_stop_touches_only_its_own_pathspace() -> None:
    with frr_in_netns("a") as a, frr_in_netns("b") as b:
        a_pids = set(a.pids().values())
        b.stop()
        b.stop()  # idempotent
        assert not b.alive() and frr_processes(b.pathspace) == []
        assert a.alive() and set(a.pids().values()) == a_pids


def test_stop_after_lost_pidfiles_and_cleanup() -> None:
    require_root_and_frr()
    with private_netns("flc" + str(os.getpid())) as ns:
        inst = FrrInstance(ns, ns)
        inst.start("router bgp 64600\nexit\n")
        assert "router bgp 64600" in inst.vtysh.running_config()
        for f in inst.run_dir.glob("*.pid"):
            f.unlink()  # as after a crash that lost them: stop() still finds the daemons
        inst.cleanup()
        assert frr_processes(ns) == []
        assert not inst.config_dir.exists() and not inst.run_dir.exists()


def test_start_with_bad_config_reports_frr_message() -> None:
    require_root_and_frr()
    with private_netns("flx" + str(os.getpid())) as ns:
        inst = FrrInstance(ns, ns)
        with pytest.raises(FrrError) as err:
            inst.start("router bgp 64600\n bogus line\nexit\n")
        assert "bogus line" in str(err.value)
